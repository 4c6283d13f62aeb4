/**
 * Clients generated from proto/ in Go (connect-go and grpc-go), Python (grpcio) and Java (grpc-java), each a copyable
 * program in examples/, run against a live gateway with the emulator upstream. Each program prints one JSON line per
 * step; this test checks those lines and what the emulator saw (an aborted upstream call after a cancel, the inline
 * bytes as a data URI). Toolchain downloads are made by each example's run.sh and cached under .cache/ and ~/.m2.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { promisify } from "node:util";
import { type Stack, startStack } from "../support/stack.ts";

const root = new URL("../..", import.meta.url).pathname;

const CLIENTS: { name: string; script: string; args: (url: URL) => string[]; tag: string }[] = [
  { name: "Go with connect-go", script: "examples/go/run.sh", args: (u) => ["connect", u.origin], tag: "go" },
  { name: "Go with grpc-go", script: "examples/go/run.sh", args: (u) => ["grpc", u.host], tag: "go" },
  { name: "Python with grpcio", script: "examples/python/run.sh", args: (u) => [u.host], tag: "py" },
  { name: "Java with grpc-java", script: "examples/java/run.sh", args: (u) => [u.host], tag: "java" },
];

describe("generated clients in other languages against the live server", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ VERTEXCHAT_RETRY_INITIAL_BACKOFF_MS: "20" });
  });
  after(() => stack.close());

  for (const client of CLIENTS) {
    test(client.name, { timeout: 20 * 60_000 }, async () => {
      const url = new URL(stack.gateway.url);
      const { stdout } = await promisify(execFile)("bash", [`${root}${client.script}`, ...client.args(url)], {
        cwd: root,
        env: { ...process.env, PATH: `${root}node_modules/.bin:${process.env.PATH}` },
        maxBuffer: 64 * 1024 * 1024,
      });
      const steps = new Map(
        stdout
          .split("\n")
          .filter((line) => line.startsWith("{"))
          .map((line) => JSON.parse(line) as Record<string, unknown>)
          .map((step) => [step.step as string, step]),
      );
      assert.deepEqual(
        [...steps.keys()],
        ["unary", "stream", "error", "deadline", "cancel", "media", "signature"],
        stdout,
      );

      const unary = steps.get("unary");
      assert.match(String(unary?.text), /^Emulated google\/gemini-2\.5-flash says: Hello from (Go|Python|Java)$/);
      assert.equal(unary?.finish, "FINISH_REASON_STOP");
      assert.equal(unary?.location, "global", "the x-vertexchat-location header reached the client");
      assert.ok(Number(unary?.total_tokens) > 0);

      const stream = steps.get("stream");
      assert.match(String(stream?.text), /^Emulated google\/gemini-2\.5-flash says: Stream to (Go|Python|Java)$/);
      assert.equal(stream?.finish, "FINISH_REASON_STOP");

      assert.deepEqual(steps.get("error"), {
        step: "error",
        code: "invalid_argument",
        field: "messages",
        reason: "INVALID_REQUEST",
        upstream_code: "resource_exhausted",
        retry_delay_ms: 1000,
      });
      assert.equal(steps.get("deadline")?.code, "deadline_exceeded");
      assert.match(String(steps.get("cancel")?.code), /^cancell?ed$/);
      assert.equal(steps.get("cancel")?.deltas, 3);
      assert.match(String(steps.get("media")?.text), /media: describe the image$/);
      assert.equal(steps.get("signature")?.signature_bytes, 48);
      assert.equal(steps.get("signature")?.text, 'Tool results: {"temp_c":21}');

      // What the upstream saw: the cancelled stream's request was aborted; the inline bytes arrived as a data URI.
      const sent = (text: string) =>
        stack.emulator.requests.filter((r) => JSON.stringify(r.body?.messages ?? []).includes(text)).at(-1);
      const cancelled = sent(`${client.tag} cancel`);
      for (let i = 0; i < 100 && !cancelled?.aborted; i++) await sleep(20);
      assert.equal(cancelled?.aborted, true, "the gateway aborted its upstream call when the client cancelled");
      assert.ok(JSON.stringify(sent(`${client.tag} media`)?.body).includes("data:image/png;base64,iVBORw0KGgo="));
    });
  }
});
