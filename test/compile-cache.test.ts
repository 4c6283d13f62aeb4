/**
 * Cold start: the process entry turns on Node's compile cache before the gateway's modules load, and
 * `--fill-compile-cache` (what the container image runs at build time) fills it without serving, so that a start
 * reads the gateway's compiled code instead of stripping types and compiling every module again.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import { promisify } from "node:util";
import { startGatewayProcess } from "./support/gateway-process.ts";

const MAIN = new URL("../src/main.ts", import.meta.url).pathname;
const dirs: string[] = [];
const cacheDir = () => {
  const dir = mkdtempSync(join(tmpdir(), "vertexchat-compile-cache-"));
  dirs.push(dir);
  return dir;
};
const entries = (dir: string) => readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());

describe("Node's compile cache", () => {
  after(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  test("--fill-compile-cache compiles every module the gateway loads into the cache and exits without serving", async () => {
    const dir = cacheDir();
    const run = await promisify(execFile)(process.execPath, [MAIN, "--fill-compile-cache"], {
      env: { PATH: process.env.PATH ?? "", NODE_COMPILE_CACHE: dir },
    });
    assert.doesNotMatch(run.stdout + run.stderr, /listening/);
    assert.ok(entries(dir).length > 500, `${entries(dir).length} cache entries`);
  });

  test("a start after the fill reads the gateway's modules from the cache, type stripping included", async () => {
    const dir = cacheDir();
    await promisify(execFile)(process.execPath, [MAIN, "--fill-compile-cache"], {
      env: { PATH: process.env.PATH ?? "", NODE_COMPILE_CACHE: dir },
    });
    const gateway = await startGatewayProcess({ NODE_COMPILE_CACHE: dir, NODE_DEBUG_NATIVE: "COMPILE_CACHE" });
    try {
      const cached = (file: string) =>
        gateway.logs.some((line) => line.includes(`transpile cache for StrippedTypeScript ${file}...success`));
      for (const file of ["src/serve.ts", "src/server/gateway.ts", "src/chat/chat-service.ts"]) {
        assert.ok(cached(new URL(`../${file}`, import.meta.url).href), `${file} came from the cache`);
      }
      assert.ok(
        gateway.logs.some((line) =>
          /V8 code cache for CommonJS \S+\/node_modules\/undici\/index\.js was accepted/.test(line),
        ),
        "dependencies' compiled code came from the cache",
      );
    } finally {
      await gateway.stop();
    }
  });

  test("a plain start fills the cache itself, and NODE_DISABLE_COMPILE_CACHE=1 leaves it alone", async () => {
    const dir = cacheDir();
    const off = await startGatewayProcess({ NODE_COMPILE_CACHE: dir, NODE_DISABLE_COMPILE_CACHE: "1" });
    await off.stop();
    assert.equal(entries(dir).length, 0);
    const on = await startGatewayProcess({ NODE_COMPILE_CACHE: dir });
    await on.stop();
    assert.ok(entries(dir).length > 500, `${entries(dir).length} cache entries`);
  });
});
