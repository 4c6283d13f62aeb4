import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { backoffMs, type RetryPolicy, withRetries } from "./retry-policy.ts";
import { UpstreamError, type UpstreamFailure } from "./upstream-failure.ts";

const policy: RetryPolicy = { maxAttempts: 3, initialBackoffMs: 1, maxBackoffMs: 4 };
const http = (status: number): UpstreamFailure => ({
  kind: "http",
  status,
  googleStatus: undefined,
  message: `${status}`,
});
const never = new AbortController().signal;
const farAway = () => Date.now() + 60_000;

/** Runs withRetries over answers given in order (a failure, or "ok"), recording the target of each attempt. */
async function run(answers: (UpstreamFailure | "ok")[], targets = 1, deadlineAt = farAway()) {
  const tried: number[] = [];
  const retries: number[] = [];
  let n = 0;
  const outcome = await withRetries(
    async (target) => {
      tried.push(target);
      const answer = answers[n++] ?? "ok";
      if (answer === "ok") return "ok";
      throw new UpstreamError(answer);
    },
    policy,
    { signal: never, deadlineAt, targets, onRetry: (attempt) => retries.push(attempt) },
  ).catch((err: unknown) => err);
  return { tried, retries, outcome };
}

describe("retry policy", () => {
  test("a 503 is retried on the same target until the attempts are spent", async () => {
    const { tried, outcome } = await run([http(503), http(503), http(503), "ok"]);
    assert.deepEqual(tried, [0, 0, 0]);
    assert.ok(outcome instanceof UpstreamError && outcome.failure.kind === "http" && outcome.failure.status === 503);
  });

  test("a 400 is never retried", async () => {
    const { tried } = await run([http(400)]);
    assert.deepEqual(tried, [0]);
  });

  test("with several targets, a failure another location may not share fails over at once, in order", async () => {
    const { tried, outcome } = await run([http(502), http(429), "ok"], 3);
    assert.deepEqual(tried, [0, 1, 2]);
    assert.equal(outcome, "ok");
  });

  test("a 502 fails over to another location but is not retried on the same one", async () => {
    const { tried } = await run([http(502), http(502)], 2);
    assert.deepEqual(tried, [0, 1]);
  });

  test("no retry is started that cannot finish before the deadline", async () => {
    const { tried, retries } = await run([http(503), "ok"], 1, Date.now() - 1);
    assert.deepEqual([tried, retries], [[0], []]);
  });

  test("an error that is not an UpstreamError (a gateway fault) is thrown at once, never retried", async () => {
    let calls = 0;
    const fault = new TypeError("bug");
    const outcome = await withRetries(
      async () => {
        calls++;
        throw fault;
      },
      policy,
      { signal: never, deadlineAt: farAway() },
    ).catch((err: unknown) => err);
    assert.deepEqual([calls, outcome], [1, fault]);
  });

  test("backoff is full jitter under an exponential cap (random source injected)", () => {
    const p: RetryPolicy = { maxAttempts: 5, initialBackoffMs: 100, maxBackoffMs: 1000 };
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((retry) => backoffMs(retry, p, () => 0.999999)),
      [100, 200, 400, 800, 1000],
    );
    assert.equal(
      backoffMs(3, p, () => 0),
      0,
    );
    assert.equal(
      backoffMs(2, p, () => 0.5),
      100,
    );
  });
});
