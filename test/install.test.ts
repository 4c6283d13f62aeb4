/**
 * The first install is quiet: `npm ci` run by the machine's own npm (Node 20 here, older than the Node 24 the project
 * runs on) prints no warnings. A dry run in a copy of the manifest, lockfile and .npmrc, so nothing is downloaded.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { copyFileSync, existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { test } from "node:test";
import { promisify } from "node:util";

const root = new URL("..", import.meta.url).pathname;

test("npm ci with the machine's npm and Node prints no engine warnings", async () => {
  const dir = mkdtempSync(join(tmpdir(), "vertexchat-install-"));
  for (const file of ["package.json", "package-lock.json", ".npmrc"]) {
    if (existsSync(join(root, file))) copyFileSync(join(root, file), join(dir, file));
  }
  // The machine's node and npm, not node_modules/.bin's Node 24 that `npm test` puts first on the PATH.
  const path = (process.env.PATH ?? "")
    .split(delimiter)
    .filter((entry) => !entry.includes("node_modules"))
    .join(delimiter);
  const env = { ...process.env, PATH: path };
  const run = (args: string[]) => promisify(execFile)("npm", args, { cwd: dir, env });
  const { stdout: nodeVersion } = await promisify(execFile)("node", ["--version"], { env });
  const { stdout, stderr } = await run(["ci", "--dry-run", "--ignore-scripts", "--no-audit", "--no-fund"]);
  assert.doesNotMatch(`${stdout}${stderr}`, /EBADENGINE|npm warn/i, `npm on Node ${nodeVersion.trim()}`);
  assert.match(stdout, /add openai /);
});
