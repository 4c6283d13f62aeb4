/**
 * A Go author generates from the contract with stock protoc-gen-go and protoc-gen-connect-go, no managed mode, by
 * README's "Go with stock plugins" block as written, in a copy of proto/ — it needs the protos' go_package.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { describe, test } from "node:test";
import { promisify } from "node:util";
import { readmeBlock } from "../support/readme-blocks.ts";

const root = new URL("../..", import.meta.url).pathname;

describe("README's Go generation with stock plugins", () => {
  const dir = mkdtempSync(join(tmpdir(), "vertexchat-go-stock-"));
  cpSync(join(root, "proto"), join(dir, "proto"), { recursive: true });
  const gobin = join(dir, "bin");
  const env = {
    ...process.env,
    GOBIN: gobin,
    PATH: [gobin, join(root, "node_modules/.bin"), process.env.PATH].join(delimiter),
  };
  for (const { command, expect } of readmeBlock("### Go with stock plugins, no managed mode")) {
    test(command.slice(0, 120), { timeout: 10 * 60_000 }, async () => {
      const { stdout } = await promisify(execFile)("bash", ["-c", command], { cwd: dir, env });
      assert.match(stdout, expect);
    });
  }
});
