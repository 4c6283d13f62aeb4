/**
 * Fails when gen/ is not what `buf generate` makes from proto/ (run `npm run generate` and commit the result).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

const root = new URL("..", import.meta.url).pathname;
const fresh = mkdtempSync(join(tmpdir(), "vertexchat-gen-"));
execFileSync(join(root, "node_modules/.bin/buf"), ["generate", "--output", fresh], { cwd: root, stdio: "inherit" });

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

const expected = new Map(
  files(join(fresh, "gen")).map((f) => [relative(join(fresh, "gen"), f), readFileSync(f, "utf8")]),
);
const actual = new Map(files(join(root, "gen")).map((f) => [relative(join(root, "gen"), f), readFileSync(f, "utf8")]));
const stale = [
  ...[...expected.keys()].filter((f) => actual.get(f) !== expected.get(f)),
  ...[...actual.keys()].filter((f) => !expected.has(f)),
];
if (stale.length > 0) {
  console.error(`gen/ is stale (${stale.join(", ")}): run \`npm run generate\` and commit gen/.`);
  process.exit(1);
}
console.log(`gen/ is up to date (${expected.size} files).`);
