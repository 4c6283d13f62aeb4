import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Code } from "@connectrpc/connect";
import { ErrorInfoSchema, RetryInfoSchema } from "../gen/google/rpc/error_details_pb.ts";
import { writeTemp } from "./support/certs.ts";
import { rejection } from "./support/expect-error.ts";
import { startRedis } from "./support/redis-server.ts";
import { userRequest } from "./support/requests.ts";
import { type Stack, startStack } from "./support/stack.ts";

const callers = writeTemp(
  "limits-callers.yaml",
  `callers:
  chatty:
    apiKeys: [chatty-key]
    limits: {requestsPerMinute: 3}
  streamer:
    apiKeys: [streamer-key]
    limits: {concurrentStreams: 1}
  hungry:
    apiKeys: [hungry-key]
    limits: {tokensPerMinute: 20}
`,
);
const auth = { VERTEXCHAT_AUTH: "api_key", VERTEXCHAT_CALLERS_FILE: callers };
const as = (key: string) => ({ headers: { "x-api-key": key } });

/** Counting windows are calendar minutes: start a counting test well inside one. */
async function awayFromMinuteEdge() {
  const msLeft = 60_000 - (Date.now() % 60_000);
  if (msLeft < 3000) await new Promise((r) => setTimeout(r, msLeft + 50));
}

/** The same limit tests against one gateway (in-memory counters) or two replicas sharing Redis. */
function limitTests(name: string, stacks: () => [Stack, Stack]) {
  describe(name, () => {
    test("requests per minute: the fourth request is RESOURCE_EXHAUSTED with a RetryInfo to the next minute", async () => {
      const [a, b] = stacks();
      await awayFromMinuteEdge();
      await a.client().createChatCompletion(userRequest("1"), as("chatty-key"));
      await b.client().createChatCompletion(userRequest("2"), as("chatty-key"));
      await a.client().createChatCompletion(userRequest("3"), as("chatty-key"));
      const err = await rejection(b.client().createChatCompletion(userRequest("4"), as("chatty-key")));
      assert.equal(err.code, Code.ResourceExhausted);
      assert.match(err.rawMessage, /caller chatty is over its 3 requests per minute/);
      assert.equal(err.findDetails(ErrorInfoSchema)[0]?.reason, "CALLER_REQUESTS_PER_MINUTE");
      const delay = Number(err.findDetails(RetryInfoSchema)[0]?.retryDelay?.seconds ?? -1);
      assert.ok(delay >= 0 && delay <= 60, `retry delay ${delay}`);
    });

    test("concurrent streams: a second stream is refused while the first is open, allowed after", async () => {
      const [a, b] = stacks();
      const controller = new AbortController();
      const open = a.client("grpc").streamChatCompletion(userRequest("[[emulate words=50 pacing_ms=50]]"), {
        ...as("streamer-key"),
        signal: controller.signal,
      });
      const iterator = open[Symbol.asyncIterator]();
      await iterator.next();
      const err = await rejection(
        (async () => {
          for await (const _ of b.client("grpc").streamChatCompletion(userRequest("second"), as("streamer-key"))) {
            // refused before any event
          }
        })(),
      );
      assert.equal(err.code, Code.ResourceExhausted);
      assert.match(err.rawMessage, /caller streamer already has 1 streams open/);
      controller.abort();
      await iterator.return?.();
      let served = false;
      for (let i = 0; i < 50 && !served; i++) {
        try {
          for await (const _ of b.client("grpc").streamChatCompletion(userRequest("third"), as("streamer-key")))
            served = true;
        } catch {
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      assert.ok(served, "the stream slot was released");
    });

    test("tokens per minute, counted from Vertex's usage: once spent, calls are refused", async () => {
      const [a, b] = stacks();
      await awayFromMinuteEdge();
      // Each answer of 30 words costs more than the 20-token budget.
      await a.client().createChatCompletion(userRequest("[[emulate words=30]]"), as("hungry-key"));
      const err = await rejection(b.client().createChatCompletion(userRequest("more"), as("hungry-key")));
      assert.equal(err.code, Code.ResourceExhausted);
      assert.match(err.rawMessage, /caller hungry used its 20 tokens for this minute/);
    });
  });
}

let memory: Stack;
let redisA: Stack;
let redisB: Stack;
let redis: Awaited<ReturnType<typeof startRedis>>;
before(async () => {
  memory = await startStack(auth);
  redis = await startRedis();
  redisA = await startStack({ ...auth, VERTEXCHAT_REDIS_URL: redis.url });
  redisB = await startStack({ ...auth, VERTEXCHAT_REDIS_URL: redis.url });
});
after(async () => {
  await memory.close();
  await redisA.close();
  await redisB.close();
  await redis.stop();
});

limitTests("per-caller limits in one process", () => [memory, memory]);
limitTests("per-caller limits shared by two replicas through a real Redis", () => [redisA, redisB]);
