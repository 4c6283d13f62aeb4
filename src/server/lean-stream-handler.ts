/**
 * A server-streaming RPC's handler for gRPC and Connect callers whose response loop is one hand-written iterator.
 *
 * Connect's own handler sends every message of a stream through a pipeline of async generators (the implementation
 * call, serialize, compress, join, catch), compiled to ES2017 helpers that allocate several promises per stage per
 * message: at a few chunks per second per stream across thousands of streams, that pipeline was a third of the
 * gateway's CPU per chunk. This handler does the same steps for each message in one `next()`.
 *
 * The request is read the same way, in one async generator with Connect's rules and errors (request-messages.ts).
 * Everything else is Connect's: content types, timeouts, compression negotiation and decompression, parsing, the
 * request gate, the interceptors, the handler context, and how an error becomes gRPC trailers or a Connect
 * end-stream message. gRPC-Web and anything this handler does not take
 * (another content type, a method other than POST, Connect's protocol-version requirement) go to Connect's handler.
 *
 * The gateway's own doors that already hold a request message (the REST door) call the same gate, interceptors and
 * implementation in memory with `callInProcess`: no envelopes, no serialization, no client pipeline per message.
 */
import {
  create,
  type DescMessage,
  type DescMethodUnary,
  isMessage,
  type Message,
  type MessageInitShape,
} from "@bufbuild/protobuf";
import {
  Code,
  ConnectError,
  type ContextValues,
  createHandlerContext,
  type HandlerContext,
  type Interceptor,
  type StreamRequest,
  type StreamResponse,
  type UnaryRequest,
  type UnaryResponse,
} from "@connectrpc/connect";
import {
  type Compression,
  compressionNegotiate,
  createAsyncIterable,
  createMethodSerializationLookup,
  encodeEnvelope,
  envelopeCompress,
  type UniversalHandler,
  type UniversalHandlerOptions,
  type UniversalServerRequest,
  type UniversalServerResponse,
  uResponseOk,
  validateUniversalHandlerOptions,
} from "@connectrpc/connect/protocol";
import * as connectProtocol from "@connectrpc/connect/protocol-connect";
import * as grpcProtocol from "@connectrpc/connect/protocol-grpc";
import { isBytePost, isConnectUnaryPost, serveConnectUnary } from "./lean-connect-unary.ts";
import { requestMessages } from "./request-messages.ts";

/** The implementation of one server-streaming method, as a service implementation holds it. */
export type ServerStreamingImpl = (request: never, context: HandlerContext) => AsyncIterable<unknown>;

/** The implementation of one unary method, as a service implementation holds it. */
export type UnaryImpl = (request: never, context: HandlerContext) => Promise<unknown> | unknown;

/** A call made in memory: the request's headers, its cancellation, its context values. */
export interface InProcessCall {
  header: Headers;
  signal: AbortSignal;
  contextValues: ContextValues;
  /** Told the response headers once the first message (or the error) is there, as a Connect client is. */
  onHeader?: (header: Headers) => void;
}

export interface LeanStreamHandler extends UniversalHandler {
  /** The call without HTTP: the implementation's messages, behind the request gate and the interceptors. */
  callInProcess(request: Message, call: InProcessCall): AsyncIterable<Message>;
}

/** What differs between the two protocols this handler speaks. */
interface Protocol {
  name: "grpc" | "connect";
  contentType: RegExp;
  timeoutHeader: string;
  encodingHeader: string;
  acceptEncodingHeader: string;
  /** The content type of the response for a binary or a JSON request. */
  responseContentType(binary: boolean): string;
  /** The end-stream flag Connect's request parser honours, for Connect only. */
  endStreamFlag: number | undefined;
}

const GRPC: Protocol = {
  name: "grpc",
  contentType: grpcProtocol.contentTypeRegExp,
  timeoutHeader: grpcProtocol.headerTimeout,
  encodingHeader: grpcProtocol.headerEncoding,
  acceptEncodingHeader: grpcProtocol.headerAcceptEncoding,
  responseContentType: (binary) => (binary ? grpcProtocol.contentTypeProto : grpcProtocol.contentTypeJson),
  endStreamFlag: undefined,
};

const CONNECT: Protocol = {
  name: "connect",
  contentType: connectProtocol.contentTypeStreamRegExp,
  timeoutHeader: connectProtocol.headerTimeout,
  encodingHeader: connectProtocol.headerStreamEncoding,
  acceptEncodingHeader: connectProtocol.headerStreamAcceptEncoding,
  responseContentType: (binary) =>
    binary ? connectProtocol.contentTypeStreamProto : connectProtocol.contentTypeStreamJson,
  endStreamFlag: connectProtocol.endStreamFlag,
};

const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * The reason a call's context is aborted with when it ended well: Connect aborts it with none, and then every call
 * builds a DOMException and its stack trace (a few percent of a unary call's CPU) that nobody reads.
 */
const CALL_OVER = new ConnectError("the call is over", Code.Canceled);

/** The responses this handler made (for the Node adapter's write loop, see node-adapter.ts). */
const leanResponses = new WeakSet<UniversalServerResponse>();

/** Whether this handler made the response: a stream whose messages come one `next()` each. */
export function isLeanResponse(res: UniversalServerResponse): boolean {
  return leanResponses.has(res);
}

/**
 * Wraps Connect's handler of a server-streaming method (`fallback`, from a router built with the same `options`):
 * gRPC and Connect calls are served here, the rest by `fallback`.
 */
export function leanServerStreaming(
  fallback: UniversalHandler,
  impl: ServerStreamingImpl,
  options: Partial<UniversalHandlerOptions>,
): LeanStreamHandler {
  if (fallback.method.methodKind !== "server_streaming") {
    throw new Error(`leanServerStreaming: ${fallback.method.name} is not a server-streaming method`);
  }
  const opt = validateUniversalHandlerOptions(options);
  const serialization = createMethodSerializationLookup(fallback.method, opt.binaryOptions, opt.jsonOptions, opt);
  const endStream = connectProtocol.createEndStreamSerialization(opt.jsonOptions);
  const call: CallShape = { fallback, impl, invoke, protocols: [GRPC, CONNECT], opt, serialization, endStream };
  return Object.assign(handlerOf(call), {
    callInProcess: (request: Message, init: InProcessCall) => callInProcess(call, request, init),
  });
}

/**
 * Wraps Connect's handler of a unary method. gRPC calls are served here: Connect serves a gRPC unary call through
 * the same pipeline of async generators as a stream, which made gRPC, what most internal callers speak, the slower
 * way to make the same call. Connect unary POSTs are served by `serveConnectUnary` (lean-connect-unary.ts), Connect's
 * own steps without a DOMException per call. gRPC-Web and GET requests stay with Connect's handler.
 */
export function leanUnary(
  fallback: UniversalHandler,
  impl: UnaryImpl,
  options: Partial<UniversalHandlerOptions>,
): UniversalHandler {
  if (fallback.method.methodKind !== "unary") {
    throw new Error(`leanUnary: ${fallback.method.name} is not a unary method`);
  }
  const opt = validateUniversalHandlerOptions(options);
  const serialization = createMethodSerializationLookup(fallback.method, opt.binaryOptions, opt.jsonOptions, opt);
  const endStream = connectProtocol.createEndStreamSerialization(opt.jsonOptions);
  const grpc = handlerOf({ fallback, impl, invoke: invokeUnary, protocols: [GRPC], opt, serialization, endStream });
  const method = fallback.method as DescMethodUnary;
  const connect = { method, impl, opt, serialization, callOver: CALL_OVER };
  const handle = (req: UniversalServerRequest): Promise<UniversalServerResponse> =>
    isConnectUnaryPost(req, opt) ? serveConnectUnary(connect, req) : grpc(req);
  return Object.assign(handle, handlerFields(fallback));
}

/** The universal handler: the call's protocols served here, the rest by Connect's handler. */
function handlerOf(call: CallShape): UniversalHandler {
  const { fallback, opt } = call;
  const handle = (req: UniversalServerRequest): Promise<UniversalServerResponse> => {
    const protocol = protocolOf(req, opt);
    return protocol && call.protocols.includes(protocol) ? serve(call, protocol, req) : fallback(req);
  };
  return Object.assign(handle, handlerFields(fallback));
}

/** What a router and the Node adapter read of a handler besides calling it: Connect's handler's own. */
function handlerFields(fallback: UniversalHandler) {
  return {
    protocolNames: fallback.protocolNames,
    allowedMethods: fallback.allowedMethods,
    supportedContentType: fallback.supportedContentType,
    requestPath: fallback.requestPath,
    service: fallback.service,
    method: fallback.method,
  };
}

interface CallShape {
  fallback: UniversalHandler;
  /** The implementation behind the interceptors: a stream's messages, or a unary call's one message. */
  invoke(call: CallShape, context: HandlerContext, input: AsyncIterable<Message>): Promise<Started>;
  impl: ServerStreamingImpl | UnaryImpl;
  /** The protocols served here; the rest go to `fallback`. */
  protocols: readonly Protocol[];
  opt: ReturnType<typeof validateUniversalHandlerOptions>;
  serialization: ReturnType<typeof createMethodSerializationLookup>;
  endStream: ReturnType<typeof connectProtocol.createEndStreamSerialization>;
}

/** The protocol this handler serves the request with, or undefined to leave it to Connect's handler. */
function protocolOf(
  req: UniversalServerRequest,
  opt: ReturnType<typeof validateUniversalHandlerOptions>,
): Protocol | undefined {
  if (!isBytePost(req)) return undefined;
  const contentType = req.header.get("Content-Type") ?? "";
  if (GRPC.contentType.test(contentType)) return GRPC;
  if (CONNECT.contentType.test(contentType) && !opt.requireConnectProtocolHeader) return CONNECT;
  return undefined;
}

async function serve(
  call: CallShape,
  protocol: Protocol,
  req: UniversalServerRequest,
): Promise<UniversalServerResponse> {
  const { fallback, opt } = call;
  const binary = !/json/i.test(req.header.get("Content-Type") ?? "");
  const timeout = (protocol === GRPC ? grpcProtocol : connectProtocol).parseTimeout(
    req.header.get(protocol.timeoutHeader),
    opt.maxTimeoutMs,
  );
  const context = createHandlerContext({
    service: fallback.service,
    method: fallback.method,
    requestMethod: req.method,
    protocolName: protocol.name,
    ...(timeout.timeoutMs === undefined ? {} : { timeoutMs: timeout.timeoutMs }),
    ...(opt.shutdownSignal ? { shutdownSignal: opt.shutdownSignal } : {}),
    requestSignal: req.signal,
    requestHeader: req.header,
    url: req.url,
    responseHeader: { "Content-Type": protocol.responseContentType(binary) },
    responseTrailer: protocol === GRPC ? { [grpcProtocol.headerGrpcStatus]: grpcProtocol.grpcStatusOk } : {},
    ...(req.contextValues ? { contextValues: req.contextValues } : {}),
  });
  const compression = compressionNegotiate(
    opt.acceptCompression,
    req.header.get(protocol.encodingHeader),
    req.header.get(protocol.acceptEncodingHeader),
    protocol.acceptEncodingHeader,
  );
  if (compression.response) context.responseHeader.set(protocol.encodingHeader, compression.response.name);
  // The request side is Connect's rules and errors, read in one step (request-messages.ts).
  const input = requestMessages(req.body as AsyncIterable<Uint8Array>, {
    check() {
      if (compression.error) throw compression.error;
      if (timeout.error) throw timeout.error;
    },
    readMaxBytes: opt.readMaxBytes,
    compression: compression.request,
    parse: (data) => call.serialization.getI(binary).parse(data),
    ...(protocol.endStreamFlag === undefined ? {} : { endStreamFlag: protocol.endStreamFlag }),
  });
  // The request gate runs before the body is read, so a request it refuses is never read or parsed.
  let start = () => call.invoke(call, context, input);
  if (opt.requestGate) {
    try {
      await opt.requestGate(context);
    } catch (reason) {
      start = () => Promise.reject(reason);
    }
  }
  const body = new ResponseBody(call, protocol, context, binary, compression.response, start);
  // The first message is awaited before answering, so that the implementation can still set response headers.
  const first = await body.next();
  const response: UniversalServerResponse = {
    ...uResponseOk,
    header: context.responseHeader,
    ...(protocol === GRPC ? { trailer: context.responseTrailer } : {}),
    body: replayFirst(first, body),
  };
  leanResponses.add(response);
  return response;
}

function callInProcess(call: CallShape, request: Message, init: InProcessCall): AsyncIterable<Message> {
  const { fallback, opt } = call;
  const context = createHandlerContext({
    service: fallback.service,
    method: fallback.method,
    requestMethod: "POST",
    protocolName: "in-process",
    ...(opt.shutdownSignal ? { shutdownSignal: opt.shutdownSignal } : {}),
    requestSignal: init.signal,
    requestHeader: init.header,
    url: `http://in-process${fallback.requestPath}`,
    contextValues: init.contextValues,
  }) as HandlerContext & { abort(reason?: unknown): void };
  const output = fallback.method.output;
  let messages: AsyncIterator<unknown> | undefined;
  let told = false;
  let ended = false;
  const tell = () => {
    if (told) return;
    told = true;
    init.onHeader?.(context.responseHeader);
  };
  const end = (err?: unknown) => {
    ended = true;
    context.abort(err ?? CALL_OVER);
  };
  const iterator: AsyncIterator<Message> = {
    async next() {
      if (ended) return DONE;
      try {
        if (!messages) {
          await opt.requestGate?.(context);
          messages = (await call.invoke(call, context, createAsyncIterable([request]))).messages;
        }
        const next = await messages.next();
        tell();
        if (next.done === true) {
          end();
          return DONE;
        }
        const value = isMessage(next.value, output)
          ? next.value
          : create(output, next.value as MessageInitShape<DescMessage>);
        return { done: false, value };
      } catch (err) {
        tell();
        end(err);
        // As Connect's handler sends it: an error that is not a ConnectError is an internal error.
        throw err instanceof ConnectError
          ? err
          : new ConnectError("internal error", Code.Internal, undefined, undefined, err);
      }
    },
    async return() {
      if (!ended) end();
      await messages?.return?.();
      return DONE;
    },
  };
  return { [Symbol.asyncIterator]: () => iterator };
}

/** The interceptors around the implementation, as Connect runs them; the response's messages and trailers. */
async function invoke(call: CallShape, context: HandlerContext, input: AsyncIterable<Message>): Promise<Started> {
  const impl = call.impl as ServerStreamingImpl;
  const next = intercepted(
    call,
    async (req: StreamRequest): Promise<StreamResponse> => ({
      stream: true,
      message: impl(
        (await single(req.message, "server-streaming")) as never,
        implContext(context, req),
      ) as AsyncIterable<Message>,
      ...responseCommon(call, context),
    }),
  );
  const res = await next({ stream: true, message: input, ...requestCommon(call, context) });
  copyHeaders(res.header, context.responseHeader);
  return { messages: res.message[Symbol.asyncIterator](), trailer: res.trailer };
}

/**
 * A unary call behind the interceptors, as Connect runs it for gRPC: the single request message is read first, the
 * answer's headers and trailers are copied once it is there, and it is the one message of the response.
 */
async function invokeUnary(call: CallShape, context: HandlerContext, input: AsyncIterable<Message>): Promise<Started> {
  const impl = call.impl as UnaryImpl;
  const message = await single(input, "unary");
  const next = intercepted(
    call,
    async (req: UnaryRequest): Promise<UnaryResponse> => ({
      stream: false,
      message: (await impl(req.message as never, implContext(context, req))) as Message,
      ...responseCommon(call, context),
    }),
  );
  const res = await next({ stream: false, message, ...requestCommon(call, context) });
  copyHeaders(res.header, context.responseHeader);
  copyHeaders(res.trailer, context.responseTrailer);
  return { messages: createAsyncIterable([res.message])[Symbol.asyncIterator](), trailer: context.responseTrailer };
}

/** `innermost` inside the interceptors, the first one outermost, as Connect's applyInterceptors nests them. */
function intercepted<Req, Res>(call: CallShape, innermost: (req: Req) => Promise<Res>): (req: Req) => Promise<Res> {
  return call.opt.interceptors.reduceRight<(req: Req) => Promise<Res>>(
    (inner, interceptor: Interceptor) => interceptor(inner as never) as never,
    innermost,
  );
}

/** The handler context the implementation gets: the call's, with what the interceptors changed in the request. */
function implContext(context: HandlerContext, req: UnaryRequest | StreamRequest): HandlerContext {
  return { ...context, service: req.service, requestHeader: req.header, signal: req.signal, values: req.contextValues };
}

/** What a request carries besides its message, as Connect fills it. */
function requestCommon(call: CallShape, context: HandlerContext) {
  return {
    method: call.fallback.method as never,
    service: call.fallback.service,
    requestMethod: context.requestMethod,
    url: context.url,
    signal: context.signal,
    header: context.requestHeader,
    contextValues: context.values,
  };
}

/** What a response carries besides its message, as Connect fills it. */
function responseCommon(call: CallShape, context: HandlerContext) {
  return {
    method: call.fallback.method as never,
    service: call.fallback.service,
    header: context.responseHeader,
    trailer: context.responseTrailer,
  };
}

/** The implementation's messages (as the interceptors hand them on) and the trailers it set. */
interface Started {
  messages: AsyncIterator<unknown>;
  trailer: Headers;
}

/** The single request message of a call, with Connect's errors for none or more than one. */
async function single(messages: AsyncIterable<Message>, kind: "unary" | "server-streaming"): Promise<Message> {
  const it = messages[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done === true) {
    throw new ConnectError(`protocol error: missing input message for ${kind} method`, Code.Unimplemented);
  }
  const second = await it.next();
  if (second.done !== true) {
    throw new ConnectError(`protocol error: received extra input message for ${kind} method`, Code.Unimplemented);
  }
  return first.value;
}

/**
 * The response body: each `next()` takes the implementation's next message and returns its envelope; the end (or
 * an error) becomes the gRPC trailers or the Connect end-stream message, as Connect's handler makes them.
 */
class ResponseBody implements AsyncIterator<Uint8Array> {
  #call: CallShape;
  #protocol: Protocol;
  #context: HandlerContext & { abort(reason?: unknown): void };
  #serializer: { serialize(message: Message): Uint8Array };
  #compression: Compression | null;
  #start: (() => Promise<Started>) | undefined;
  #messages: AsyncIterator<unknown> | undefined;
  #trailer: Headers | undefined;
  #ended = false;
  #output: DescMessage;
  #compressMinBytes: number;

  constructor(
    call: CallShape,
    protocol: Protocol,
    context: HandlerContext,
    binary: boolean,
    compression: Compression | null,
    start: () => Promise<Started>,
  ) {
    this.#call = call;
    this.#protocol = protocol;
    this.#context = context as HandlerContext & { abort(reason?: unknown): void };
    this.#serializer = call.serialization.getO(binary);
    this.#compression = compression;
    this.#start = start;
    this.#output = call.fallback.method.output;
    this.#compressMinBytes = call.opt.compressMinBytes ?? 0;
  }

  async next(): Promise<IteratorResult<Uint8Array>> {
    if (this.#ended) return DONE;
    try {
      if (this.#start) {
        const started = await this.#start();
        this.#start = undefined;
        this.#messages = started.messages;
        this.#trailer = started.trailer;
      }
      const next = await (this.#messages as AsyncIterator<unknown>).next();
      if (next.done !== true) {
        const message = isMessage(next.value, this.#output)
          ? next.value
          : create(this.#output, next.value as MessageInitShape<DescMessage>);
        const data = this.#serializer.serialize(message);
        // Below compressMinBytes Connect sends a message uncompressed, whatever was negotiated: no await for it.
        if (this.#compression === null || data.byteLength < this.#compressMinBytes) {
          return { done: false, value: encodeEnvelope(0, data) };
        }
        const envelope = await envelopeCompress({ flags: 0, data }, this.#compression, this.#compressMinBytes);
        return { done: false, value: encodeEnvelope(envelope.flags, envelope.data) };
      }
      if (this.#trailer) copyHeaders(this.#trailer, this.#context.responseTrailer);
      return this.#end(undefined);
    } catch (err) {
      return this.#end(err);
    }
  }

  /** The caller stopped reading (gone, or a write failed): the implementation is stopped too. */
  async return(): Promise<IteratorResult<Uint8Array>> {
    if (!this.#ended) this.#context.abort();
    this.#stop();
    await this.#messages?.return?.();
    return DONE;
  }

  async throw(err: unknown): Promise<IteratorResult<Uint8Array>> {
    this.#stop();
    this.#context.abort(err);
    await this.#messages?.throw?.(err).catch(() => undefined);
    return DONE;
  }

  #stop(): void {
    this.#ended = true;
    this.#start = undefined;
  }

  /** The stream is over, well (`err` undefined) or not: the context is aborted, as Connect's handler does. */
  #end(err: unknown): IteratorResult<Uint8Array> {
    this.#stop();
    this.#context.abort(err ?? CALL_OVER);
    const error =
      err === undefined || err instanceof ConnectError
        ? err
        : new ConnectError("internal error", Code.Internal, undefined, undefined, err);
    if (this.#protocol === GRPC) {
      if (error) grpcProtocol.setTrailerStatus(this.#context.responseTrailer, error);
      return DONE;
    }
    const end = { metadata: this.#context.responseTrailer, ...(error ? { error } : {}) };
    return {
      done: false,
      value: encodeEnvelope(connectProtocol.endStreamFlag, this.#call.endStream.serialize(end)),
    };
  }
}

/** An iterable of the body that yields the already-read first result, then the rest. */
function replayFirst(first: IteratorResult<Uint8Array>, body: ResponseBody): AsyncIterable<Uint8Array> {
  let pending: IteratorResult<Uint8Array> | undefined = first;
  const iterator: AsyncIterator<Uint8Array> = {
    next: () => {
      if (pending === undefined) return body.next();
      const result = pending;
      pending = undefined;
      return Promise.resolve(result);
    },
    return: () => body.return(),
    throw: (err: unknown) => body.throw(err),
  };
  return { [Symbol.asyncIterator]: () => iterator };
}

/**
 * Copies the headers an interceptor handed back into the context's, exactly as Connect's handler does: its loop
 * deletes while it iterates, so some of the old entries survive. Kept identical, so that serving a call here
 * changes nothing on the wire.
 */
function copyHeaders(from: Headers, to: Headers): void {
  if (from === to) return;
  // Deleting inside forEach is the behaviour being matched.
  to.forEach((_, key) => {
    to.delete(key);
  });
  for (const [key, value] of from) to.set(key, value);
}
