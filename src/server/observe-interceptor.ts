/**
 * Every call is counted and logged once, with one structured line — request id, caller, method, requested and
 * upstream model, upstream, location, status, latency, time to first token, token counts, upstream attempts — and
 * reported to the metrics. Prompt and answer text are never logged; nor are headers (so no Authorization or keys).
 *
 * Three places see calls, because Connect refuses some before any interceptor runs:
 * - `observeInterceptor`, the outermost interceptor, sees every call that reaches the interceptors;
 * - `refusalGate` (Connect's request gate, which runs for every call on a known method) sees the calls Connect
 *   refuses while reading the request (over the size limit, undecodable, unsupported compression): their error is
 *   the handler context's abort reason, which it also gives the ErrorInfo Connect does not attach;
 * - `observeHttp` sees the requests Connect answers with a bare HTTP status (unknown path, unsupported content type
 *   or HTTP method), which never reach a gate.
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import {
  Code,
  ConnectError,
  type ContextValues,
  createContextKey,
  type HandlerContext,
  type Interceptor,
} from "@connectrpc/connect";
import type { Logger } from "pino";
import { withErrorInfo } from "../rpc/error-catalogue.ts";
import { explainInPlace } from "../rpc/json-decode-hints.ts";
import { DOOR, type Door, newRpcInfo, RPC_INFO, type RpcInfo } from "../rpc/rpc-info.ts";
import { onResponseEnd, readRequestMessage } from "./interceptor-utils.ts";
import type { NodeHandler } from "./listen.ts";

const REQUEST_ID_HEADER = "x-request-id";

export interface RpcObserver {
  started(method: string, door: Door): void;
  finished(method: string, code: string, seconds: number, info: RpcInfo): void;
}

/** The method of a request whose path names none this server serves. */
const UNKNOWN_METHOD = "unknown";

export function observeInterceptor(logger: Logger, observer: RpcObserver): Interceptor {
  return (next) => async (request) => {
    const started = performance.now();
    const info = newRpcInfo(requestIdFrom(request.header.get(REQUEST_ID_HEADER)));
    info.door = request.contextValues.get(DOOR);
    request.contextValues.set(RPC_INFO, info);
    const method = `${request.service.typeName}/${request.method.name}`;
    observer.started(method, info.door);
    const done = (err?: unknown) => {
      for (const callback of info.onEnd) callback(err);
      logCall(logger, observer, { method, started, info, error: err === undefined ? undefined : asError(err) });
    };
    try {
      const { message, req } = await readRequestMessage(request);
      const model = (message as { model?: unknown } | undefined)?.model;
      if (typeof model === "string") info.requestedModel = model;
      const res = await next(req);
      res.header.set(REQUEST_ID_HEADER, info.requestId);
      return onResponseEnd(res, done, asError);
    } catch (err) {
      const error = asError(err);
      error.metadata.set(REQUEST_ID_HEADER, info.requestId);
      done(error);
      throw error;
    }
  };
}

/** A thrown error as the caller will see it: a ConnectError with ErrorInfo. */
function asError(err: unknown): ConnectError {
  return withErrorInfo(ConnectError.from(err));
}

/** What the server knows of one HTTP request before Connect handles it. */
interface HttpCall {
  /** `service/method` when the path names a method this server serves. */
  method: string;
  /** Set once a request gate ran: from then on, the gate or the interceptor accounts for the call. */
  gated: boolean;
}

const HTTP_CALL = createContextKey<HttpCall | undefined>(undefined, { description: "vertexchat HTTP call" });

/**
 * Connect's request gate: accounts for calls Connect refuses after the gate and before the interceptors, when the
 * context is aborted with the refusal.
 */
export function refusalGate(logger: Logger, observer: RpcObserver): (context: HandlerContext) => void {
  return (context) => {
    const call = context.values.get(HTTP_CALL);
    if (call) call.gated = true;
    const started = performance.now();
    context.signal.addEventListener(
      "abort",
      () => {
        // Seen by the interceptors, or ended without an error of Connect's (an answer sent, a caller gone).
        if (context.values.get(RPC_INFO) || !(context.signal.reason instanceof ConnectError)) return;
        const error = withErrorInfo(context.signal.reason);
        try {
          explainInPlace(error, context.method.input);
        } catch (err) {
          // A listener that throws would take the process down: a hint is never worth that.
          logger.error({ err }, "could not explain a decoding error");
        }
        const info = newRpcInfo(requestIdFrom(context.requestHeader.get(REQUEST_ID_HEADER)));
        error.metadata.set(REQUEST_ID_HEADER, info.requestId);
        const method = `${context.service.typeName}/${context.method.name}`;
        info.door = context.values.get(DOOR);
        observer.started(method, info.door);
        logCall(logger, observer, { method, started, info, error });
      },
      { once: true },
    );
  };
}

/**
 * Wraps the Node request handler so that requests answered with a bare HTTP status, before any gate, are counted
 * and logged too; `contextValues` gives the call to Connect, which hands it to the gate.
 */
export function observeHttp(
  logger: Logger,
  observer: RpcObserver,
): {
  wrap(handler: NodeHandler): NodeHandler;
  attach(req: IncomingMessage | Http2ServerRequest, values: ContextValues): void;
} {
  const calls = new WeakMap<object, HttpCall>();
  return {
    attach(req, values) {
      const call = calls.get(req);
      if (!call) return;
      call.method = (req.url ?? "").split("?", 1)[0]?.slice(1) ?? UNKNOWN_METHOD;
      values.set(HTTP_CALL, call);
    },
    wrap: (handler) => (req, res) => {
      const call: HttpCall = { method: UNKNOWN_METHOD, gated: false };
      calls.set(req, call);
      const started = performance.now();
      res.once("finish", () => {
        if (call.gated) return;
        const given = req.headers[REQUEST_ID_HEADER];
        const info = newRpcInfo(requestIdFrom(typeof given === "string" ? given : undefined));
        const status = res.statusCode;
        observer.started(call.method, info.door);
        logCall(logger, observer, {
          method: call.method,
          started,
          info,
          error: new ConnectError(`HTTP ${status}: ${httpRefusal(status)}`, codeSeenByClient(status)),
          httpStatus: status,
        });
      });
      handler(req, res);
    },
  };
}

function httpRefusal(status: number): string {
  switch (status) {
    case 404:
      return "no such method (the path must be /vertexchat.v1.ChatService/<Method>)";
    case 405:
      return "HTTP method not allowed (RPCs are POSTs)";
    case 415:
      return "unsupported content type (application/grpc, application/grpc-web, application/proto or application/json)";
    default:
      return "refused";
  }
}

/** The code a gRPC client makes of a bare HTTP status (grpc/doc/http-grpc-status-mapping.md). */
function codeSeenByClient(status: number): Code {
  if (status === 404) return Code.Unimplemented;
  if (status === 400) return Code.Internal;
  return Code.Unknown;
}

/** The caller's request id when it is a sane one, else a new one. */
function requestIdFrom(given: string | null | undefined): string {
  return given && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
}

/**
 * A request the REST door refused before it became a call (a body that is not JSON, a field of the wrong shape):
 * logged and counted like every call, under the door's route.
 */
export function logDoorRefusal(
  logger: Logger,
  observer: RpcObserver,
  refusal: { route: string; door: Door; started: number; requestId: string | undefined; error: ConnectError },
): string {
  const info = newRpcInfo(requestIdFrom(refusal.requestId));
  info.door = refusal.door;
  observer.started(refusal.route, refusal.door);
  logCall(logger, observer, { method: refusal.route, started: refusal.started, info, error: refusal.error });
  return info.requestId;
}

function logCall(
  logger: Logger,
  observer: RpcObserver,
  call: { method: string; started: number; info: RpcInfo; error: ConnectError | undefined; httpStatus?: number },
): void {
  const { info, error } = call;
  const seconds = (performance.now() - call.started) / 1000;
  const code = error ? Code[error.code] : "OK";
  observer.finished(call.method, code, seconds, info);
  logger.info(
    {
      request_id: info.requestId,
      door: info.door,
      caller: info.caller,
      method: call.method,
      model: info.requestedModel,
      upstream_model: info.upstreamModel,
      upstream: info.upstream,
      location: info.location,
      code,
      latency_ms: Math.round(seconds * 10000) / 10,
      ttft_ms: info.timeToFirstTokenMs === undefined ? undefined : Math.round(info.timeToFirstTokenMs * 10) / 10,
      prompt_tokens: info.promptTokens,
      completion_tokens: info.completionTokens,
      reasoning_tokens: info.reasoningTokens,
      total_tokens: info.totalTokens,
      attempts: info.attempts,
      ...(call.httpStatus !== undefined ? { http_status: call.httpStatus } : {}),
      ...(error ? { error: error.rawMessage } : {}),
    },
    "rpc",
  );
}
