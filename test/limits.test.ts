import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Code } from "@connectrpc/connect";
import { ErrorInfoSchema, RetryInfoSchema } from "../gen/google/rpc/error_details_pb.ts";
import { writeTemp } from "./support/certs.ts";
import { rejection } from "./support/expect-error.ts";
import { startGatewayProcess } from "./support/gateway-process.ts";
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

describe("the default stream cap comes from what the process may use", () => {
  /** The listening line's stream cap and what decided it. */
  async function capOf(env: Record<string, string>): Promise<{ cap: number; from: string | undefined }> {
    const gateway = await startGatewayProcess(env);
    try {
      const line = gateway.logs.find((l) => l.includes("vertexchat listening")) ?? "";
      const fields = JSON.parse(line) as { max_concurrent_streams: number; max_concurrent_streams_from?: string };
      return { cap: fields.max_concurrent_streams, from: fields.max_concurrent_streams_from };
    } finally {
      await gateway.stop();
    }
  }

  test("a smaller heap gives a smaller cap, by the documented rule; a set number is kept as it is", async () => {
    const small = await capOf({ NODE_OPTIONS: "--max-semi-space-size=8 --max-old-space-size=128" });
    const large = await capOf({ NODE_OPTIONS: "--max-old-space-size=1024" });
    const set = await capOf({ VERTEXCHAT_MAX_CONCURRENT_STREAMS: "300" });
    for (const { cap, from } of [small, large]) {
      const heap = /^heap limit (\d+) MiB$/.exec(from ?? "");
      const files = /^open files limit (\d+)$/.exec(from ?? "");
      assert.ok(heap || files, `unexpected reason ${from}`);
      // README: three quarters of the limit, less 48 MiB idle, at 64 KiB a stream; or two sockets a stream.
      if (heap) assert.ok(Math.abs(cap - (Number(heap[1]) * 0.75 - 48) * 16) <= 16, `${cap} for ${from}`);
      if (files) assert.equal(cap, Math.floor((Number(files[1]) - 64) / 2));
    }
    if (small.from?.startsWith("heap") && large.from?.startsWith("heap")) assert.ok(small.cap < large.cap);
    assert.ok(small.cap < 2000, `a heap capped at 128 MiB holds ${small.cap} streams`);
    assert.deepEqual(set, { cap: 300, from: undefined });
  });
});
