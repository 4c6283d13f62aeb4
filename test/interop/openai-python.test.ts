/**
 * Python code written for Vertex's OpenAI-compatible endpoint, with the `openai` package, works against vertexchat
 * by changing its base URL: README's example runs as written, and every call pattern of Google's samples
 * (examples/openai-python/patterns.py) gives the same answers through the gateway as straight from the emulator.
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

describe("the REST door with the openai Python package", () => {
  const dir = mkdtempSync(join(tmpdir(), "vertexchat-openai-python-"));
  mkdirSync(join(dir, "examples/openai-python"), { recursive: true });
  cpSync(join(root, "examples/openai-python/requirements.txt"), join(dir, "examples/openai-python/requirements.txt"));
  const run = (command: string) => promisify(execFile)("bash", ["-c", command], { cwd: dir });
  const [install, runExample] = readmeBlock("### Python with the openai package");
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  test("README's install command", { timeout: 10 * 60_000 }, async () => {
    assert.ok(install);
    assert.match((await run(install.command)).stdout, install.expect);
  });

  test("README's example runs as written", async () => {
    assert.ok(runExample);
    const code = readmeCode("### Python with the openai package", "python");
    writeFileSync(join(dir, "hello_openai.py"), code.replace("http://127.0.0.1:8080", stack.gateway.url));
    assert.match((await run(runExample.command)).stdout, runExample.expect);
  });

  test("every call pattern of Google's samples: the same answers through the gateway as from Vertex itself", async () => {
    const patterns = join(root, "examples/openai-python/patterns.py");
    const answers = async (baseUrl: string) =>
      JSON.parse((await run(`.venv-openai/bin/python ${patterns} ${baseUrl} token`)).stdout) as Record<string, unknown>;
    const [viaGateway, viaVertex] = await Promise.all([
      answers(`${stack.gateway.url}/v1`),
      answers(`${stack.emulator.origin}/v1/projects/local-project/locations/global/endpoints/openapi`),
    ]);
    assert.equal(Object.keys(viaGateway).length, 9);
    for (const pattern of Object.keys(viaVertex)) assert.deepEqual(viaGateway[pattern], viaVertex[pattern], pattern);
  });
});
