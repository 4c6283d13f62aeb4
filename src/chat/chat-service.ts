/**
 * ChatService handlers. Requests arrive validated (validation-interceptor.ts); then route → translate → call the
 * upstream (with retries while nothing has reached the caller) → translate back → respond. This is where the
 * contract (translate/) and the upstream (upstream/) meet; neither knows the other.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import type { Logger } from "pino";
import {
  type ChatCompletionRequest,
  type ChatCompletionStreamResponse,
  type ChatService,
  ListModelsResponseSchema,
  ServedBySchema,
} from "../../gen/vertexchat/v1/chat_service_pb.ts";
import { fromUpstreamResponse } from "../translate/from-upstream-response.ts";
import { IncompleteStreamError, StreamTranslator } from "../translate/from-upstream-stream.ts";
import { type GoogleFieldsPlacement, toUpstreamRequest } from "../translate/to-upstream-request.ts";
import type { StreamLimits, UpstreamCall } from "../upstream/chat-upstream.ts";
import { type RetryPolicy, withRetries } from "../upstream/retry-policy.ts";
import { toUpstreamError, UpstreamError } from "../upstream/upstream-failure.ts";
import { unknownModelError, upstreamFailureToConnectError } from "./error-mapping.ts";
import type { ModelRouter, Route } from "./model-router.ts";
import { RPC_INFO } from "./rpc-info.ts";

export interface ChatServiceOptions {
  router: ModelRouter;
  googleFieldsPlacement: GoogleFieldsPlacement;
  /** Upstream time limit when the caller set no deadline. */
  defaultTimeoutMs: number;
  retry: RetryPolicy;
  streamLimits: StreamLimits;
  logger: Logger;
}

/** The marker the gateway asks Vertex to wrap thoughts in when the caller wants thoughts but named no marker. */
export const GATEWAY_THOUGHT_MARKER = "vertexchat_thought";

export function createChatService(opts: ChatServiceOptions): ServiceImpl<typeof ChatService> {
  function prepare(req: ChatCompletionRequest, stream: boolean, ctx: HandlerContext) {
    const route = opts.router.route(req.model);
    if (!route)
      throw unknownModelError(
        req.model,
        opts.router.catalog().map((m) => m.name),
      );
    const info = ctx.values.get(RPC_INFO);
    if (info)
      Object.assign(info, { model: route.upstreamModel, upstream: route.upstreamName, location: route.location });
    const upstreamRequest = toUpstreamRequest(req, {
      upstreamModel: route.upstreamModel,
      stream,
      googleFieldsPlacement: opts.googleFieldsPlacement,
      defaultThoughtMarker: GATEWAY_THOUGHT_MARKER,
    });
    const servedBy = create(ServedBySchema, {
      upstream: route.upstreamName,
      location: route.location,
      upstreamModel: route.upstreamModel,
    });
    const timeoutMs = ctx.timeoutMs() ?? opts.defaultTimeoutMs;
    const call: UpstreamCall = { signal: ctx.signal, timeoutMs };
    const retry = <T>(attempt: () => Promise<T>) =>
      withRetries(
        () => {
          if (info) info.attempts++;
          return attempt();
        },
        opts.retry,
        {
          signal: ctx.signal,
          deadlineAt: Date.now() + timeoutMs,
          onRetry: (n, failure, waitMs) =>
            opts.logger.warn(
              { attempt: n, failure, wait_ms: waitMs, upstream: route.upstreamName },
              "retrying upstream call",
            ),
        },
      );
    return { route, upstreamRequest, servedBy, call, retry };
  }

  function fail(err: unknown, route: Route, ctx: HandlerContext): ConnectError {
    if (err instanceof ConnectError) return err;
    if (err instanceof IncompleteStreamError) {
      return upstreamFailureToConnectError({ kind: "stream", message: err.message }, failureContext(route));
    }
    const upstream = err instanceof UpstreamError ? err : toUpstreamError(err);
    // A cancelled caller is told CANCELED and an expired deadline DEADLINE_EXCEEDED, whatever fetch reported.
    if (ctx.signal.aborted && upstream.failure.kind !== "http") {
      const reason = ctx.signal.reason;
      if (reason instanceof ConnectError) return reason;
      return new ConnectError("the call was cancelled", Code.Canceled);
    }
    return upstreamFailureToConnectError(upstream.failure, failureContext(route));
  }

  return {
    async createChatCompletion(req, ctx) {
      const { route, upstreamRequest, servedBy, call, retry } = prepare(req, false, ctx);
      try {
        const response = await retry(() => route.upstream.complete(upstreamRequest.body, call));
        return fromUpstreamResponse(response, { thoughtMarker: upstreamRequest.thoughtMarker, servedBy });
      } catch (err) {
        throw fail(err, route, ctx);
      }
    },

    async *streamChatCompletion(req, ctx): AsyncGenerator<ChatCompletionStreamResponse> {
      const { route, upstreamRequest, servedBy, call, retry } = prepare(req, true, ctx);
      const translator = new StreamTranslator({ thoughtMarker: upstreamRequest.thoughtMarker, servedBy });
      try {
        // The first chunk is awaited inside the retry: until it is forwarded, nothing has reached the caller.
        const { chunks, first } = await retry(async () => {
          const opened = await route.upstream.stream(upstreamRequest.body, call, opts.streamLimits);
          const iterator = opened[Symbol.asyncIterator]();
          return { chunks: iterator, first: await iterator.next() };
        });
        for (let next = first; !next.done; next = await chunks.next()) yield* translator.push(next.value);
        yield* translator.finish();
      } catch (err) {
        throw fail(err, route, ctx);
      }
    },

    listModels() {
      return create(ListModelsResponseSchema, { models: opts.router.catalog() });
    },
  };
}

function failureContext(route: Route) {
  return { upstream: route.upstreamName, model: route.upstreamModel, location: route.location };
}
