/**
 * A Python author compiles the contract by README's "Python: which files to compile" block as written, in a copy
 * of proto/ and the requirements file, and imports the stub.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { promisify } from "node:util";
import { readmeBlock } from "../support/readme-blocks.ts";

const root = new URL("../..", import.meta.url).pathname;

describe("README's Python generation", () => {
  const dir = mkdtempSync(join(tmpdir(), "vertexchat-python-"));
  cpSync(join(root, "proto"), join(dir, "proto"), { recursive: true });
  mkdirSync(join(dir, "examples/python"), { recursive: true });
  cpSync(join(root, "examples/python/requirements.txt"), join(dir, "examples/python/requirements.txt"));
  for (const { command, expect } of readmeBlock("### Python: which files to compile")) {
    test(command.slice(0, 120), { timeout: 10 * 60_000 }, async () => {
      const { stdout } = await promisify(execFile)("bash", ["-c", command], { cwd: dir });
      assert.match(stdout, expect);
    });
  }
});
