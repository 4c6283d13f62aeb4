import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../gen/google/rpc/error_details_pb.ts";
import { userRequest } from "./support/requests.ts";
import { PROTOCOLS, type Stack, startStack } from "./support/stack.ts";

async function rejection(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (err) {
    return ConnectError.from(err);
  }
  assert.fail("expected the call to fail");
}

describe("errors say what to fix", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  for (const protocol of PROTOCOLS) {
    test(`${protocol}: an unknown model is NOT_FOUND naming the model and what is served, with no upstream call`, async () => {
      const before = stack.emulator.requests.length;
      const err = await rejection(stack.client(protocol).createChatCompletion(userRequest("hi", { model: "gpt-4o" })));
      assert.equal(err.code, Code.NotFound);
      assert.match(
        err.rawMessage,
        /model "gpt-4o" is not served by this gateway; use one of: .*google\/gemini-2\.5-flash/,
      );
      assert.equal(err.findDetails(ErrorInfoSchema)[0]?.reason, "UNKNOWN_MODEL");
      assert.equal(stack.emulator.requests.length, before);
    });

    test(`${protocol}: a request with no messages is INVALID_ARGUMENT with a BadRequest on messages`, async () => {
      const request = userRequest("x");
      request.messages = [];
      const err = await rejection(stack.client(protocol).createChatCompletion(request));
      assert.equal(err.code, Code.InvalidArgument);
      assert.match(err.rawMessage, /messages: must contain at least 1 item\(s\); send at least one message/);
      const violations = err.findDetails(BadRequestSchema)[0]?.fieldViolations ?? [];
      assert.deepEqual(
        violations.map((v) => [v.field, v.reason]),
        [["messages", "REPEATED_MIN_ITEMS"]],
      );
    });
  }

  test("a model Vertex does not know is UNKNOWN_MODEL, as one no route serves is, with Vertex's own message", async () => {
    const err = await rejection(
      stack.client().createChatCompletion(userRequest("hi", { model: "google/gemini-9-ultra" })),
    );
    assert.equal(err.code, Code.NotFound);
    assert.match(
      err.rawMessage,
      /Publisher Model `publishers\/google\/models\/gemini-9-ultra` not found in location global/,
    );
    const info = err.findDetails(ErrorInfoSchema)[0];
    assert.equal(info?.reason, "UNKNOWN_MODEL");
    assert.deepEqual(
      [info?.metadata.http_status, info?.metadata.google_status, info?.metadata.model, info?.metadata.location],
      ["404", "NOT_FOUND", "google/gemini-9-ultra", "global"],
    );
    assert.match(
      info?.metadata.upstream_message ?? "",
      /^Publisher Model `publishers\/google\/models\/gemini-9-ultra`/,
    );
  });

  test("returns RESOURCE_EXHAUSTED with RetryInfo when Vertex answers 429", async () => {
    const err = await rejection(
      stack
        .client("grpc")
        .createChatCompletion(
          userRequest('[[emulate status=429 message="Resource has been exhausted (e.g. check quota)."]]'),
        ),
    );
    assert.equal(err.code, Code.ResourceExhausted);
    assert.match(err.rawMessage, /Resource has been exhausted \(e\.g\. check quota\)\./);
    assert.equal(err.findDetails(RetryInfoSchema)[0]?.retryDelay?.seconds, 1n);
  });

  test("a 429 on a stream ends the stream with RESOURCE_EXHAUSTED before any event", async () => {
    const events: unknown[] = [];
    const err = await rejection(
      (async () => {
        for await (const e of stack.client("grpc").streamChatCompletion(userRequest("[[emulate status=429]]")))
          events.push(e);
      })(),
    );
    assert.equal(err.code, Code.ResourceExhausted);
    assert.equal(events.length, 0);
  });

  test("a stream cut off upstream ends in an error, never a clean end", async () => {
    const err = await rejection(
      (async () => {
        for await (const _ of stack
          .client("grpc")
          .streamChatCompletion(userRequest("[[emulate words=20 reset_after=5]]"))) {
          // drain
        }
      })(),
    );
    assert.equal(err.code, Code.Unavailable);
  });

  test("cancelling a stream aborts the upstream request", async () => {
    const controller = new AbortController();
    const client = stack.client("grpc");
    const stream = client.streamChatCompletion(userRequest("[[emulate words=200 pacing_ms=20]]"), {
      signal: controller.signal,
    });
    let received = 0;
    await rejection(
      (async () => {
        for await (const _ of stream) {
          if (++received === 5) controller.abort();
        }
      })(),
    );
    const seen = stack.emulator.requests.at(-1);
    for (let i = 0; i < 100 && !seen?.aborted; i++) await sleep(20);
    assert.equal(seen?.aborted, true, "the emulator saw the upstream request aborted");
  });

  test("a deadline shorter than the answer is DEADLINE_EXCEEDED and aborts the upstream request", async () => {
    const err = await rejection(
      stack.client("grpc").createChatCompletion(userRequest("[[emulate delay_ms=2000]]"), { timeoutMs: 200 }),
    );
    assert.equal(err.code, Code.DeadlineExceeded);
    const seen = stack.emulator.requests.at(-1);
    for (let i = 0; i < 150 && !seen?.aborted; i++) await sleep(20);
    assert.equal(seen?.aborted, true);
  });
});
