/**
 * ChatService handlers: validate → route → translate → call upstream → translate back → respond. This is where the
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
import { toUpstreamError, UpstreamError } from "../upstream/upstream-failure.ts";
import { unknownModelError, upstreamFailureToConnectError, violationsToConnectError } from "./error-mapping.ts";
import type { ModelRouter, Route } from "./model-router.ts";
import { findRequestViolations } from "./request-violations.ts";

export interface ChatServiceOptions {
  router: ModelRouter;
  googleFieldsPlacement: GoogleFieldsPlacement;
  /** Upstream time limit when the caller set no deadline. */
  defaultTimeoutMs: number;
  logger: Logger;
}

/** The marker the gateway asks Vertex to wrap thoughts in when the caller wants thoughts but named no marker. */
export const GATEWAY_THOUGHT_MARKER = "vertexchat_thought";

export function createChatService(opts: ChatServiceOptions): ServiceImpl<typeof ChatService> {
  function prepare(req: ChatCompletionRequest, stream: boolean) {
    const violations = findRequestViolations(req);
    if (violations.length > 0) throw violationsToConnectError(violations);
    const route = opts.router.route(req.model);
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
    const servedBy = create(ServedBySchema, {
      upstream: route.upstreamName,
      location: route.location,
      upstreamModel: route.upstreamModel,
    });
    return { route, upstreamRequest, servedBy };
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

  function call(ctx: HandlerContext) {
    return { signal: ctx.signal, timeoutMs: ctx.timeoutMs() ?? opts.defaultTimeoutMs };
  }

  return {
    async createChatCompletion(req, ctx) {
      const { route, upstreamRequest, servedBy } = prepare(req, false);
      try {
        const response = await route.upstream.complete(upstreamRequest.body, call(ctx));
        return fromUpstreamResponse(response, { thoughtMarker: upstreamRequest.thoughtMarker, servedBy });
      } catch (err) {
        throw fail(err, route, ctx);
      }
    },

    async *streamChatCompletion(req, ctx): AsyncGenerator<ChatCompletionStreamResponse> {
      const { route, upstreamRequest, servedBy } = prepare(req, true);
      const translator = new StreamTranslator({ thoughtMarker: upstreamRequest.thoughtMarker, servedBy });
      try {
        const chunks = await route.upstream.stream(upstreamRequest.body, call(ctx));
        for await (const chunk of chunks) yield* translator.push(chunk);
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
