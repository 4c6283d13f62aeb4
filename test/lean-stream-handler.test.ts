import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { gzipSync } from "node:zlib";
import { create, toBinary, toJson, toJsonString } from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  createClient,
  createConnectRouter,
  createContextValues,
  createRouterTransport,
  type HandlerContext,
  type Interceptor,
  type ServiceImpl,
} from "@connectrpc/connect";
import { encodeEnvelope, type UniversalHandler, type UniversalServerResponse } from "@connectrpc/connect/protocol";
import { compressionBrotli, compressionGzip } from "@connectrpc/connect-node";
import { ErrorInfoSchema } from "../gen/google/rpc/error_details_pb.ts";
import {
  type ChatCompletionRequest,
  ChatCompletionRequestSchema,
  type ChatCompletionResponse,
  ChatCompletionResponseSchema,
  type ChatCompletionStreamResponse,
  ChatCompletionStreamResponseSchema,
  ChatService,
} from "../gen/vertexchat/v1/chat_service_pb.ts";
import { type LeanStreamHandler, leanServerStreaming, leanUnary } from "../src/server/lean-stream-handler.ts";

/** The handler contexts' signals of the "remember-signal" calls. */
const signals: AbortSignal[] = [];

/** A streaming implementation whose behaviour the request's model names. */
async function* scripted(
  req: ChatCompletionRequest,
  ctx: HandlerContext,
): AsyncGenerator<ChatCompletionStreamResponse> {
  const delta = (text: string) =>
    create(ChatCompletionStreamResponseSchema, {
      event: { case: "delta", value: { choiceIndex: 0, delta: { case: "text", value: text } } },
    });
  ctx.responseHeader.set("x-answered-by", "scripted");
  ctx.responseTrailer.set("x-trailer", ctx.requestHeader.get("x-interceptor") ?? "none");
  switch (req.model) {
    case "ok":
      yield delta("one");
      yield delta("two");
      yield {
        event: { case: "delta", value: { delta: { case: "text", value: "an init shape, not a message" } } },
      } as never;
      return;
    case "big":
      yield delta("x".repeat(4096));
      return;
    case "fail-first":
      throw new ConnectError("refused before any message", Code.FailedPrecondition, undefined, [
        { desc: ErrorInfoSchema, value: { reason: "SCRIPTED", domain: "vertexchat.dev" } },
      ]);
    case "fail-later":
      yield delta("one");
      throw new ConnectError("broke mid-stream", Code.Unavailable);
    case "crash":
      yield delta("one");
      throw new TypeError("not a ConnectError");
    case "remember-signal":
      signals.push(ctx.signal);
      yield delta("one");
      yield delta("two");
      return;
    default:
      throw new Error(`unknown script ${req.model}`);
  }
}

/** A unary implementation whose behaviour the request's model names. */
async function scriptedUnary(req: ChatCompletionRequest, ctx: HandlerContext): Promise<ChatCompletionResponse> {
  ctx.responseHeader.set("x-answered-by", "scripted");
  ctx.responseTrailer.set("x-trailer", ctx.requestHeader.get("x-interceptor") ?? "none");
  switch (req.model) {
    case "ok":
      return create(ChatCompletionResponseSchema, { id: "answer", model: "m" });
    case "big":
      return create(ChatCompletionResponseSchema, { id: "x".repeat(4096) });
    case "fail-first":
    case "fail-later":
      throw new ConnectError("refused", Code.FailedPrecondition, undefined, [
        { desc: ErrorInfoSchema, value: { reason: "SCRIPTED", domain: "vertexchat.dev" } },
      ]);
    case "crash":
      throw new TypeError("not a ConnectError");
    case "remember-signal":
      signals.push(ctx.signal);
      return create(ChatCompletionResponseSchema, { id: "remembered" });
    default:
      return { id: "an init shape, not a message" } as never;
  }
}

const service = {
  streamChatCompletion: scripted,
  createChatCompletion: scriptedUnary,
} as unknown as ServiceImpl<typeof ChatService>;
/** Sets a request header, and replaces the response's trailers with a copy plus one of its own. */
const addsHeader: Interceptor = (next) => async (req) => {
  req.header.set("x-interceptor", "ran");
  const res = await next(req);
  const trailer = new Headers(res.trailer);
  trailer.set("x-interceptor-trailer", "set");
  return { ...res, trailer };
};
const options = {
  interceptors: [addsHeader],
  acceptCompression: [compressionGzip, compressionBrotli],
  readMaxBytes: 64 * 1024,
  requestGate: (ctx: HandlerContext) => {
    if (ctx.requestHeader.get("x-refuse") === "yes") throw new ConnectError("gate says no", Code.PermissionDenied);
  },
};

/** A stream's messages (as JSON) and its error (code, message, details), for comparing two ways of calling. */
async function outcome(messages: AsyncIterable<ChatCompletionStreamResponse>) {
  const seen: unknown[] = [];
  try {
    for await (const message of messages) seen.push(toJson(ChatCompletionStreamResponseSchema, message));
    return { messages: seen, error: undefined };
  } catch (err) {
    const error = ConnectError.from(err);
    const details = error.findDetails(ErrorInfoSchema).map((d) => toJson(ErrorInfoSchema, d));
    return { messages: seen, error: { code: error.code, message: error.rawMessage, details } };
  }
}

/** Connect's own handler of a ChatService method, from a router with the test's options. */
function connectHandler(method: (typeof ChatService.methods)[number]): UniversalHandler {
  const router = createConnectRouter(options);
  router.service(ChatService, service);
  const handler = router.handlers.find((h) => h.method === method);
  assert.ok(handler);
  return handler;
}

function handlers(): { connect: UniversalHandler; lean: UniversalHandler } {
  const connect = connectHandler(ChatService.method.streamChatCompletion);
  return { connect, lean: leanServerStreaming(connect, scripted as never, options) };
}

function unaryHandlers(): { connect: UniversalHandler; lean: UniversalHandler } {
  const connect = connectHandler(ChatService.method.createChatCompletion);
  return { connect, lean: leanUnary(connect, scriptedUnary as never, options) };
}

type Wire = "grpc" | "grpc+json" | "connect+proto" | "connect+json";

interface Call {
  wire: Wire;
  /**
   * Request messages' models (each one envelope), raw body bytes, or bytes made with the request message of a
   * model in the call's wire format.
   */
  body: string[] | Uint8Array | ((message: (model: string) => Uint8Array) => Uint8Array);
  headers?: Record<string, string>;
  gzipRequest?: boolean;
  /** The body arrives in pieces of this many bytes (one network read each), not all at once. */
  pieces?: number;
}

function requestBody(call: Call): Uint8Array {
  if (call.body instanceof Uint8Array) return call.body;
  const json = call.wire.endsWith("json");
  const message = (model: string) => {
    const m = create(ChatCompletionRequestSchema, { model });
    return json
      ? new TextEncoder().encode(toJsonString(ChatCompletionRequestSchema, m))
      : toBinary(ChatCompletionRequestSchema, m);
  };
  if (typeof call.body === "function") return call.body(message);
  const frames = call.body.map((model) => {
    let data = message(model);
    if (call.gzipRequest) data = gzipSync(data);
    return encodeEnvelope(call.gzipRequest ? 1 : 0, data);
  });
  return Buffer.concat(frames);
}

function* inPieces(bytes: Uint8Array, size: number | undefined): Generator<Uint8Array> {
  if (!size) return yield bytes;
  for (let at = 0; at < bytes.byteLength; at += size) yield bytes.subarray(at, at + size);
}

/** One call's whole answer: status, headers, body bytes, trailers. */
async function answer(handler: UniversalHandler, call: Call, stopAfterFirst = false, method = "StreamChatCompletion") {
  const abort = new AbortController();
  const bytes = requestBody(call);
  const headers = new Headers({ "content-type": `application/${call.wire}`, ...call.headers });
  if (call.gzipRequest)
    headers.set(call.wire.startsWith("grpc") ? "grpc-encoding" : "connect-content-encoding", "gzip");
  const res: UniversalServerResponse = await handler({
    httpVersion: "2.0",
    method: "POST",
    url: `http://localhost/vertexchat.v1.ChatService/${method}`,
    header: headers,
    body: (async function* () {
      yield* inPieces(bytes, call.pieces);
    })(),
    signal: abort.signal,
    contextValues: createContextValues(),
  });
  const chunks: Uint8Array[] = [];
  if (res.body && Symbol.asyncIterator in res.body) {
    const it = (res.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
    for (let next = await it.next(); !next.done; next = await it.next()) {
      chunks.push(next.value);
      if (stopAfterFirst) {
        await it.return?.();
        break;
      }
    }
  }
  return {
    status: res.status,
    header: [...new Headers(res.header).entries()].sort(),
    body: Buffer.concat(chunks).toString("base64"),
    trailer: res.trailer ? [...res.trailer.entries()].sort() : undefined,
  };
}

const WIRES: Wire[] = ["grpc", "grpc+json", "connect+proto", "connect+json"];

describe("the lean handlers answer byte for byte as Connect's own handlers", () => {
  const cases: [string, Omit<Call, "wire">][] = [
    ["a stream of messages, with headers and trailers the implementation and an interceptor set", { body: ["ok"] }],
    ["an error before the first message, with its details", { body: ["fail-first"] }],
    ["an error after a message", { body: ["fail-later"] }],
    ["an error that is not a ConnectError, as an internal error", { body: ["crash"] }],
    ["a call with two request messages", { body: ["ok", "ok"] }],
    ["a call with no request message", { body: [] }],
    ["a request body that is not an envelope", { body: new Uint8Array([0, 0, 0, 0, 9, 1]) }],
    ["a request message that does not parse", { body: encodeEnvelope(0, new Uint8Array([0xff, 0xff, 0xff])) }],
    ["a request over the size limit", { body: encodeEnvelope(0, new Uint8Array(70 * 1024)) }],
    ["a request arriving one byte at a time", { body: ["ok"], pieces: 1 }],
    ["two request messages arriving in pieces of 7 bytes", { body: ["ok", "ok"], pieces: 7 }],
    ["a request cut off inside its message", { body: (m) => encodeEnvelope(0, m("ok")).subarray(0, 8) }],
    ["a request cut off inside its envelope header", { body: new Uint8Array([0, 0, 0]) }],
    [
      "a message, then in the same read an envelope header over the size limit",
      { body: (m) => Buffer.concat([encodeEnvelope(0, m("ok")), new Uint8Array([0, 0, 1, 24, 0])]) },
    ],
    [
      "a message, then an end-stream envelope",
      { body: (m) => Buffer.concat([encodeEnvelope(0, m("ok")), encodeEnvelope(2, new TextEncoder().encode("{}"))]) },
    ],
    [
      "a compressed envelope in a request that names no encoding",
      { body: (m) => encodeEnvelope(1, gzipSync(m("ok"))) },
    ],
    [
      "a compressed request over the size limit once decompressed",
      {
        body: () => encodeEnvelope(1, gzipSync(new Uint8Array(70 * 1024))),
        headers: { "grpc-encoding": "gzip", "connect-content-encoding": "gzip" },
      },
    ],
    ["a gzip-compressed request", { body: ["ok"], gzipRequest: true }],
    [
      "a request compressed with an encoding the server does not accept",
      { body: ["ok"], headers: { "grpc-encoding": "snappy", "connect-content-encoding": "snappy" } },
    ],
    [
      "a large answer to a caller that accepts gzip",
      { body: ["big"], headers: { "grpc-accept-encoding": "gzip", "connect-accept-encoding": "gzip" } },
    ],
    ["a malformed timeout", { body: ["ok"], headers: { "grpc-timeout": "soon", "connect-timeout-ms": "soon" } }],
    ["a request the request gate refuses", { body: ["ok"], headers: { "x-refuse": "yes" } }],
  ];
  for (const wire of WIRES) {
    for (const [name, call] of cases) {
      test(`${wire}: ${name}`, async () => {
        const { connect, lean } = handlers();
        assert.deepEqual(await answer(lean, { wire, ...call }), await answer(connect, { wire, ...call }));
      });
    }
  }

  test("a caller that stops reading after the first message aborts the handler context, as with Connect's handler", async () => {
    const { connect, lean } = handlers();
    for (const handler of [connect, lean]) {
      signals.length = 0;
      await answer(handler, { wire: "grpc", body: ["remember-signal"] }, true);
      assert.equal(signals.length, 1);
      assert.equal(signals[0]?.aborted, true, handler === lean ? "lean" : "connect");
    }
  });

  for (const wire of ["grpc", "grpc+json"] as const) {
    for (const [name, call] of cases) {
      test(`unary ${wire}: ${name.replace("a stream of messages", "an answer")}`, async () => {
        const { connect, lean } = unaryHandlers();
        const method = "CreateChatCompletion";
        assert.deepEqual(
          await answer(lean, { wire, ...call }, false, method),
          await answer(connect, { wire, ...call }, false, method),
        );
      });
    }
  }

  describe("unary Connect calls (POST)", () => {
    const message = (model: string, json: boolean) => {
      const m = create(ChatCompletionRequestSchema, { model });
      return json
        ? new TextEncoder().encode(toJsonString(ChatCompletionRequestSchema, m))
        : toBinary(ChatCompletionRequestSchema, m);
    };
    const unaryCases: [string, (json: boolean) => { body: Uint8Array; headers?: Record<string, string> }][] = [
      [
        "an answer, with headers and trailers the implementation and an interceptor set",
        (j) => ({ body: message("ok", j) }),
      ],
      ["an init shape returned instead of a message", (j) => ({ body: message("shape", j) })],
      ["an error with its details", (j) => ({ body: message("fail-first", j) })],
      ["an error that is not a ConnectError, as an internal error", (j) => ({ body: message("crash", j) })],
      ["an empty body", () => ({ body: new Uint8Array(0) })],
      ["a body that does not parse", () => ({ body: new Uint8Array([0xff, 0xff, 0xff]) })],
      ["a body over the size limit", () => ({ body: new Uint8Array(70 * 1024) })],
      [
        "a body longer than its content-length",
        (j) => ({ body: message("ok", j), headers: { "content-length": "2" } }),
      ],
      [
        "a gzip-compressed request",
        (j) => ({ body: gzipSync(message("ok", j)), headers: { "content-encoding": "gzip" } }),
      ],
      [
        "a request compressed with an encoding the server does not accept",
        (j) => ({ body: message("ok", j), headers: { "content-encoding": "snappy" } }),
      ],
      [
        "a large answer to a caller that accepts gzip",
        (j) => ({ body: message("big", j), headers: { "accept-encoding": "gzip" } }),
      ],
      ["a malformed timeout", (j) => ({ body: message("ok", j), headers: { "connect-timeout-ms": "soon" } })],
      ["a request the request gate refuses", (j) => ({ body: message("ok", j), headers: { "x-refuse": "yes" } })],
    ];
    for (const wire of ["json", "proto"] as const) {
      for (const [name, make] of unaryCases) {
        test(`${wire}: ${name}`, async () => {
          const { connect, lean } = unaryHandlers();
          const call = { wire: wire as Wire, ...make(wire === "json") };
          assert.deepEqual(
            await answer(lean, call, false, "CreateChatCompletion"),
            await answer(connect, call, false, "CreateChatCompletion"),
          );
        });
      }
    }

    test("the handler context is aborted once the call is over, with a reason that is not a fresh DOMException", async () => {
      const { lean } = unaryHandlers();
      signals.length = 0;
      await answer(
        lean,
        { wire: "json" as Wire, body: message("remember-signal", true) },
        false,
        "CreateChatCompletion",
      );
      assert.equal(signals[0]?.aborted, true);
      assert.ok(!(signals[0]?.reason instanceof DOMException), "no DOMException built per call");
    });
  });

  test("unary gRPC-Web calls are left to Connect's handler", async () => {
    const { connect, lean } = unaryHandlers();
    const call = { wire: "grpc-web+proto" as Wire, body: ["ok"] };
    assert.deepEqual(
      await answer(lean, call, false, "CreateChatCompletion"),
      await answer(connect, call, false, "CreateChatCompletion"),
    );
  });

  test("in process: the messages and errors a client of Connect's own handler gets, without bytes", async () => {
    const client = createClient(
      ChatService,
      createRouterTransport((r) => r.service(ChatService, service), { router: options }),
    );
    const { lean } = handlers();
    for (const model of ["ok", "fail-first", "fail-later", "crash"]) {
      for (const refuse of [false, true]) {
        const headers = refuse ? { "x-refuse": "yes" } : {};
        const viaClient = await outcome(client.streamChatCompletion({ model }, { headers }));
        const inProcess = await outcome(
          (lean as LeanStreamHandler).callInProcess(create(ChatCompletionRequestSchema, { model }), {
            header: new Headers(headers),
            signal: new AbortController().signal,
            contextValues: createContextValues(),
          }) as AsyncIterable<ChatCompletionStreamResponse>,
        );
        assert.ok(viaClient.messages.length > 0 || viaClient.error, model);
        assert.deepEqual(inProcess, viaClient, `${model}${refuse ? ", refused" : ""}`);
      }
    }
  });

  test("gRPC-Web and other content types are left to Connect's handler", async () => {
    const { connect, lean } = handlers();
    for (const contentType of ["grpc-web+proto", "json", "xml"]) {
      const call = { wire: contentType as Wire, body: ["ok"] };
      assert.deepEqual(await answer(lean, call), await answer(connect, call));
    }
  });
});
