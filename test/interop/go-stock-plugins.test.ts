/**
 * A Go author generates from the contract with stock protoc-gen-go and protoc-gen-connect-go, no managed mode, by
 * README's "Go with stock plugins" block as written, in a copy of proto/ — it needs the protos' go_package — and then
 * builds and runs README's first Go client, saved as written, against a live gateway.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { cpSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { readmeBlock, readmeCode } from "../support/readme-blocks.ts";
import { type Stack, startStack } from "../support/stack.ts";

const root = new URL("../..", import.meta.url).pathname;

describe("README's Go sections, with stock plugins", () => {
  const dir = mkdtempSync(join(tmpdir(), "vertexchat-go-stock-"));
  cpSync(join(root, "proto"), join(dir, "proto"), { recursive: true });
  const gobin = join(dir, "bin");
  const env = {
    ...process.env,
    GOBIN: gobin,
    PATH: [gobin, join(root, "node_modules/.bin"), process.env.PATH].join(delimiter),
  };
  const run = (command: string) => promisify(execFile)("bash", ["-c", command], { cwd: dir, env });
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  for (const { command, expect } of readmeBlock("### Go with stock plugins, no managed mode")) {
    test(command.slice(0, 120), { timeout: 10 * 60_000 }, async () => {
      assert.match((await run(command)).stdout, expect);
    });
  }

  const [makeModule, runClient] = readmeBlock("### Go: a first client");
  test("the first client's module is made as README says", async () => {
    assert.ok(makeModule && runClient);
    assert.match((await run(makeModule.command)).stdout, makeModule.expect);
    writeFileSync(join(dir, "client", "main.go"), readmeCode("### Go: a first client", "go"));
  });

  test("the first client runs against the gateway: unary, a rebuilt stream, a decoded error", {
    timeout: 10 * 60_000,
  }, async () => {
    assert.ok(runClient);
    const command = runClient.command.replace("http://127.0.0.1:8080", stack.gateway.url);
    assert.match((await run(command)).stdout, runClient.expect);
  });
});
