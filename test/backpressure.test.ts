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

/**
 * A stream whose caller reads its first bytes and then nothing more, once the upstream has stopped writing (what it
 * wrote fills the buffers between it and the caller).
 */
async function stalledStream(session: http2.ClientHttp2Session): Promise<http2.ClientHttp2Stream> {
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
  let previous = -1;
  for (let i = 0; i < 50 && written() !== previous; i++) {
    previous = written();
    await sleep(200);
  }
  return stream;
}

test("a caller that stops reading holds the upstream back instead of the gateway buffering the answer", async () => {
  // HTTP/2 flow control bounds what a caller that does not read can be sent; the rest must wait upstream.
  const session = http2.connect(stack.gateway.url);
  session.on("error", () => undefined);
  try {
    const stream = await stalledStream(session);
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

test("a caller that cancels while it is not reading ends the call: the upstream request is aborted, the stream closed", async () => {
  // The gateway's writes wait for the caller; a reset must end that wait and the call, not leave both holding the
  // upstream request and what it wrote.
  const session = http2.connect(stack.gateway.url);
  session.on("error", () => undefined);
  try {
    const stream = await stalledStream(session);
    const upstream = stack.emulator.requests.at(-1);
    stream.close(http2.constants.NGHTTP2_CANCEL);
    for (let i = 0; i < 100 && upstream?.closedAt === undefined; i++) await sleep(100);
    assert.ok(upstream?.closedAt !== undefined, "the upstream request was still open 10 s after the caller cancelled");
    assert.equal(upstream?.aborted, true);
    // The call itself ends too: its write loop stops waiting, and the stream no longer counts against the cap.
    for (let i = 0; i < 100 && stack.gateway.streams.active > 0; i++) await sleep(100);
    assert.equal(stack.gateway.streams.active, 0, "the cancelled stream still counts as open 10 s later");
  } finally {
    session.destroy();
  }
});
