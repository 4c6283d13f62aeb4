/**
 * ChatService handlers. Requests arrive validated (validation-interceptor.ts); then route → translate → call the
 * upstream (failing over between locations and retrying while nothing has reached the caller) → translate back →
 * respond. This is where the contract (translate/) and the upstream (upstream/) meet; neither knows the other.
 */
import { create } from "@bufbuild/protobuf";
import { ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import type { Logger } from "pino";
import {
  type ChatCompletionRequest,
  type ChatCompletionStreamResponse,
  type ChatService,
  ListModelsResponseSchema,
  type ServedBy,
  ServedBySchema,
  type Usage,
} from "../../gen/vertexchat/v1/chat_service_pb.ts";
import { gatewayError, withErrorInfo } from "../rpc/error-catalogue.ts";
import {
  type FailureContext,
  shuttingDown,
  unknownModelError,
  upstreamFailureToConnectError,
} from "../rpc/error-mapping.ts";
import { RPC_INFO, TRACE_CONTEXT } from "../rpc/rpc-info.ts";
import { fromUpstreamResponse, responseAsChunk } from "../translate/from-upstream-response.ts";
import { IncompleteStreamError, StreamTranslator } from "../translate/from-upstream-stream.ts";
import { type GoogleFieldsPlacement, toUpstreamRequest } from "../translate/to-upstream-request.ts";
import type { StreamLimits, UpstreamCall } from "../upstream/chat-upstream.ts";
import { linkedAbort } from "../upstream/linked-abort.ts";
import { type RetryPolicy, withRetries } from "../upstream/retry-policy.ts";
import { toUpstreamError, UpstreamError } from "../upstream/upstream-failure.ts";
import type { WireChunk } from "../wire/vertex-wire.ts";
import type { ModelRouter, Target } from "./model-router.ts";

export interface ChatServiceOptions {
  router: ModelRouter;
  googleFieldsPlacement: GoogleFieldsPlacement;
  /** Upstream time limit when the caller set no deadline. */
  defaultTimeoutMs: number;
  retry: RetryPolicy;
  streamLimits: StreamLimits;
  logger: Logger;
  /** Told of every upstream attempt (for metrics). */
  onUpstreamAttempt?: (attempt: { upstream: string; location: string; status: string; seconds: number }) => void;
  /** Aborted when the gateway stops for good: every upstream call still running is aborted. */
  stopSignal?: AbortSignal;
}

/** The marker the gateway asks Vertex to wrap thoughts in when the caller wants thoughts but named no marker. */
export const GATEWAY_THOUGHT_MARKER = "vertexchat_thought";

/** Response headers (and, for errors, ErrorInfo metadata) that say where a call was served. */
export const SERVED_BY_HEADERS = {
  upstream: "x-vertexchat-upstream",
  location: "x-vertexchat-location",
  upstreamModel: "x-vertexchat-upstream-model",
} as const;

export function createChatService(opts: ChatServiceOptions): ServiceImpl<typeof ChatService> {
  function prepare(req: ChatCompletionRequest, stream: boolean, ctx: HandlerContext) {
    const route = opts.router.route(req.model, { cachedContent: req.google?.cachedContent ?? "" });
    if (!route)
      throw unknownModelError(
        req.model,
        opts.router.catalog().map((m) => m.name),
      );
    const upstreamRequest = toUpstreamRequest(req, {
      upstreamModel: route.upstreamModel,
      stream,
      googleFieldsPlacement: opts.googleFieldsPlacement,
      defaultThoughtMarker: GATEWAY_THOUGHT_MARKER,
    });
    if (
      route.maxRequestBytes !== undefined &&
      Buffer.byteLength(JSON.stringify(upstreamRequest.body)) > route.maxRequestBytes
    ) {
      throw gatewayError(
        "ENDPOINT_REQUEST_TOO_LARGE",
        `the request is over the ${route.maxRequestBytes}-byte limit of ${route.upstreamName}, a shared-DNS Model Garden endpoint; send less inline media or use a dedicated endpoint`,
        { metadata: { upstream: route.upstreamName, limit: String(route.maxRequestBytes) } },
      );
    }
    const timeoutMs = Math.min(
      ctx.timeoutMs() ?? opts.defaultTimeoutMs,
      route.maxTimeoutMs ?? Number.POSITIVE_INFINITY,
    );
    // Aborted by the caller (cancel, disconnect, deadline) or by the gateway stopping for good.
    const abort = linkedAbort([ctx.signal, opts.stopSignal]);
    const call: UpstreamCall = { signal: abort.signal, timeoutMs, traceContext: ctx.values.get(TRACE_CONTEXT) };
    const info = ctx.values.get(RPC_INFO);
    const served = { target: route.targets[0] as Target };
    /** Tries each target in turn (failover), then retries; records where the call went. */
    const attempt = <T>(send: (target: Target) => Promise<T>) =>
      withRetries(
        (index) => {
          served.target = route.targets[index] as Target;
          if (info) {
            Object.assign(info, {
              upstreamModel: route.upstreamModel ?? "",
              upstream: route.upstreamName,
              location: served.target.location,
            });
            info.attempts++;
          }
          const target = served.target;
          const began = performance.now();
          const report = (status: string) =>
            opts.onUpstreamAttempt?.({
              upstream: route.upstreamName,
              location: target.location,
              status,
              seconds: (performance.now() - began) / 1000,
            });
          return send(target).then(
            (value) => {
              report("200");
              return value;
            },
            (err: unknown) => {
              const failure = toUpstreamError(err).failure;
              report(failure.kind === "http" ? String(failure.status) : failure.kind);
              throw err;
            },
          );
        },
        opts.retry,
        {
          signal: ctx.signal,
          deadlineAt: Date.now() + timeoutMs,
          targets: route.targets.length,
          onRetry: (n, failure, waitMs) =>
            opts.logger.warn(
              { attempt: n, failure, wait_ms: waitMs, upstream: route.upstreamName, location: served.target.location },
              "retrying upstream call",
            ),
        },
      );
    const servedBy = (): ServedBy => {
      const value = create(ServedBySchema, {
        upstream: route.upstreamName,
        location: served.target.location,
        upstreamModel: route.upstreamModel ?? "",
      });
      ctx.responseHeader.set(SERVED_BY_HEADERS.upstream, value.upstream);
      if (value.location) ctx.responseHeader.set(SERVED_BY_HEADERS.location, value.location);
      if (value.upstreamModel) ctx.responseHeader.set(SERVED_BY_HEADERS.upstreamModel, value.upstreamModel);
      return value;
    };
    const failureContext = (): FailureContext => ({
      upstream: route.upstreamName,
      model: route.upstreamModel ?? "",
      location: served.target.location,
    });
    return { route, upstreamRequest, call, attempt, servedBy, failureContext, release: abort.release };
  }

  function fail(err: unknown, context: FailureContext, ctx: HandlerContext): ConnectError {
    if (opts.stopSignal?.aborted && !ctx.signal.aborted) {
      return shuttingDown();
    }
    if (err instanceof ConnectError) return err;
    if (err instanceof IncompleteStreamError) {
      return upstreamFailureToConnectError({ kind: "stream", message: err.message }, context);
    }
    const upstream = err instanceof UpstreamError ? err : toUpstreamError(err);
    // A cancelled caller is told CANCELED and an expired deadline DEADLINE_EXCEEDED, whatever fetch reported.
    const { failure } = upstream;
    if ((ctx.signal.aborted && failure.kind !== "http") || failure.kind === "aborted") {
      const reason: unknown = ctx.signal.reason;
      if (reason instanceof ConnectError) return withErrorInfo(reason);
      return gatewayError("CANCELLED", "the call was cancelled");
    }
    return upstreamFailureToConnectError(failure, context);
  }

  return {
    async createChatCompletion(req, ctx) {
      const { route, upstreamRequest, call, attempt, servedBy, failureContext, release } = prepare(req, false, ctx);
      try {
        const response = await attempt((target) => target.upstream.complete(upstreamRequest.body, call));
        const result = fromUpstreamResponse(response, {
          thoughtMarker: upstreamRequest.thoughtMarker,
          servedBy: servedBy(),
          usageSemantics: route.usageSemantics,
        });
        recordUsage(ctx, result.usage);
        return result;
      } catch (err) {
        throw fail(err, failureContext(), ctx);
      } finally {
        release();
      }
    },

    async *streamChatCompletion(req, ctx): AsyncGenerator<ChatCompletionStreamResponse> {
      const started = performance.now();
      const { route, upstreamRequest, call, attempt, servedBy, failureContext, release } = prepare(req, true, ctx);
      if (route.streaming === "reject") {
        release();
        throw gatewayError(
          "ENDPOINT_CANNOT_STREAM",
          `model ${JSON.stringify(req.model)} is served by ${route.upstreamName}, a shared-DNS Model Garden endpoint, which cannot stream; call CreateChatCompletion, or deploy the model behind a dedicated endpoint`,
          { metadata: { upstream: route.upstreamName, model: req.model } },
        );
      }
      try {
        let batches: AsyncIterator<WireChunk[]> | undefined;
        let first: IteratorResult<WireChunk[]>;
        if (route.streaming === "unary") {
          // The documented fallback for endpoints that cannot stream: one unary call, delivered as one chunk.
          const { stream: _, ...unaryBody } = upstreamRequest.body;
          const response = await attempt((target) => target.upstream.complete(unaryBody, call));
          first = { done: false, value: [responseAsChunk(response)] };
        } else {
          // The first chunk is awaited inside the retries: until it is forwarded, nothing has reached the caller.
          ({ batches, first } = await attempt(async (target) => {
            const opened = await target.upstream.stream(upstreamRequest.body, call, opts.streamLimits);
            const iterator = opened[Symbol.asyncIterator]();
            return { batches: iterator, first: await iterator.next() };
          }));
        }
        const translator = new StreamTranslator({
          thoughtMarker: upstreamRequest.thoughtMarker,
          servedBy: servedBy(),
          usageSemantics: route.usageSemantics,
          wholeResponse: route.streaming === "unary",
        });
        const info = ctx.values.get(RPC_INFO);
        if (info) info.timeToFirstTokenMs = performance.now() - started;
        // What arrived together goes out together: consecutive text of a batch is one message (see pushBatch).
        for (let next = first; !next.done; next = batches ? await batches.next() : { done: true, value: undefined }) {
          yield* translator.pushBatch(next.value);
        }
        for (const event of translator.finish()) {
          if (event.event.case === "finished") recordUsage(ctx, event.event.value.usage);
          yield event;
        }
      } catch (err) {
        throw fail(err, failureContext(), ctx);
      } finally {
        release();
      }
    },

    listModels() {
      return create(ListModelsResponseSchema, { models: opts.router.catalog() });
    },
  };
}

function recordUsage(ctx: HandlerContext, usage: Usage | undefined): void {
  const info = ctx.values.get(RPC_INFO);
  if (!info || !usage) return;
  info.promptTokens = usage.promptTokens;
  info.completionTokens = usage.completionTokens;
  info.reasoningTokens = usage.reasoningTokens;
  info.totalTokens = usage.totalTokens;
}
