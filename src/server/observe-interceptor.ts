/**
 * The outermost interceptor: gives every RPC a request id (the caller's `x-request-id`, or a new one, returned in
 * the response headers), and when the RPC is over writes one structured log line — request id, caller, method,
 * model, upstream, location, status, latency, time to first token, token counts, upstream attempts — and reports
 * it to the metrics. Prompt and answer text are never logged; nor are headers (so no Authorization or keys).
 */
import { randomUUID } from "node:crypto";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import { newRpcInfo, RPC_INFO, type RpcInfo } from "../chat/rpc-info.ts";
import { onResponseEnd } from "./interceptor-utils.ts";

export const REQUEST_ID_HEADER = "x-request-id";

export interface RpcObserver {
  started(method: string): void;
  finished(method: string, code: string, seconds: number, info: RpcInfo): void;
}

export function observeInterceptor(logger: Logger, observer: RpcObserver): Interceptor {
  return (next) => async (req) => {
    const started = performance.now();
    const given = req.header.get(REQUEST_ID_HEADER);
    const info = newRpcInfo(given && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID());
    req.contextValues.set(RPC_INFO, info);
    const method = `${req.service.typeName}/${req.method.name}`;
    observer.started(method);
    const done = (err?: unknown) => {
      for (const callback of info.onEnd) callback(err);
      const seconds = (performance.now() - started) / 1000;
      const error = err === undefined ? undefined : ConnectError.from(err);
      const code = error ? Code[error.code] : "OK";
      observer.finished(method, code, seconds, info);
      logger.info(
        {
          request_id: info.requestId,
          caller: info.caller,
          method,
          model: info.model,
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
          ...(error ? { error: error.rawMessage } : {}),
        },
        "rpc",
      );
    };
    try {
      const res = await next(req);
      res.header.set(REQUEST_ID_HEADER, info.requestId);
      return onResponseEnd(res, done);
    } catch (err) {
      const error = ConnectError.from(err);
      error.metadata.set(REQUEST_ID_HEADER, info.requestId);
      done(error);
      throw error;
    }
  };
}
