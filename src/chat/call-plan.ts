/**
 * What one chat call will do, decided before any I/O: where it goes (route), what is sent (the upstream body) and
 * how long it may take. Pure: the same request and settings give the same plan.
 */
import type { ChatCompletionRequest } from "../../gen/vertexchat/v1/chat_service_pb.ts";
import { TrafficTier } from "../../gen/vertexchat/v1/options_pb.ts";
import { gatewayError } from "../rpc/error-catalogue.ts";
import { unknownModelError } from "../rpc/error-mapping.ts";
import {
  type GoogleFieldsPlacement,
  toUpstreamRequest,
  type UpstreamRequest,
} from "../translate/to-upstream-request.ts";
import type { ModelRouter, Route } from "./model-router.ts";

export interface CallPlan {
  route: Route;
  upstreamRequest: UpstreamRequest;
  /** The time the whole upstream call may take: the caller's deadline, the default, and the route's cap. */
  timeoutMs: number;
}

export interface PlanSettings {
  router: ModelRouter;
  googleFieldsPlacement: GoogleFieldsPlacement;
  /** Upstream time limit when the caller set no deadline. */
  defaultTimeoutMs: number;
  /** The thought marker asked for when the caller wants thoughts but named none. */
  defaultThoughtMarker: string;
}

/** Plans a call, or throws the caller's error (unknown model, a request over the endpoint's size limit). */
export function planCall(
  req: ChatCompletionRequest,
  callerTimeoutMs: number | undefined,
  settings: PlanSettings,
): CallPlan {
  const routed = settings.router.route(req.model, { cachedContent: req.google?.cachedContent ?? "" });
  if (!routed)
    throw unknownModelError(
      req.model,
      settings.router.catalog().map((m) => m.name),
    );
  const route = req.google?.trafficTier === TrafficTier.PRIORITY ? priorityRoute(req.model, routed) : routed;
  const upstreamRequest = toUpstreamRequest(req, {
    upstreamModel: route.upstreamModel,
    googleFieldsPlacement: settings.googleFieldsPlacement,
    defaultThoughtMarker: settings.defaultThoughtMarker,
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
    callerTimeoutMs ?? settings.defaultTimeoutMs,
    route.maxTimeoutMs ?? Number.POSITIVE_INFINITY,
  );
  return { route, upstreamRequest, timeoutMs };
}

/** Priority PayGo exists on Vertex's global endpoint only: the route's global target, or the caller's error. */
function priorityRoute(model: string, route: Route): Route {
  const global = route.targets.filter((target) => target.location === "global");
  if (global.length > 0) return { ...route, targets: global };
  const where = route.targets.map((t) => t.location).filter(Boolean);
  const served =
    where.length > 0
      ? `routed to ${where.join(", ")}`
      : `served by ${route.upstreamName}, which is not a Vertex location`;
  throw gatewayError(
    "PRIORITY_NEEDS_GLOBAL",
    `google.traffic_tier PRIORITY is served on Vertex's global endpoint only, but model ${JSON.stringify(model)} is ${served}; route the model to location global, or leave traffic_tier unset`,
    { metadata: { upstream: route.upstreamName, locations: where.join(",") } },
  );
}
