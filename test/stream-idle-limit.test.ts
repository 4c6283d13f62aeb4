import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError } from "@connectrpc/connect";
import { userRequest } from "./support/requests.ts";
import { type Stack, startStack } from "./support/stack.ts";

/**
 * The idle limit holds from the first chunk on, whatever the first-chunk limit is: here the first-chunk limit keeps
 * its 300 s default, so a gateway that left the stall timer armed for it would let these streams hang for minutes.
 */
describe("a stream that goes silent after its first chunks is ended by the idle limit", () => {
  let stack: Stack;
  const IDLE_MS = 300;
  before(async () => {
    stack = await startStack({ VERTEXCHAT_STREAM_IDLE_TIMEOUT_MS: String(IDLE_MS) });
  });
  after(() => stack.close());

  for (const chunks of [1, 3]) {
    test(`${chunks} chunk(s), then silence: UNAVAILABLE after the idle limit, and the upstream request aborted`, async () => {
      const before = stack.emulator.requests.length;
      let lastEventAt = 0;
      let events = 0;
      let error: unknown;
      try {
        const stream = stack
          .client("grpc")
          .streamChatCompletion(userRequest(`[[emulate words=8 pacing_ms=10 stall_after=${chunks}]]`), {
            timeoutMs: 20_000,
          });
        for await (const _ of stream) {
          events++;
          lastEventAt = performance.now();
        }
      } catch (err) {
        error = err;
      }
      const silentMs = performance.now() - lastEventAt;
      assert.ok(error, "the stream must fail, not end cleanly");
      const failure = ConnectError.from(error);
      assert.equal(failure.code, Code.Unavailable, failure.rawMessage);
      assert.match(failure.rawMessage, new RegExp(`sent no next chunk within ${IDLE_MS} ms`));
      assert.ok(events >= 1, "the chunks before the stall reached the caller");
      // Not a timing test: the bound only separates "the idle limit fired" from "the 300 s first-chunk limit did"
      // (the message above already says which limit fired; the 20 s deadline would answer DEADLINE_EXCEEDED).
      assert.ok(silentMs < 10_000, `ended ${silentMs.toFixed(0)} ms after the last chunk`);
      const request = stack.emulator.requests[before];
      for (let i = 0; i < 100 && request?.closedAt === undefined; i++) await sleep(20);
      assert.equal(request?.aborted, true, "the gateway closed the stalled upstream request");
    });
  }
});
