import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { createServer } from "node:net";
import { after, before, describe, test } from "node:test";

const MAIN = new URL("../src/main.ts", import.meta.url).pathname;

/** Runs the gateway as `npm start` does, to its exit; what it printed and its exit code. */
async function run(env: Record<string, string>): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? "", VERTEXCHAT_LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (d) => {
    output += d;
  });
  child.stderr.on("data", (d) => {
    output += d;
  });
  const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
  const [code] = (await once(child, "exit")) as [number | null];
  clearTimeout(timer);
  return { code, output };
}

describe("start-up mistakes are explained in one line, with exit code 2", () => {
  const taken = createServer();
  let port = 0;
  before(async () => {
    taken.listen(0, "127.0.0.1");
    await once(taken, "listening");
    port = (taken.address() as AddressInfo).port;
  });
  after(() => taken.close());

  for (const setting of ["VERTEXCHAT_LISTEN", "VERTEXCHAT_ADMIN_LISTEN"]) {
    test(`${setting} on a port in use names the setting, the address and the fix; no stack trace`, async () => {
      const other = setting === "VERTEXCHAT_LISTEN" ? "VERTEXCHAT_ADMIN_LISTEN" : "VERTEXCHAT_LISTEN";
      const { code, output } = await run({ [setting]: `127.0.0.1:${port}`, [other]: "127.0.0.1:0" });
      assert.equal(code, 2, output);
      assert.match(
        output,
        new RegExp(`configuration error: ${setting}=127\\.0\\.0\\.1:${port}: the address is in use`),
      );
      assert.match(output, /choose another port/);
      assert.doesNotMatch(output, /\n\s+at /, "no stack trace");
    });
  }

  for (const [what, path, problem] of [
    [
      "a missing",
      "/nonexistent/upstream-ca.pem",
      /\/nonexistent\/upstream-ca\.pem: cannot read the PEM file of upstream CAs \(ENOENT\); check VERTEXCHAT_UPSTREAM_CA/,
    ],
    ["a non-PEM", MAIN, /VERTEXCHAT_UPSTREAM_CA: .*main\.ts holds no PEM certificate/],
  ] as const) {
    test(`${what} VERTEXCHAT_UPSTREAM_CA file stops start-up naming the setting`, async () => {
      const { code, output } = await run({
        VERTEXCHAT_UPSTREAM_CA: path,
        VERTEXCHAT_LISTEN: "127.0.0.1:0",
        VERTEXCHAT_ADMIN_LISTEN: "127.0.0.1:0",
      });
      assert.equal(code, 2, output);
      assert.match(output, problem);
      assert.doesNotMatch(output, /\n\s+at /, "no stack trace");
    });
  }

  test("a misspelt VERTEXCHAT_ variable is refused, naming the nearest setting", async () => {
    const { code, output } = await run({ VERTEXCHAT_LISTN: "127.0.0.1:0" });
    assert.equal(code, 2, output);
    assert.match(output, /unknown variable VERTEXCHAT_LISTN; did you mean VERTEXCHAT_LISTEN\?/);
  });
});
