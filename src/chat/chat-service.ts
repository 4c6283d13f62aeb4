/**
 * ChatService handlers. Requests arrive validated (validation-interceptor.ts); then plan (route, translate, time
 * limit: call-plan.ts) → call the upstream (attempt-runner.ts: failover between locations, retries while nothing has
 * reached the caller) → translate back → respond. This is where the contract (translate/) and the upstream (upstream/) meet; neither knows the other.
 */
import { create } from "@bufbuild/protobuf";
import { ConnectError, type HandlerContext, type ServiceImpl } from "@connectrpc/connect";
import type { Logger } from "pino";
import {
  type ChatCompletionRequest,
  type ChatCompletionResponse,
  type ChatCompletionStreamResponse,
  type ChatService,
  ListModelsResponseSchema,
  type ServedBy,
  ServedBySchema,
  type Usage,
} from "../../gen/vertexchat/v1/chat_service_pb.ts";
import { gatewayError, withErrorInfo } from "../rpc/error-catalogue.ts";
import { type FailureContext, shuttingDown, upstreamFailureToConnectError } from "../rpc/error-mapping.ts";
import { RPC_INFO, type RpcInfo, TRACE_CONTEXT } from "../rpc/rpc-info.ts";
import { fromUpstreamResponse, responseAsChunk } from "../translate/from-upstream-response.ts";
import { IncompleteStreamError, StreamTranslator } from "../translate/from-upstream-stream.ts";
import type { GoogleFieldsPlacement } from "../translate/to-upstream-request.ts";
import type { StreamLimits, UpstreamCall } from "../upstream/chat-upstream.ts";
import { linkedAbort } from "../upstream/linked-abort.ts";
import type { RetryPolicy } from "../upstream/retry-policy.ts";
import { UpstreamError } from "../upstream/upstream-failure.ts";
import type { WireChunk } from "../wire/vertex-wire.ts";
import { type Attempt, AttemptRunner } from "./attempt-runner.ts";
import { type CallPlan, type PlanSettings, planCall } from "./call-plan.ts";
import type { ModelRouter, Route, Target } from "./model-router.ts";

export interface ChatServiceOptions {
  router: ModelRouter;
  googleFieldsPlacement: GoogleFieldsPlacement;
  /** Upstream time limit when the caller set no deadline. */
  defaultTimeoutMs: number;
  retry: RetryPolicy;
  streamLimits: StreamLimits;
  logger: Logger;
  /** Told of every upstream attempt (for metrics); the per-call record is kept here. */
  onUpstreamAttempt?: (attempt: Attempt) => void;
  /** Aborted when the gateway stops for good: every upstream call still running is aborted. */
  stopSignal?: AbortSignal;
}

/** The marker the gateway asks Vertex to wrap thoughts in when the caller wants thoughts but named no marker. */
const GATEWAY_THOUGHT_MARKER = "vertexchat_thought";

/** Response headers (and, for errors, ErrorInfo metadata) that say where a call was served. */
const SERVED_BY_HEADERS = {
  upstream: "x-vertexchat-upstream",
  location: "x-vertexchat-location",
  upstreamModel: "x-vertexchat-upstream-model",
} as const;

export function createChatService(opts: ChatServiceOptions): ServiceImpl<typeof ChatService> {
  const settings: PlanSettings = { ...opts, defaultThoughtMarker: GATEWAY_THOUGHT_MARKER };
  return {
    createChatCompletion: (req, ctx) => createCompletion(opts, settings, req, ctx),
    streamChatCompletion: (req, ctx) => streamCompletion(opts, settings, req, ctx),
    listModels: () => create(ListModelsResponseSchema, { models: opts.router.catalog() }),
  };
}

async function createCompletion(
  opts: ChatServiceOptions,
  settings: PlanSettings,
  req: ChatCompletionRequest,
  ctx: HandlerContext,
): Promise<ChatCompletionResponse> {
  const plan = planCall(req, ctx.timeoutMs(), settings);
  const { attempts, release } = startCall(opts, plan, ctx);
  try {
    const response = await attempts.run((target, call) => target.upstream.complete(plan.upstreamRequest.body, call));
    const servedBy = servedByOf(plan.route, attempts.target);
    setServedByHeaders(ctx.responseHeader, servedBy);
    const result = fromUpstreamResponse(response, {
      thoughtMarker: plan.upstreamRequest.thoughtMarker,
      servedBy,
      usageSemantics: plan.route.usageSemantics,
    });
    recordUsage(ctx, result.usage);
    return result;
  } catch (err) {
    throw fail(opts, err, plan, attempts, ctx);
  } finally {
    release();
  }
}

async function* streamCompletion(
  opts: ChatServiceOptions,
  settings: PlanSettings,
  req: ChatCompletionRequest,
  ctx: HandlerContext,
): AsyncGenerator<ChatCompletionStreamResponse> {
  const started = performance.now();
  const plan = planCall(req, ctx.timeoutMs(), settings);
  const { route, upstreamRequest } = plan;
  if (route.streaming === "reject") {
    throw gatewayError(
      "ENDPOINT_CANNOT_STREAM",
      `model ${JSON.stringify(req.model)} is served by ${route.upstreamName}, a shared-DNS Model Garden endpoint, which cannot stream; call CreateChatCompletion, or deploy the model behind a dedicated endpoint`,
      { metadata: { upstream: route.upstreamName, model: req.model } },
    );
  }
  const { attempts, release } = startCall(opts, plan, ctx);
  try {
    let batches: AsyncIterator<WireChunk[]> | undefined;
    let first: IteratorResult<WireChunk[]>;
    if (route.streaming === "unary") {
      // The documented fallback for endpoints that cannot stream: one unary call, delivered as one chunk.
      const response = await attempts.run((target, call) => target.upstream.complete(upstreamRequest.body, call));
      first = { done: false, value: [responseAsChunk(response)] };
    } else {
      // The first chunk is awaited inside the retries: until it is forwarded, nothing has reached the caller.
      ({ batches, first } = await attempts.run(async (target, call) => {
        const opened = await target.upstream.stream(upstreamRequest.body, call, opts.streamLimits);
        const iterator = opened[Symbol.asyncIterator]();
        return { batches: iterator, first: await iterator.next() };
      }));
    }
    const servedBy = servedByOf(route, attempts.target);
    setServedByHeaders(ctx.responseHeader, servedBy);
    const translator = new StreamTranslator({
      thoughtMarker: upstreamRequest.thoughtMarker,
      servedBy,
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
    throw fail(opts, err, plan, attempts, ctx);
  } finally {
    release();
  }
}

/** The upstream side of one call: its abort (caller, deadline, gateway stop) and its attempts. */
function startCall(opts: ChatServiceOptions, plan: CallPlan, ctx: HandlerContext) {
  const abort = linkedAbort([ctx.signal, opts.stopSignal]);
  const call: UpstreamCall = {
    signal: abort.signal,
    timeoutMs: plan.timeoutMs,
    headers: plan.upstreamRequest.headers,
    traceContext: ctx.values.get(TRACE_CONTEXT),
  };
  const info = ctx.values.get(RPC_INFO);
  const attempts = new AttemptRunner(plan, call, {
    retry: opts.retry,
    logger: opts.logger,
    signal: ctx.signal,
    observe: (attempt) => {
      if (info) recordAttempt(info, attempt);
      opts.onUpstreamAttempt?.(attempt);
    },
  });
  return { attempts, release: abort.release };
}

/** Timers that fire this close to the caller's deadline are the deadline. */
const DEADLINE_SLACK_MS = 25;

/** The caller's error for whatever ended a call. */
function fail(
  opts: ChatServiceOptions,
  err: unknown,
  plan: CallPlan,
  attempts: AttemptRunner,
  ctx: HandlerContext,
): ConnectError {
  if (opts.stopSignal?.aborted && !ctx.signal.aborted) {
    return shuttingDown();
  }
  if (err instanceof ConnectError) return err;
  const context: FailureContext = {
    upstream: plan.route.upstreamName,
    model: plan.route.upstreamModel ?? "",
    location: attempts.target.location,
  };
  if (err instanceof IncompleteStreamError) {
    return upstreamFailureToConnectError({ kind: "stream", message: err.message }, context);
  }
  if (!(err instanceof UpstreamError)) {
    opts.logger.error({ err }, "unexpected error in a chat call");
    return gatewayError("GATEWAY_INTERNAL", `the gateway failed: ${err instanceof Error ? err.message : String(err)}`, {
      cause: err,
    });
  }
  // A cancelled caller is told CANCELED and an expired deadline DEADLINE_EXCEEDED, whatever fetch reported.
  const { failure } = err;
  if ((ctx.signal.aborted && failure.kind !== "http") || failure.kind === "aborted") {
    const reason: unknown = ctx.signal.reason;
    if (reason instanceof ConnectError) return withErrorInfo(reason);
    return gatewayError("CANCELLED", "the call was cancelled");
  }
  // The upstream timeout is the caller's deadline when the caller set one: whichever timer fired first, it is the
  // deadline that passed.
  const left = ctx.timeoutMs();
  if (failure.kind === "timeout" && left !== undefined && left <= DEADLINE_SLACK_MS) {
    return gatewayError("DEADLINE_EXCEEDED", "the caller's deadline passed before Vertex answered");
  }
  return upstreamFailureToConnectError(failure, context);
}

/** Where the call was served: the route's upstream and model, the location of the attempt that answered. */
function servedByOf(route: Route, target: Target): ServedBy {
  return create(ServedBySchema, {
    upstream: route.upstreamName,
    location: target.location,
    upstreamModel: route.upstreamModel ?? "",
  });
}

function setServedByHeaders(headers: Headers, servedBy: ServedBy): void {
  headers.set(SERVED_BY_HEADERS.upstream, servedBy.upstream);
  if (servedBy.location) headers.set(SERVED_BY_HEADERS.location, servedBy.location);
  if (servedBy.upstreamModel) headers.set(SERVED_BY_HEADERS.upstreamModel, servedBy.upstreamModel);
}

/** The per-call record holds where the latest attempt went and how many there were. */
function recordAttempt(info: RpcInfo, attempt: Attempt): void {
  info.upstream = attempt.upstream;
  info.location = attempt.location;
  info.upstreamModel = attempt.upstreamModel;
  info.attempts++;
}

function recordUsage(ctx: HandlerContext, usage: Usage | undefined): void {
  const info = ctx.values.get(RPC_INFO);
  if (!info || !usage) return;
  info.promptTokens = usage.promptTokens;
  info.completionTokens = usage.completionTokens;
  info.reasoningTokens = usage.reasoningTokens;
  info.totalTokens = usage.totalTokens;
}
