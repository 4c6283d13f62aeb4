import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Code } from "@connectrpc/connect";
import { ErrorInfoSchema, RetryInfoSchema } from "../gen/google/rpc/error_details_pb.ts";
import { rejection, streamFailure } from "./support/expect-error.ts";
import { userRequest } from "./support/requests.ts";
import { rpcLogLine, type Stack, startStack } from "./support/stack.ts";

describe("every row of the upstream error table, end to end", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({}, { captureLogs: true });
  });
  after(() => stack.close());

  const rows: [string, string, Code, string, boolean, number][] = [
    // [what, directive, code, ErrorInfo reason, RetryInfo?, attempts]
    ["400 INVALID_ARGUMENT", "status=400", Code.InvalidArgument, "UPSTREAM_INVALID_ARGUMENT", false, 1],
    [
      "400 FAILED_PRECONDITION",
      "status=400 google_status=FAILED_PRECONDITION",
      Code.FailedPrecondition,
      "UPSTREAM_FAILED_PRECONDITION",
      false,
      1,
    ],
    ["401 after a token refresh", "status=401", Code.Unavailable, "UPSTREAM_CREDENTIALS_REJECTED", false, 2],
    ["403", "status=403", Code.PermissionDenied, "UPSTREAM_PERMISSION_DENIED", false, 1],
    ["404", "status=404", Code.NotFound, "UPSTREAM_NOT_FOUND", false, 1],
    ["429", "status=429", Code.ResourceExhausted, "UPSTREAM_RESOURCE_EXHAUSTED", true, 3],
    ["499", "status=499", Code.Canceled, "UPSTREAM_CANCELLED", false, 1],
    ["500", "status=500", Code.Internal, "UPSTREAM_INTERNAL", true, 3],
    ["502", "status=502", Code.Unavailable, "UPSTREAM_UNAVAILABLE", true, 1],
    ["503", "status=503", Code.Unavailable, "UPSTREAM_UNAVAILABLE", true, 3],
    ["504", "status=504", Code.DeadlineExceeded, "UPSTREAM_DEADLINE_EXCEEDED", false, 1],
    ["418 (anything else)", "status=418", Code.FailedPrecondition, "UPSTREAM_REJECTED", false, 1],
  ];
  for (const [what, directive, code, reason, retryInfo, attempts] of rows) {
    test(`Vertex ${what} → ${Code[code]} with ErrorInfo ${reason}${retryInfo ? " and RetryInfo" : ""}, ${attempts} attempt(s)`, async () => {
      const before = stack.emulator.requests.length;
      const text = `${what} [[emulate ${directive} message="Vertex says ${what}."]]`;
      const requestId = `row-${what.replace(/\W+/g, "-")}`;
      const err = await rejection(
        stack.client("grpc").createChatCompletion(userRequest(text), { headers: { "x-request-id": requestId } }),
      );
      assert.equal(err.code, code, err.rawMessage);
      assert.match(err.rawMessage, new RegExp(`Vertex says ${what.replace(/[()]/g, "\\$&")}\\.`));
      const info = err.findDetails(ErrorInfoSchema)[0];
      assert.equal(info?.reason, reason);
      assert.equal(info?.domain, "vertexchat");
      assert.equal(info?.metadata.http_status, directive.slice(7, 10));
      assert.deepEqual(
        [info?.metadata.upstream, info?.metadata.model, info?.metadata.location],
        ["vertex", "google/gemini-2.5-flash", "global"],
      );
      assert.equal(err.findDetails(RetryInfoSchema).length > 0, retryInfo);
      assert.equal(stack.emulator.requests.length - before, attempts);
      // Every upstream request is an attempt in the log line too (a 401's refresh-and-resend included).
      const line = await rpcLogLine(stack, requestId);
      assert.equal(line.attempts, attempts);
    });
  }

  test("a 401 and its resend with a refreshed token are two upstream attempts in the metrics", async () => {
    const errors401 = async () => {
      const text = await (await fetch(`${stack.gateway.adminUrl}/metrics`)).text();
      const m = /vertexchat_upstream_errors_total\{upstream="vertex",location="global",status="401"\} (\d+)/.exec(text);
      return Number(m?.[1] ?? 0);
    };
    const count = await errors401();
    await rejection(stack.client().createChatCompletion(userRequest("[[emulate status=401]]")));
    assert.equal((await errors401()) - count, 2);
  });

  const shapes: [string, RegExp][] = [
    ["array", /Vertex is unavailable: Emulated failure with HTTP 503\./],
    ["object", /Vertex is unavailable: Emulated failure with HTTP 503\./],
    ["html", /HTTP 503 with a body that is not a Google error: Error 503 \(Server Error\)!!1 503\. That’s an error\./],
    ["empty", /HTTP 503 with an empty body/],
    ["truncated", /HTTP 503 with a body that is not a Google error: \[\{"error":\{"code":50/],
  ];
  for (const [shape, message] of shapes) {
    test(`an error body of shape ${shape} still gives a readable message`, async () => {
      const err = await rejection(
        stack.client().createChatCompletion(userRequest(`[[emulate status=503 shape=${shape}]]`)),
      );
      assert.equal(err.code, Code.Unavailable);
      assert.match(err.rawMessage, message);
    });
  }
});

describe("retries: only while nothing reached the caller", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      VERTEXCHAT_STREAM_IDLE_TIMEOUT_MS: "300",
      VERTEXCHAT_STREAM_FIRST_CHUNK_TIMEOUT_MS: "400",
    });
  });
  after(() => stack.close());

  for (const directive of ["status=429", "status=503", "status=500", "drop"]) {
    test(`a transient ${directive} is retried and the caller gets the answer`, async () => {
      const before = stack.emulator.requests.length;
      const res = await stack
        .client()
        .createChatCompletion(userRequest(`retry ${directive} [[emulate ${directive} fail_first=2]]`));
      assert.match(String(res.choices[0]?.message?.content[0]?.kind.value), /says: retry/);
      assert.equal(stack.emulator.requests.length - before, 3);
    });
  }

  test("a stream whose upstream fails before its first chunk is retried", async () => {
    const events = [];
    for await (const e of stack
      .client("grpc")
      .streamChatCompletion(userRequest("s [[emulate status=503 fail_first=1]]")))
      events.push(e);
    assert.equal(events.at(-1)?.event.case, "finished");
  });

  test("a stream that broke after reaching the caller is not retried", async () => {
    const before = stack.emulator.requests.length;
    const { events, error } = await streamFailure(
      stack.client("grpc").streamChatCompletion(userRequest("[[emulate words=10 pacing_ms=30 reset_after=4]]")),
    );
    assert.equal(error.code, Code.Unavailable);
    assert.ok(events.length > 0);
    assert.equal(stack.emulator.requests.length - before, 1);
  });

  test("a retry never outlives the caller's deadline", async () => {
    const slow = await startStack({
      VERTEXCHAT_RETRY_INITIAL_BACKOFF_MS: "5000",
      VERTEXCHAT_RETRY_MAX_BACKOFF_MS: "5000",
    });
    try {
      const started = Date.now();
      const err = await rejection(
        slow.client().createChatCompletion(userRequest("[[emulate status=503]]"), { timeoutMs: 600 }),
      );
      // A 5 s backoff would overshoot the 600 ms deadline: the gateway answers instead of sleeping through it.
      assert.ok(Date.now() - started < 2000, `answered after ${Date.now() - started} ms`);
      assert.ok(err.code === Code.Unavailable || err.code === Code.DeadlineExceeded, Code[err.code]);
    } finally {
      await slow.close();
    }
  });
});

describe("a stream that breaks mid-way ends with an error, never a clean end", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      VERTEXCHAT_STREAM_IDLE_TIMEOUT_MS: "300",
      VERTEXCHAT_STREAM_FIRST_CHUNK_TIMEOUT_MS: "400",
    });
  });
  after(() => stack.close());

  const faults: [string, RegExp][] = [
    ["reset_after=3", /broke off; what was streamed is incomplete: the connection broke mid-stream/],
    ["garbage_after=3", /broke off/],
    ["error_after=3", /error mid-stream: Internal error encountered\./],
    ["no_done", /ended without data: \[DONE\]/],
    ["stall_after=3", /sent no next chunk within 300 ms/],
  ];
  for (const [fault, message] of faults) {
    test(`${fault}: UNAVAILABLE, and no finished event`, async () => {
      const { events, error } = await streamFailure(
        stack.client("grpc").streamChatCompletion(userRequest(`[[emulate words=8 pacing_ms=20 ${fault}]]`)),
      );
      assert.equal(error.code, Code.Unavailable, error.rawMessage);
      assert.match(error.rawMessage, message);
      assert.ok(!events.some((e) => e.event.case === "finished"));
    });
  }

  test("an upstream silent before its first chunk is detected by the first-chunk limit", async () => {
    const { error } = await streamFailure(
      stack.client("grpc").streamChatCompletion(userRequest("[[emulate delay_ms=1500]]")),
    );
    assert.equal(error.code, Code.Unavailable);
    assert.match(error.rawMessage, /sent no first chunk within 400 ms/);
  });

  test("a slow but steady stream is not cut by the idle limit", async () => {
    const events = [];
    for await (const e of stack.client("grpc").streamChatCompletion(userRequest("[[emulate words=6 pacing_ms=200]]")))
      events.push(e);
    assert.equal(events.at(-1)?.event.case, "finished");
  });
});
