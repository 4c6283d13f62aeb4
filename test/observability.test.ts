import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import { connect } from "node:http2";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { rejection } from "./support/expect-error.ts";
import { userRequest } from "./support/requests.ts";
import { rpcLogLine, type Stack, startStack } from "./support/stack.ts";

describe("logs and metrics", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({}, { captureLogs: true });
  });
  after(() => stack.close());

  test("one JSON line per RPC with its facts, the request id taken from the caller and returned", async () => {
    let header: Headers | undefined;
    const secret = "my secret prompt text";
    await stack.client("grpc").createChatCompletion(userRequest(secret), {
      headers: { "x-request-id": "req-123", authorization: "Bearer sk-do-not-log" },
      onHeader: (h) => (header = h),
    });
    assert.equal(header?.get("x-request-id"), "req-123");
    const line = stack.logs.find((l) => l.msg === "rpc" && l.request_id === "req-123");
    assert.ok(line, JSON.stringify(stack.logs));
    assert.deepEqual(
      [line.method, line.model, line.upstream, line.location, line.code, line.caller, line.attempts],
      [
        "vertexchat.v1.ChatService/CreateChatCompletion",
        "google/gemini-2.5-flash",
        "vertex",
        "global",
        "OK",
        "anonymous",
        1,
      ],
    );
    assert.ok(Number(line.latency_ms) > 0);
    assert.ok(Number(line.total_tokens) > 0);
    const everything = JSON.stringify(stack.logs);
    assert.ok(!everything.includes(secret), "prompt text is never logged");
    assert.ok(!everything.includes("sk-do-not-log"), "credentials are never logged");
  });

  test("streams log time to first token; failures log their code and a new request id", async () => {
    for await (const _ of stack.client("grpc").streamChatCompletion(userRequest("stream me"))) {
      // drain
    }
    const streamLine = stack.logs.findLast((l) => l.method === "vertexchat.v1.ChatService/StreamChatCompletion");
    assert.ok(Number(streamLine?.ttft_ms) >= 0);
    const err = await rejection(stack.client().createChatCompletion(userRequest("[[emulate status=404]]")));
    const failed = stack.logs.findLast((l) => l.code === "NotFound");
    assert.match(String(failed?.request_id), /^[0-9a-f-]{36}$/);
    assert.equal(err.metadata.get("x-request-id"), failed?.request_id);
  });

  test("Prometheus metrics on the admin port: RPCs by method and code, upstream attempts, tokens, TTFT", async () => {
    await stack.client().createChatCompletion(userRequest("count me"));
    const text = await (await fetch(`${stack.gateway.adminUrl}/metrics`)).text();
    assert.match(
      text,
      /grpc_server_handled_total\{grpc_service="vertexchat\.v1\.ChatService",grpc_method="CreateChatCompletion",grpc_code="OK",door="contract"\} [1-9]/,
    );
    assert.match(text, /grpc_server_handled_total\{[^}]*grpc_code="NotFound"[^}]*\} [1-9]/);
    assert.match(text, /grpc_server_handling_seconds_bucket\{[^}]*grpc_method="CreateChatCompletion"/);
    assert.match(
      text,
      /vertexchat_upstream_request_seconds_count\{upstream="vertex",location="global",status="200"\} [1-9]/,
    );
    assert.match(text, /vertexchat_upstream_errors_total\{upstream="vertex",location="global",status="404"\} [1-9]/);
    assert.match(
      text,
      /vertexchat_tokens_total\{model="google\/gemini-2\.5-flash",caller="anonymous",kind="prompt"\} [1-9]/,
    );
    assert.match(text, /vertexchat_time_to_first_token_seconds_count\{model="google\/gemini-2\.5-flash"\} [1-9]/);
    assert.match(text, /process_resident_memory_bytes/);
    assert.match(text, /^vertexchat_streams_active 0$/m);
  });
});

describe("calls refused before a handler runs are counted and logged too", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ VERTEXCHAT_MAX_REQUEST_BYTES: "100000" }, { captureLogs: true });
  });
  after(() => stack.close());

  const path = "/vertexchat.v1.ChatService/CreateChatCompletion";
  const line = (requestId: string) => rpcLogLine(stack, requestId);
  const handled = async (method: string, code: string) => {
    const text = await (await fetch(`${stack.gateway.adminUrl}/metrics`)).text();
    const [service, name] = method.includes("/") ? method.split("/") : [method, method];
    const pattern = new RegExp(
      `grpc_server_handled_total\\{grpc_service="${service?.replace(/\./g, "\\.")}",grpc_method="${name}",grpc_code="${code}",door="contract"\\} (\\d+)`,
    );
    return Number(pattern.exec(text)?.[1] ?? 0);
  };
  const cases: [string, () => Promise<unknown>, string, string, string][] = [
    // [what, send, method, code, model logged]
    [
      "a gRPC message over the size limit",
      () =>
        rejection(
          stack
            .client("grpc")
            .createChatCompletion(userRequest("x".repeat(200_000)), { headers: { "x-request-id": "too-big" } }),
        ),
      "vertexchat.v1.ChatService/CreateChatCompletion",
      "ResourceExhausted",
      "too-big",
    ],
    [
      "Connect JSON that does not parse",
      () =>
        fetch(`${stack.gateway.url}${path}`, {
          method: "POST",
          body: '{"model": "google/gemini-2.5-flash", "messages": [',
          headers: { "content-type": "application/json", "x-request-id": "bad-json" },
        }),
      "vertexchat.v1.ChatService/CreateChatCompletion",
      "InvalidArgument",
      "bad-json",
    ],
    [
      "a content type no protocol uses (HTTP 415)",
      () =>
        fetch(`${stack.gateway.url}${path}`, {
          method: "POST",
          body: "hello",
          headers: { "content-type": "text/plain", "x-request-id": "bad-type" },
        }),
      "vertexchat.v1.ChatService/CreateChatCompletion",
      "Unknown",
      "bad-type",
    ],
    [
      "an unknown path (HTTP 404)",
      () =>
        fetch(`${stack.gateway.url}/vertexchat.v1.ChatService/NoSuchMethod`, {
          method: "POST",
          body: "{}",
          headers: { "content-type": "application/json", "x-request-id": "no-path" },
        }),
      "unknown",
      "Unimplemented",
      "no-path",
    ],
  ];
  for (const [what, send, method, code, requestId] of cases) {
    test(`${what}: counted as ${code} and logged with its request id`, async () => {
      const before = await handled(method, code);
      await send();
      const logged = await line(requestId);
      assert.deepEqual([logged.method, logged.code], [method, code]);
      assert.equal((await handled(method, code)) - before, 1);
    });
  }

  test("a cut-off gRPC frame is counted and logged", async () => {
    const session = connect(stack.gateway.url);
    const request = session.request({
      ":method": "POST",
      ":path": path,
      "content-type": "application/grpc",
      te: "trailers",
      "x-request-id": "cut-frame",
    });
    // A frame header that promises 100 bytes, then 3 and the end of the stream.
    request.end(Buffer.from([0, 0, 0, 0, 100, 1, 2, 3]));
    request.resume();
    await once(request, "end");
    session.close();
    const logged = await line("cut-frame");
    assert.equal(logged.method, "vertexchat.v1.ChatService/CreateChatCompletion");
    assert.notEqual(logged.code, "OK");
  });

  test("calls refused before routing log the model the request named", async () => {
    await rejection(
      stack.client().createChatCompletion(userRequest("x", { model: "google/gemini-2.5-pro", temperature: 5 }), {
        headers: { "x-request-id": "refused-model" },
      }),
    );
    const logged = await line("refused-model");
    assert.deepEqual(
      [logged.code, logged.model, logged.upstream_model],
      ["InvalidArgument", "google/gemini-2.5-pro", ""],
    );
  });
});

describe("OpenTelemetry tracing", () => {
  let collector: Server;
  const exported: { traceId: string; name: string; kind: number; parentSpanId?: string }[] = [];
  let stack: Stack;
  before(async () => {
    collector = createServer((req, res) => {
      let body = "";
      req.on("data", (c) => (body += c));
      req.on("end", () => {
        const data = JSON.parse(body) as { resourceSpans: { scopeSpans: { spans: typeof exported }[] }[] };
        for (const rs of data.resourceSpans) for (const ss of rs.scopeSpans) exported.push(...ss.spans);
        res.writeHead(200, { "content-type": "application/json" }).end("{}");
      });
    });
    collector.listen(0, "127.0.0.1");
    await once(collector, "listening");
    stack = await startStack({
      VERTEXCHAT_TRACING: "on",
      VERTEXCHAT_OTLP_ENDPOINT: `http://127.0.0.1:${(collector.address() as AddressInfo).port}/v1/traces`,
    });
  });
  after(async () => {
    await stack.close();
    collector.close();
  });

  test("continues the caller's W3C trace: a server span, an upstream span, and traceparent sent upstream", async () => {
    const traceId = "4bf92f3577b34da6a3ce929d0e0e4736";
    await stack.client("grpc").createChatCompletion(userRequest("traced"), {
      headers: { traceparent: `00-${traceId}-00f067aa0ba902b7-01` },
    });
    assert.match(String(stack.emulator.requests.at(-1)?.traceparent), new RegExp(`^00-${traceId}-[0-9a-f]{16}-01$`));
    for (let i = 0; i < 100 && exported.filter((s) => s.traceId === traceId).length < 2; i++) await sleep(50);
    const spans = exported.filter((s) => s.traceId === traceId);
    const server = spans.find((s) => s.name === "vertexchat.v1.ChatService/CreateChatCompletion");
    const client = spans.find((s) => s.name === "POST chat/completions");
    assert.ok(server && client, JSON.stringify(spans));
    assert.equal(server.parentSpanId, "00f067aa0ba902b7");
    const upstreamSpanId = String(stack.emulator.requests.at(-1)?.traceparent).split("-")[2];
    assert.equal((client as { spanId?: string }).spanId, upstreamSpanId);
  });
});
