/**
 * Walks the error catalogue (src/rpc/error-catalogue.ts, rendered as README's error table): each reason is
 * produced end to end, on real gateways in front of the emulator or a hostile upstream, and arrives with the code
 * the table gives, ErrorInfo (domain vertexchat) and RetryInfo exactly when the table says a retry can help. The
 * last test checks that no reason of the table went unproduced.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { fromBinary } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { codeToHttpStatus } from "@connectrpc/connect/protocol-connect";
import { ErrorInfoSchema, RetryInfoSchema } from "../gen/google/rpc/error_details_pb.ts";
import { Health } from "../gen/grpc/health/v1/health_pb.ts";
import { ChatService } from "../gen/vertexchat/v1/chat_service_pb.ts";
import { TrafficTier } from "../gen/vertexchat/v1/options_pb.ts";
import { ERROR_CATALOGUE, type ErrorReason } from "../src/rpc/error-catalogue.ts";
import { writeTemp } from "./support/certs.ts";
import { rejection, streamFailure } from "./support/expect-error.ts";
import { isolatedCredentialsEnv, startGatewayProcess } from "./support/gateway-process.ts";
import { startMetadataServer } from "./support/metadata-server.ts";
import { startReplayUpstream } from "./support/replay-upstream.ts";
import { userRequest, userRequestJson } from "./support/requests.ts";
import { rpcLogLine, type Stack, startStack, transportFor } from "./support/stack.ts";

const produced = new Set<ErrorReason>();

/** The error is the catalogue's row for `reason`: its code, its ErrorInfo, RetryInfo exactly when retryable. */
function assertReason(err: ConnectError, reason: ErrorReason): void {
  const entry = ERROR_CATALOGUE[reason];
  assert.equal(Code[err.code], Code[entry.code], `${reason}: ${err.rawMessage}`);
  const info = err.findDetails(ErrorInfoSchema);
  assert.deepEqual(
    info.map((i) => [i.reason, i.domain]),
    [[reason, "vertexchat"]],
    err.rawMessage,
  );
  assert.equal(err.findDetails(RetryInfoSchema).length, entry.retry ? 1 : 0, `${reason}: RetryInfo`);
  produced.add(reason);
}

/** A Connect unary error from a raw HTTP exchange, with its details decoded as a Connect client would. */
async function rawConnectError(res: Response): Promise<ConnectError> {
  const body = (await res.json()) as { code: string; message: string; details?: { type: string; value: string }[] };
  const code = Object.values(Code).find(
    (c) => typeof c === "number" && Code[c].toLowerCase() === body.code.replace(/_/g, ""),
  );
  const err = new ConnectError(body.message, code as Code);
  for (const d of body.details ?? []) err.details.push({ type: d.type, value: Buffer.from(d.value, "base64") });
  // findDetails decodes incoming details by type name; check the bytes decode as the type says.
  for (const d of body.details ?? [])
    if (d.type === ErrorInfoSchema.typeName) fromBinary(ErrorInfoSchema, Buffer.from(d.value, "base64"));
  return err;
}

const callers = writeTemp(
  "catalogue-callers.yaml",
  `callers:
  narrow:
    apiKeys: [narrow-key]
    models: ["google/gemini-2.5-pro"]
  chatty:
    apiKeys: [chatty-key]
    limits: {requestsPerMinute: 1}
  hungry:
    apiKeys: [hungry-key]
    limits: {tokensPerMinute: 1}
  streamer:
    apiKeys: [streamer-key]
    limits: {concurrentStreams: 1}
`,
);

const routing = () => ({
  upstreams: {
    vertex: { kind: "vertex", project: "team-a", locations: ["us-central1"], origin: "emulator" },
    garden: {
      kind: "vertex-endpoint",
      project: "team-a",
      location: "us-central1",
      endpointId: "4455",
      dns: "shared",
      origin: "emulator",
    },
    nowhere: { kind: "openai-compatible", baseUrl: "http://127.0.0.1:1/v1", apiKeyEnv: "CATALOGUE_NOWHERE_KEY" },
  },
  routes: [
    { match: "google/*", upstream: "vertex" },
    { match: "llama-shared", upstream: "garden" },
    { match: "unreachable", upstream: "nowhere" },
  ],
});

describe("every reason of the error catalogue, end to end", () => {
  let main: Stack;
  let small: Stack;
  let guarded: Stack;
  let hostile: Awaited<ReturnType<typeof startReplayUpstream>>;
  let hostileStack: Stack;
  before(async () => {
    process.env.CATALOGUE_NOWHERE_KEY = "sk-nowhere";
    main = await startStack(
      { VERTEXCHAT_RETRY_MAX_ATTEMPTS: "1", VERTEXCHAT_STREAM_IDLE_TIMEOUT_MS: "200" },
      { routing, captureLogs: true },
    );
    small = await startStack({
      VERTEXCHAT_MAX_REQUEST_BYTES: "100000",
      VERTEXCHAT_MAX_CONCURRENT_STREAMS: "1",
      VERTEXCHAT_DEFAULT_TIMEOUT_MS: "300",
    });
    guarded = await startStack({ VERTEXCHAT_AUTH: "api_key", VERTEXCHAT_CALLERS_FILE: callers });
    hostile = await startReplayUpstream();
    hostileStack = await startStack({ VERTEXCHAT_RETRY_MAX_ATTEMPTS: "1" }, { upstreamOrigin: hostile.origin });
  });
  after(async () => {
    for (const stack of [main, small, guarded, hostileStack]) await stack?.close();
    await hostile?.close();
  });

  const post = (stack: Stack, body: string | Uint8Array, headers: Record<string, string>) =>
    fetch(`${stack.gateway.url}/vertexchat.v1.ChatService/CreateChatCompletion`, { method: "POST", body, headers });

  describe("the caller's request", () => {
    test("INVALID_REQUEST: a rule of the contract broken", async () => {
      assertReason(
        await rejection(main.client().createChatCompletion(userRequest("x", { temperature: 5 }))),
        "INVALID_REQUEST",
      );
    });
    test("REQUEST_UNDECODABLE: Connect JSON that does not parse", async () => {
      const res = await post(main, '{"model": "google/gemini-2.5-flash", "messages": [', {
        "content-type": "application/json",
      });
      assertReason(await rawConnectError(res), "REQUEST_UNDECODABLE");
    });
    test("REQUEST_BINARY_UNDECODABLE: binary protobuf that does not parse", async () => {
      const res = await post(main, new Uint8Array([0x0a, 0xff, 0xff, 0xff, 0xff]), {
        "content-type": "application/proto",
      });
      assertReason(await rawConnectError(res), "REQUEST_BINARY_UNDECODABLE");
    });
    test("PROTOCOL_UNSUPPORTED: a request compression the gateway does not accept", async () => {
      const res = await post(main, userRequestJson("hi"), {
        "content-type": "application/json",
        "content-encoding": "zstd",
      });
      assertReason(await rawConnectError(res), "PROTOCOL_UNSUPPORTED");
    });
    test("REQUEST_TOO_LARGE: a message over VERTEXCHAT_MAX_REQUEST_BYTES", async () => {
      for (const protocol of ["grpc", "connect"] as const) {
        const err = await rejection(small.client(protocol).createChatCompletion(userRequest("x".repeat(200_000))));
        assertReason(err, "REQUEST_TOO_LARGE");
      }
    });
    test("UNKNOWN_MODEL and UNKNOWN_SERVICE", async () => {
      assertReason(
        await rejection(main.client().createChatCompletion(userRequest("x", { model: "no-such-model" }))),
        "UNKNOWN_MODEL",
      );
      const health = createClient(Health, transportFor(main.gateway.url, "grpc", "2"));
      assertReason(await rejection(health.check({ service: "no.such.Service" })), "UNKNOWN_SERVICE");
    });
  });

  describe("the OpenAI-compatible REST door", () => {
    /** A REST error is the catalogue's row: the code's HTTP status, the reason as `code`, Retry-After exactly when retryable. */
    const assertRestReason = async (
      res: Response,
      reason: ErrorReason,
      status = codeToHttpStatus(ERROR_CATALOGUE[reason].code),
    ) => {
      const body = (await res.json()) as { error: { code: string; message: string } };
      assert.equal(res.status, status, body.error.message);
      assert.equal(body.error.code, reason);
      assert.equal(res.headers.has("retry-after"), ERROR_CATALOGUE[reason].retry);
      produced.add(reason);
    };
    test("UNKNOWN_ROUTE: a path the REST API does not serve, or the wrong HTTP method (405)", async () => {
      await assertRestReason(await fetch(`${main.gateway.url}/v1/embeddings`, { method: "POST" }), "UNKNOWN_ROUTE");
      const wrongMethod = await fetch(`${main.gateway.url}/v1/chat/completions`);
      assert.equal(wrongMethod.headers.get("allow"), "POST");
      await assertRestReason(wrongMethod, "UNKNOWN_ROUTE", 405);
    });
  });

  describe("who is calling", () => {
    const as = (key: string) => ({ headers: { "x-api-key": key } });
    test("CALLER_UNAUTHENTICATED and CALLER_NOT_ALLOWED", async () => {
      assertReason(await rejection(guarded.client().createChatCompletion(userRequest("x"))), "CALLER_UNAUTHENTICATED");
      assertReason(
        await rejection(guarded.client().createChatCompletion(userRequest("x"), as("narrow-key"))),
        "CALLER_NOT_ALLOWED",
      );
    });
    test("CALLER_REQUESTS_PER_MINUTE and CALLER_TOKENS_PER_MINUTE", async () => {
      // Counting windows are calendar minutes: keep both calls inside one.
      const msLeft = 60_000 - (Date.now() % 60_000);
      if (msLeft < 3000) await new Promise((r) => setTimeout(r, msLeft + 50));
      await guarded.client().createChatCompletion(userRequest("1"), as("chatty-key"));
      assertReason(
        await rejection(guarded.client().createChatCompletion(userRequest("2"), as("chatty-key"))),
        "CALLER_REQUESTS_PER_MINUTE",
      );
      await guarded.client().createChatCompletion(userRequest("spend"), as("hungry-key"));
      assertReason(
        await rejection(guarded.client().createChatCompletion(userRequest("more"), as("hungry-key"))),
        "CALLER_TOKENS_PER_MINUTE",
      );
    });
    test("CALLER_CONCURRENT_STREAMS and TOO_MANY_STREAMS", async () => {
      for (const [stack, options, reason] of [
        [guarded, as("streamer-key"), "CALLER_CONCURRENT_STREAMS"],
        [small, {}, "TOO_MANY_STREAMS"],
      ] as const) {
        const controller = new AbortController();
        const open = stack.client("grpc").streamChatCompletion(userRequest("[[emulate words=50 pacing_ms=50]]"), {
          ...options,
          signal: controller.signal,
        });
        const iterator = open[Symbol.asyncIterator]();
        await iterator.next();
        const { error } = await streamFailure(
          stack.client("grpc").streamChatCompletion(userRequest("second"), options),
        );
        assertReason(error, reason);
        controller.abort();
        await iterator.return?.();
      }
    });
  });

  describe("the gateway and the caller's time", () => {
    test("DEADLINE_EXCEEDED: the caller's deadline passed (the server's own status, not the client's timer)", async () => {
      const res = await post(main, userRequestJson("[[emulate delay_ms=3000]]"), {
        "content-type": "application/json",
        "connect-timeout-ms": "300",
      });
      assertReason(await rawConnectError(res), "DEADLINE_EXCEEDED");
    });
    test("CANCELLED: the caller cancelled (seen in the log line: the caller is gone)", async () => {
      const controller = new AbortController();
      const call = main.client().createChatCompletion(userRequest("[[emulate delay_ms=3000]]"), {
        signal: controller.signal,
        headers: { "x-request-id": "cancel-me" },
      });
      setTimeout(() => controller.abort(), 200);
      await rejection(call);
      const line = await rpcLogLine(main, "cancel-me");
      assert.equal(line.code, "Canceled");
      assert.equal(ERROR_CATALOGUE.CANCELLED.code, Code.Canceled);
      produced.add("CANCELLED");
    });
    test("GATEWAY_SHUTTING_DOWN: a stream still running when the grace period ends", async () => {
      const stack = await startStack();
      const stream = stack.client("grpc").streamChatCompletion(userRequest("[[emulate words=100 pacing_ms=50]]"));
      const iterator = stream[Symbol.asyncIterator]();
      await iterator.next();
      const stopped = stack.gateway.shutdown(200);
      const err = await rejection(
        (async () => {
          for (let next = await iterator.next(); !next.done; next = await iterator.next());
        })(),
      );
      assertReason(err, "GATEWAY_SHUTTING_DOWN");
      await stopped;
      await stack.emulator.close();
    });
    test("GATEWAY_CREDENTIALS_MISSING: no Google token can be had", async () => {
      const metadata = await startMetadataServer({ expiresInSeconds: 3600, downForMs: 60_000 });
      const gateway = await startGatewayProcess(
        isolatedCredentialsEnv({
          GOOGLE_CLOUD_PROJECT: "test-project",
          GOOGLE_CLOUD_LOCATION: "us-central1",
          VERTEXCHAT_VERTEX_ORIGIN: main.emulator.origin,
          GCE_METADATA_HOST: metadata.host,
        }),
      );
      try {
        await new Promise((resolve) => setTimeout(resolve, 1_500));
        const chat = createClient(ChatService, transportFor(gateway.url, "grpc", "2"));
        assertReason(await rejection(chat.createChatCompletion(userRequest("hi"))), "GATEWAY_CREDENTIALS_MISSING");
      } finally {
        await gateway.stop();
        await metadata.close();
      }
    });
  });

  describe("the model endpoint", () => {
    test("PRIORITY_NEEDS_GLOBAL: the priority tier for a model routed only to a region", async () => {
      const priority = userRequest("x", { google: { trafficTier: TrafficTier.PRIORITY } });
      const err = await rejection(main.client().createChatCompletion(priority));
      assertReason(err, "PRIORITY_NEEDS_GLOBAL");
      assert.match(err.rawMessage, /global/);
    });
    test("ENDPOINT_REQUEST_TOO_LARGE and ENDPOINT_CANNOT_STREAM: a shared-DNS Model Garden endpoint", async () => {
      const big = userRequest("x".repeat(1_600_000), { model: "llama-shared" });
      assertReason(await rejection(main.client("grpc").createChatCompletion(big)), "ENDPOINT_REQUEST_TOO_LARGE");
      const { error } = await streamFailure(
        main.client("grpc").streamChatCompletion(userRequest("x", { model: "llama-shared" })),
      );
      assertReason(error, "ENDPOINT_CANNOT_STREAM");
    });
    const answers: [string, ErrorReason][] = [
      ["status=400", "UPSTREAM_INVALID_ARGUMENT"],
      ["status=400 google_status=FAILED_PRECONDITION", "UPSTREAM_FAILED_PRECONDITION"],
      ["status=418", "UPSTREAM_REJECTED"],
      ["status=401", "UPSTREAM_CREDENTIALS_REJECTED"],
      ["status=403", "UPSTREAM_PERMISSION_DENIED"],
      ["status=404", "UPSTREAM_NOT_FOUND"],
      ["status=429", "UPSTREAM_RESOURCE_EXHAUSTED"],
      ["status=499", "UPSTREAM_CANCELLED"],
      ["status=500", "UPSTREAM_INTERNAL"],
      ["status=503", "UPSTREAM_UNAVAILABLE"],
      ["status=504", "UPSTREAM_DEADLINE_EXCEEDED"],
    ];
    for (const [directive, reason] of answers) {
      test(`${reason}: Vertex answered ${directive}`, async () => {
        const text = `[[emulate ${directive}]]`;
        assertReason(await rejection(main.client("grpc").createChatCompletion(userRequest(text))), reason);
      });
    }
    test("UPSTREAM_UNREACHABLE, UPSTREAM_TIMEOUT", async () => {
      assertReason(
        await rejection(main.client().createChatCompletion(userRequest("x", { model: "unreachable" }))),
        "UPSTREAM_UNREACHABLE",
      );
      assertReason(
        await rejection(small.client().createChatCompletion(userRequest("[[emulate delay_ms=3000]]"))),
        "UPSTREAM_TIMEOUT",
      );
    });
    test("UPSTREAM_STALLED, UPSTREAM_STREAM_BROKEN", async () => {
      for (const [fault, reason] of [
        ["stall_after=2", "UPSTREAM_STALLED"],
        ["reset_after=2", "UPSTREAM_STREAM_BROKEN"],
      ] as const) {
        const { error } = await streamFailure(
          main.client("grpc").streamChatCompletion(userRequest(`[[emulate words=8 pacing_ms=20 ${fault}]]`)),
        );
        assertReason(error, reason);
      }
    });
    test("UPSTREAM_MALFORMED: an answer that is not a chat completion", async () => {
      hostile.next = { status: 200, contentType: "application/json", body: '{"not":"a chat completion"}' };
      assertReason(await rejection(hostileStack.client().createChatCompletion(userRequest("x"))), "UPSTREAM_MALFORMED");
    });
  });

  test("every reason of the catalogue was produced above (GATEWAY_INTERNAL, a gateway fault, has a spec of its own)", () => {
    const missing = Object.keys(ERROR_CATALOGUE).filter(
      (reason) => reason !== "GATEWAY_INTERNAL" && !produced.has(reason as ErrorReason),
    );
    assert.deepEqual(missing, []);
  });
});
