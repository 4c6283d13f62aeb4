import assert from "node:assert/strict";
import http2 from "node:http2";
import { after, before, test } from "node:test";
import { connectEnvelope, userRequestJson } from "./support/requests.ts";
import { type Stack, startStack } from "./support/stack.ts";

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack.close();
});

const written = () => stack.emulator.requests.at(-1)?.chunksSent ?? 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test("a caller that stops reading holds the upstream back instead of the gateway buffering the answer", async () => {
  // HTTP/2 flow control bounds what a caller that does not read can be sent; the rest must wait upstream.
  const session = http2.connect(stack.gateway.url);
  session.on("error", () => undefined);
  try {
    const stream = session.request({
      ":method": "POST",
      ":path": "/vertexchat.v1.ChatService/StreamChatCompletion",
      "content-type": "application/connect+json",
    });
    stream.on("error", () => undefined);
    const firstBytes = new Promise<void>((resolve) =>
      stream.once("data", () => {
        stream.pause();
        resolve();
      }),
    );
    stream.end(connectEnvelope(userRequestJson("[[emulate words=300000]]")));
    await firstBytes;
    // Wait until the upstream has stopped: what it wrote fills the buffers between it and the caller.
    let previous = -1;
    for (let i = 0; i < 50 && written() !== previous; i++) {
      previous = written();
      await sleep(200);
    }
    const stoppedAt = written();
    await sleep(1000);
    assert.equal(written(), stoppedAt, "the upstream kept writing while the caller read nothing");
    assert.ok(stoppedAt < 300_000, `the whole answer (${stoppedAt} chunks) went through a caller that reads nothing`);

    // Reading again lets the answer flow to its end.
    stream.resume();
    stream.on("data", () => undefined);
    await new Promise((resolve) => stream.once("end", resolve));
    assert.equal(written(), 300_001);
  } finally {
    session.destroy();
  }
});

test("a caller that cancels while it is not reading ends the call: the upstream request is aborted", async () => {
  // On HTTP/2 a stream reset while the gateway's writes wait for the caller emits neither 'drain' nor 'close'
  // on the server's stream (Node keeps the unsent bytes until the session ends); the call must end anyway.
  const session = http2.connect(stack.gateway.url);
  session.on("error", () => undefined);
  try {
    const stream = session.request({
      ":method": "POST",
      ":path": "/vertexchat.v1.ChatService/StreamChatCompletion",
      "content-type": "application/connect+json",
    });
    stream.on("error", () => undefined);
    const firstBytes = new Promise<void>((resolve) =>
      stream.once("data", () => {
        stream.pause();
        resolve();
      }),
    );
    stream.end(connectEnvelope(userRequestJson("[[emulate words=300000]]")));
    await firstBytes;
    const upstream = stack.emulator.requests.at(-1);
    let previous = -1;
    for (let i = 0; i < 50 && written() !== previous; i++) {
      previous = written();
      await sleep(200);
    }
    stream.close(http2.constants.NGHTTP2_CANCEL);
    for (let i = 0; i < 100 && upstream?.closedAt === undefined; i++) await sleep(100);
    assert.ok(upstream?.closedAt !== undefined, "the upstream request was still open 10 s after the caller cancelled");
    assert.equal(upstream?.aborted, true);
  } finally {
    session.destroy();
  }
});
