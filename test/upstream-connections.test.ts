/**
 * No call waits for an upstream connection: more concurrent streams than the old pool cap (1,024) all reach an
 * HTTP/1.1 upstream at once, and an HTTPS upstream that offers HTTP/2 (as Google's front end does, emulated here
 * over TLS with a CA the gateway is told to trust) carries them multiplexed over few connections.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError } from "@connectrpc/connect";
import { issue, makeCa } from "./support/certs.ts";
import { userRequest } from "./support/requests.ts";
import { type Stack, startStack } from "./support/stack.ts";

/** Opens `count` streams whose upstream answers stall after one chunk; returns a function that ends them all. */
function openStalledStreams(stack: Stack, count: number): () => Promise<void> {
  const abort = new AbortController();
  const client = stack.client("grpc");
  const done = Array.from({ length: count }, async (_, i) => {
    const request = userRequest(`stream ${i} [[emulate stall_after=1]]`);
    try {
      for await (const _event of client.streamChatCompletion(request, { signal: abort.signal })) {
        // Reading keeps the stream flowing until the stall.
      }
    } catch (err) {
      if (ConnectError.from(err).code !== Code.Canceled) throw err;
    }
  });
  return async () => {
    abort.abort();
    await Promise.all(done);
  };
}

/** Waits until the emulator holds `count` requests open at once, or gives up naming how many it saw. */
async function openUpstreamRequests(stack: Stack, count: number): Promise<number> {
  let open = 0;
  for (let i = 0; i < 600 && open < count; i++) {
    await sleep(100);
    open = stack.emulator.requests.filter((r) => r.closedAt === undefined).length;
  }
  return open;
}

describe("an HTTP/1.1 upstream gets a connection per concurrent call", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ VERTEXCHAT_MAX_CONCURRENT_STREAMS: "5000" }, { emulator: { historySize: 5000 } });
  });
  after(() => stack.close());

  test("1,100 concurrent streams are all open upstream at once (none waits for a pooled connection)", async () => {
    const end = openStalledStreams(stack, 1100);
    const open = await openUpstreamRequests(stack, 1100);
    await end();
    assert.equal(open, 1100);
    assert.ok(stack.emulator.requests.every((r) => r.httpVersion === "1.1"));
  });
});

describe("an HTTPS upstream that offers HTTP/2", () => {
  let stack: Stack;
  before(async () => {
    const ca = makeCa("upstream-ca");
    const server = issue(ca, "upstream-emulator");
    stack = await startStack(
      { VERTEXCHAT_UPSTREAM_CA: ca.certFile, VERTEXCHAT_MAX_CONCURRENT_STREAMS: "5000" },
      { emulator: { tls: { key: server.key, cert: server.cert }, historySize: 5000 } },
    );
  });
  after(() => stack.close());

  test("is trusted through VERTEXCHAT_UPSTREAM_CA and spoken to over HTTP/2", async () => {
    const res = await stack.client().createChatCompletion(userRequest("over TLS"));
    assert.match(String(res.choices[0]?.message?.content[0]?.kind.value), /says: over TLS/);
    assert.equal(stack.emulator.requests.at(-1)?.httpVersion, "2.0");
  });

  test("300 concurrent streams share a few connections, each carrying many streams", async () => {
    const before = stack.emulator.connections;
    const end = openStalledStreams(stack, 300);
    const open = await openUpstreamRequests(stack, 300);
    const opened = stack.emulator.connections - before;
    await end();
    assert.equal(open, 300);
    // Streams multiplex over a session up to the stream limit its server sets; here about 2 connections carry 300.
    assert.ok(opened <= 10, `${opened} connections for 300 streams`);
  });
});
