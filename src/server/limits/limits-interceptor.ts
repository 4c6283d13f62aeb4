/**
 * Per-caller limits: concurrent streams, requests per minute, and tokens per minute (counted from the usage Vertex
 * reports). Beyond a limit the call is refused with RESOURCE_EXHAUSTED and a RetryInfo saying how long to wait.
 */
import type { Interceptor } from "@connectrpc/connect";
import { ChatService } from "../../../gen/vertexchat/v1/chat_service_pb.ts";
import { gatewayError } from "../../rpc/error-catalogue.ts";
import { RPC_INFO } from "../../rpc/rpc-info.ts";
import { CALLER_LIMITS } from "../auth/auth-interceptor.ts";
import { whenCallEnds } from "../interceptor-utils.ts";
import type { LimitStore } from "./limit-store.ts";

export function limitsInterceptor(store: LimitStore): Interceptor {
  return (next) => async (req) => {
    const limits = req.contextValues.get(CALLER_LIMITS);
    const info = req.contextValues.get(RPC_INFO);
    if (!limits || !info || req.service.typeName !== ChatService.typeName) return next(req);
    const caller = info.caller;
    if (limits.requestsPerMinute !== undefined) {
      const wait = await store.takeRequest(caller, limits.requestsPerMinute);
      if (wait !== undefined) {
        throw gatewayError(
          "CALLER_REQUESTS_PER_MINUTE",
          `caller ${caller} is over its ${limits.requestsPerMinute} requests per minute`,
          { retryAfterMs: wait, metadata: { caller, limit: String(limits.requestsPerMinute) } },
        );
      }
    }
    if (limits.tokensPerMinute !== undefined) {
      const wait = await store.tokensOver(caller, limits.tokensPerMinute);
      if (wait !== undefined) {
        throw gatewayError(
          "CALLER_TOKENS_PER_MINUTE",
          `caller ${caller} used its ${limits.tokensPerMinute} tokens for this minute`,
          { retryAfterMs: wait, metadata: { caller, limit: String(limits.tokensPerMinute) } },
        );
      }
    }
    let release: (() => Promise<void>) | undefined;
    if (req.method.methodKind === "server_streaming" && limits.concurrentStreams !== undefined) {
      release = await store.acquireStream(caller, limits.concurrentStreams);
      if (!release) {
        throw gatewayError(
          "CALLER_CONCURRENT_STREAMS",
          `caller ${caller} already has ${limits.concurrentStreams} streams open`,
          { metadata: { caller, limit: String(limits.concurrentStreams) } },
        );
      }
    }
    const finish = () => {
      void release?.();
      if (info.totalTokens > 0) void store.addTokens(caller, info.totalTokens).catch(() => undefined);
    };
    try {
      return whenCallEnds(info, await next(req), finish);
    } catch (err) {
      finish();
      throw err;
    }
  };
}
