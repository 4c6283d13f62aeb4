/**
 * A Python author compiles the contract by README's "Python: which files to compile" block as written, in a copy
 * of proto/ and the requirements file, then runs README's first Python client, saved as written, against a live
 * gateway.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { readmeBlock, readmeCode } from "../support/readme-blocks.ts";
import { type Stack, startStack } from "../support/stack.ts";

const root = new URL("../..", import.meta.url).pathname;

describe("README's Python sections", () => {
  const dir = mkdtempSync(join(tmpdir(), "vertexchat-python-"));
  cpSync(join(root, "proto"), join(dir, "proto"), { recursive: true });
  mkdirSync(join(dir, "examples/python"), { recursive: true });
  cpSync(join(root, "examples/python/requirements.txt"), join(dir, "examples/python/requirements.txt"));
  const run = (command: string) => promisify(execFile)("bash", ["-c", command], { cwd: dir });
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  for (const { command, expect } of readmeBlock("### Python: which files to compile")) {
    test(command.slice(0, 120), { timeout: 10 * 60_000 }, async () => {
      assert.match((await run(command)).stdout, expect);
    });
  }

  test("the first client runs against the gateway: unary, a rebuilt stream, a decoded error", async () => {
    writeFileSync(join(dir, "client.py"), readmeCode("### Python: a first client", "python"));
    const [runClient] = readmeBlock("### Python: a first client");
    assert.ok(runClient);
    const command = runClient.command.replace("127.0.0.1:8080", new URL(stack.gateway.url).host);
    assert.match((await run(command)).stdout, runClient.expect);
  });
});
