/**
 * A Java author builds README's first Java client, saved as written into a copy of the examples/java Maven setup
 * (with proto/ where the pom looks for it), and runs it against a live gateway.
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
const HEADING = "### Java: a first client";

describe("README's first Java client", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  test("builds with the example's pom and runs: unary, a rebuilt stream, a decoded error", {
    timeout: 15 * 60_000,
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), "vertexchat-java-"));
    cpSync(join(root, "proto"), join(dir, "proto"), { recursive: true });
    const source = join(dir, "examples/java/src/main/java/dev/vertexchat/example");
    mkdirSync(source, { recursive: true });
    cpSync(join(root, "examples/java/pom.xml"), join(dir, "examples/java/pom.xml"));
    writeFileSync(join(source, "Main.java"), readmeCode(HEADING, "java"));
    const [run] = readmeBlock(HEADING);
    assert.ok(run);
    const command = run.command.replace("127.0.0.1:8080", new URL(stack.gateway.url).host);
    const { stdout } = await promisify(execFile)("bash", ["-c", command], { cwd: dir, maxBuffer: 16 * 1024 * 1024 });
    assert.match(stdout, run.expect);
  });
});
