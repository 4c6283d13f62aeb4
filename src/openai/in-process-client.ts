/**
 * A ChatService client that calls the gateway's own Connect handlers in memory: the same interceptors (observe,
 * shutdown gate, tracing, caller auth, limits, stream cap, validation) and the same service run for a call that
 * came through the REST door as for one that came over gRPC. Each call carries the context values of the HTTP
 * request it serves (the TLS peer, the door), as the Node adapter gives them to a direct call.
 *
 * Streams skip the bytes: the lean streaming handler runs the same gate, interceptors and service on the request
 * message itself (`callInProcess`), so a streamed chunk is not encoded, framed, parsed and decoded once more.
 */
import { type Client, type ContextValues, createClient } from "@connectrpc/connect";
import { createAsyncIterable, type UniversalClientFn, type UniversalHandler } from "@connectrpc/connect/protocol";
import { createTransport } from "@connectrpc/connect/protocol-connect";
import {
  type ChatCompletionRequest,
  type ChatCompletionStreamResponse,
  ChatService,
} from "../../gen/vertexchat/v1/chat_service_pb.ts";
import type { InProcessCall, LeanStreamHandler } from "../server/lean-stream-handler.ts";

/** Names the call's context values between the client call and the handler; never reaches a handler. */
const CALL_HEADER = "x-vertexchat-in-process-call";

export interface InProcessChat {
  client: Client<typeof ChatService>;
  /**
   * Headers for one call that make the handler see `values` as its context values; `release` when the call is
   * over (a call that failed before it reached the handler leaves nothing behind).
   */
  prepare(values: ContextValues, headers: Headers): { headers: Headers; release(): void };
  /** StreamChatCompletion in memory, with the HTTP request's headers and context values. */
  streamChatCompletion(
    request: ChatCompletionRequest,
    call: InProcessCall,
  ): AsyncIterable<ChatCompletionStreamResponse>;
}

export function inProcessChat(handlers: UniversalHandler[], limits: { readMaxBytes: number }): InProcessChat {
  const byPath = new Map(handlers.map((h) => [h.requestPath, h]));
  const streams = handlers.find(
    (h): h is LeanStreamHandler => h.method === ChatService.method.streamChatCompletion && "callInProcess" in h,
  );
  if (!streams) throw new Error("inProcessChat: StreamChatCompletion is not served by the lean streaming handler");
  const pending = new Map<string, ContextValues>();
  let next = 0;
  const httpClient: UniversalClientFn = async (req) => {
    const path = new URL(req.url).pathname;
    const handler = byPath.get(path);
    if (!handler) throw new Error(`in-process call to ${path}: no such handler`);
    const header = new Headers(req.header);
    const id = header.get(CALL_HEADER) ?? "";
    header.delete(CALL_HEADER);
    const contextValues = pending.get(id);
    pending.delete(id);
    const res = await handler({
      httpVersion: "2.0",
      method: req.method,
      url: req.url,
      header,
      body: req.body ?? createAsyncIterable([]),
      signal: req.signal ?? new AbortController().signal,
      ...(contextValues ? { contextValues } : {}),
    });
    return {
      status: res.status,
      header: new Headers(res.header),
      trailer: new Headers(res.trailer),
      body: (res.body as AsyncIterable<Uint8Array> | undefined) ?? createAsyncIterable([]),
    };
  };
  const transport = createTransport({
    httpClient,
    baseUrl: "http://in-process",
    useBinaryFormat: true,
    interceptors: [],
    acceptCompression: [],
    sendCompression: null,
    compressMinBytes: Number.MAX_SAFE_INTEGER,
    readMaxBytes: 0xffffffff,
    writeMaxBytes: limits.readMaxBytes,
  });
  return {
    client: createClient(ChatService, transport),
    streamChatCompletion: (request, call) =>
      streams.callInProcess(request, call) as AsyncIterable<ChatCompletionStreamResponse>,
    prepare(values, headers) {
      const id = String(next++);
      pending.set(id, values);
      headers.set(CALL_HEADER, id);
      return { headers, release: () => pending.delete(id) };
    },
  };
}
