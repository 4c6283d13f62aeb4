/**
 * A Connect unary call (POST, `application/json` or `application/proto`), served step for step as Connect's own
 * unary handler serves it — its content types, timeout, compression, request gate, body reading, interceptors
 * (`invokeUnaryImplementation`), error body and HTTP status, and trailers muxed into headers — with two
 * differences that cost every call and change nothing on the wire:
 *
 * - the call's context is aborted with a shared reason when the call is over: Connect aborts it with none, and
 *   then every call builds a DOMException and its stack trace (about 3% of a unary call's CPU in a profile);
 * - the answer's bytes are kept for the Node adapter (`leanUnaryBody`), which writes them with one `end()` instead
 *   of Connect's response loop, an async iteration over a body of one chunk.
 *
 * GET requests and Connect's protocol-version requirement stay with Connect's handler.
 */
import type { DescMethodUnary, Message } from "@bufbuild/protobuf";
import { Code, ConnectError, createHandlerContext } from "@connectrpc/connect";
import {
  compressionNegotiate,
  createAsyncIterable,
  type createMethodSerializationLookup,
  invokeUnaryImplementation,
  mergeNonProtocolHeaders,
  readAllBytes,
  type UniversalServerRequest,
  type UniversalServerResponse,
  uResponseOk,
  type validateUniversalHandlerOptions,
} from "@connectrpc/connect/protocol";
import {
  codeToHttpStatus,
  contentTypeUnaryJson,
  contentTypeUnaryProto,
  contentTypeUnaryRegExp,
  errorToJsonBytes,
  headerContentType,
  headerTimeout,
  headerUnaryAcceptEncoding,
  headerUnaryContentLength,
  headerUnaryEncoding,
  parseTimeout,
  trailerMux,
} from "@connectrpc/connect/protocol-connect";

export interface ConnectUnaryShape {
  method: DescMethodUnary;
  impl: (request: never, context: never) => unknown;
  opt: ReturnType<typeof validateUniversalHandlerOptions>;
  serialization: ReturnType<typeof createMethodSerializationLookup>;
  /** The reason the context is aborted with once the call is over. */
  callOver: unknown;
}

/** A POST whose body is still bytes to read (not JSON an adapter already parsed): what the lean handlers take. */
export function isBytePost(req: UniversalServerRequest): boolean {
  return req.method === "POST" && req.body instanceof Object && Symbol.asyncIterator in req.body;
}

/** Whether the request is a Connect unary call served here (the rest goes to Connect's handler). */
export function isConnectUnaryPost(req: UniversalServerRequest, opt: ConnectUnaryShape["opt"]): boolean {
  return (
    isBytePost(req) &&
    !opt.requireConnectProtocolHeader &&
    contentTypeUnaryRegExp.test(req.header.get(headerContentType) ?? "")
  );
}

const answers = new WeakMap<UniversalServerResponse, Uint8Array>();

/** The whole body of an answer served here, for writing it at once. */
export function leanUnaryBody(res: UniversalServerResponse): Uint8Array | undefined {
  return answers.get(res);
}

export async function serveConnectUnary(
  shape: ConnectUnaryShape,
  req: UniversalServerRequest,
): Promise<UniversalServerResponse> {
  const { method, opt, serialization } = shape;
  const binary = !/json/i.test(req.header.get(headerContentType) ?? "");
  const timeout = parseTimeout(req.header.get(headerTimeout), opt.maxTimeoutMs);
  const spec = { kind: "unary" as const, method, impl: shape.impl as never };
  const context = createHandlerContext({
    ...spec,
    service: method.parent,
    requestMethod: req.method,
    protocolName: "connect",
    ...(timeout.timeoutMs === undefined ? {} : { timeoutMs: timeout.timeoutMs }),
    ...(opt.shutdownSignal ? { shutdownSignal: opt.shutdownSignal } : {}),
    requestSignal: req.signal,
    requestHeader: req.header,
    url: req.url,
    responseHeader: { [headerContentType]: binary ? contentTypeUnaryProto : contentTypeUnaryJson },
    ...(req.contextValues ? { contextValues: req.contextValues } : {}),
  }) as ReturnType<typeof createHandlerContext> & { abort(reason?: unknown): void };
  const compression = compressionNegotiate(
    opt.acceptCompression,
    req.header.get(headerUnaryEncoding),
    req.header.get(headerUnaryAcceptEncoding),
    headerUnaryAcceptEncoding,
  );
  let status = uResponseOk.status;
  let body: Uint8Array;
  try {
    // The request gate runs before the body is read, so a request it refuses is never read or parsed.
    await opt.requestGate?.(context);
    if (compression.error) throw compression.error;
    if (timeout.error) throw timeout.error;
    let bytes = await readAllBytes(
      req.body as AsyncIterable<Uint8Array>,
      opt.readMaxBytes,
      req.header.get(headerUnaryContentLength),
    );
    if (compression.request) bytes = await compression.request.decompress(bytes, opt.readMaxBytes);
    const input = serialization.getI(binary).parse(bytes) as Message;
    const output = await invokeUnaryImplementation(spec, context, input as never, opt.interceptors);
    body = serialization.getO(binary).serialize(output as Message);
  } catch (e) {
    context.abort(e);
    const error =
      e instanceof ConnectError ? e : new ConnectError("internal error", Code.Internal, undefined, undefined, e);
    status = codeToHttpStatus(error.code);
    context.responseHeader.set(headerContentType, contentTypeUnaryJson);
    // An error parsed from the wire relays its payload only, not its metadata (as Connect's handler does).
    if (!error.isWireError) mergeNonProtocolHeaders(context.responseHeader, error.metadata);
    body = errorToJsonBytes(error, opt.jsonOptions);
  } finally {
    context.abort(shape.callOver);
  }
  if (compression.response && body.byteLength >= opt.compressMinBytes) {
    body = await compression.response.compress(body);
    context.responseHeader.set(headerUnaryEncoding, compression.response.name);
  }
  const header = trailerMux(context.responseHeader, context.responseTrailer);
  header.set(headerUnaryContentLength, body.byteLength.toString(10));
  const response: UniversalServerResponse = { status, body: createAsyncIterable([body]), header };
  answers.set(response, body);
  return response;
}
