/**
 * Which upstream, location(s) and upstream model serve a requested model, from the configured routes: exact names
 * and aliases first, then the longest matching prefix, then the default upstream.
 */
import { create } from "@bufbuild/protobuf";
import { type Model, ModelSchema } from "../../gen/vertexchat/v1/chat_service_pb.ts";
import type { RouteRule, Routing, Upstream } from "../config/routing.ts";
import type { UsageSemantics } from "../translate/usage.ts";
import type { ChatUpstream } from "../upstream/chat-upstream.ts";
import { cachedContentLocation } from "../wire/vertex-urls.ts";

export interface Target {
  /** The Vertex location, or "" for non-Vertex upstreams. */
  location: string;
  upstream: ChatUpstream;
}

export interface Route {
  upstreamName: string;
  /** In failover order. */
  targets: Target[];
  /** The model name to send; undefined sends none (an unnamed deployed model). */
  upstreamModel: string | undefined;
  usageSemantics: UsageSemantics;
  /** How a streaming call is served: normally, refused, or from one unary call (shared-DNS endpoints). */
  streaming: "stream" | "reject" | "unary";
  /** Limits of the upstream itself (shared-DNS endpoints: 1.5 MB, 60 s). */
  maxRequestBytes: number | undefined;
  maxTimeoutMs: number | undefined;
}

export interface ModelRouter {
  /** The route for a model, or undefined when no route serves it. */
  route(model: string, hints?: { cachedContent?: string }): Route | undefined;
  /** The catalog ListModels returns. */
  catalog(): Model[];
}

/** The ChatUpstream for one upstream at one location (built by the server wiring, with its credentials). */
export type ClientFactory = (upstream: Upstream, location: string) => ChatUpstream;

const SHARED_DNS_MAX_BYTES = 1_500_000;
const SHARED_DNS_TIMEOUT_MS = 60_000;

export function createRouter(routing: Routing, clientFor: ClientFactory): ModelRouter {
  const exact = new Map(routing.routes.filter((r) => !r.match.endsWith("*")).map((r) => [r.match, r]));
  const prefixes = routing.routes.filter((r) => r.match.endsWith("*")).sort((a, b) => b.match.length - a.match.length);
  const clients = new Map<string, ChatUpstream>();
  const client = (upstream: Upstream, location: string) => {
    const key = `${upstream.name}\u0000${location}`;
    let c = clients.get(key);
    if (!c) {
      c = clientFor(upstream, location);
      clients.set(key, c);
    }
    return c;
  };
  // Every configured location now (a bad upstream stops start-up); a context cache's region when first needed.
  for (const upstream of routing.upstreams.values()) {
    for (const location of locationsFor(upstream, "")) client(upstream, location);
    if (upstream.kind === "vertex" && upstream.globalOnlyModels.length > 0) client(upstream, "global");
    if (upstream.kind === "openai-compatible") client(upstream, "");
  }

  function find(model: string): { rule: RouteRule | undefined; upstream: Upstream } | undefined {
    const rule =
      exact.get(model) ??
      prefixes.find((r) => model.startsWith(r.match.slice(0, -1)) && model.length >= r.match.length);
    const name = rule?.upstream ?? routing.defaultUpstream;
    const upstream = name === undefined ? undefined : routing.upstreams.get(name);
    return upstream ? { rule, upstream } : undefined;
  }

  return {
    route(model, hints = {}) {
      const found = find(model);
      if (!found) return undefined;
      const { rule, upstream } = found;
      const upstreamModel = rule?.model ?? model;
      switch (upstream.kind) {
        case "vertex": {
          return {
            upstreamName: upstream.name,
            targets: locationsFor(upstream, upstreamModel, hints).map((location) => ({
              location,
              upstream: client(upstream, location),
            })),
            upstreamModel,
            usageSemantics: "vertex",
            streaming: streamingMode(upstream),
            maxRequestBytes: undefined,
            maxTimeoutMs: undefined,
          };
        }
        case "vertex-endpoint": {
          const shared = upstream.dns === "shared";
          return {
            upstreamName: upstream.name,
            targets: [{ location: upstream.location, upstream: client(upstream, upstream.location) }],
            upstreamModel: upstream.deployedModel,
            usageSemantics: upstream.usageSemantics,
            streaming: streamingMode(upstream),
            maxRequestBytes: shared ? SHARED_DNS_MAX_BYTES : undefined,
            maxTimeoutMs: shared ? SHARED_DNS_TIMEOUT_MS : undefined,
          };
        }
        case "openai-compatible":
          return {
            upstreamName: upstream.name,
            targets: [{ location: "", upstream: client(upstream, "") }],
            upstreamModel,
            usageSemantics: upstream.usageSemantics,
            streaming: streamingMode(upstream),
            maxRequestBytes: undefined,
            maxTimeoutMs: undefined,
          };
      }
    },

    catalog: () => catalogOf(routing),
  };
}

/** ListModels: every route, with what routing will do for it (locations, streaming) and its aliases. */
function catalogOf(routing: Routing): Model[] {
  const aliasesOf = new Map<string, string[]>();
  for (const r of routing.routes) {
    if (r.model === undefined) continue;
    const key = `${r.upstream}\u0000${r.model}`;
    aliasesOf.set(key, [...(aliasesOf.get(key) ?? []), r.match]);
  }
  const models = routing.routes.map((r) => {
    const upstream = routing.upstreams.get(r.upstream) as Upstream;
    const upstreamModel =
      upstream.kind === "vertex-endpoint"
        ? (upstream.deployedModel ?? "")
        : (r.model ?? (r.match.endsWith("*") ? "" : r.match));
    return create(ModelSchema, {
      name: r.match,
      aliases: r.model === undefined ? (aliasesOf.get(`${r.upstream}\u0000${r.match}`) ?? []) : [],
      upstream: r.upstream,
      locations: locationsFor(upstream, upstreamModel),
      upstreamModel,
      capabilities: r.capabilities ?? defaultCapabilities(upstream),
    });
  });
  return models.sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * Where a model of this upstream is served, in failover order (route and ListModels both ask here): a context
 * cache lives in one region, a global-only model only at global.
 */
function locationsFor(upstream: Upstream, model: string, hints: { cachedContent?: string } = {}): string[] {
  switch (upstream.kind) {
    case "vertex": {
      const cacheLocation = hints.cachedContent ? cachedContentLocation(hints.cachedContent) : undefined;
      if (cacheLocation) return [cacheLocation];
      return matchesAny(model, upstream.globalOnlyModels) ? ["global"] : upstream.locations;
    }
    case "vertex-endpoint":
      return [upstream.location];
    case "openai-compatible":
      return [];
  }
}

/** How the upstream streams (route and ListModels' capabilities both ask here). */
function streamingMode(upstream: Upstream): Route["streaming"] {
  if (upstream.kind !== "vertex-endpoint" || upstream.dns !== "shared") return "stream";
  return upstream.sharedDnsStreaming === "unary" ? "unary" : "reject";
}

/** What a route can do when the routing file does not say. */
function defaultCapabilities(upstream: Upstream) {
  return {
    streaming: streamingMode(upstream) !== "reject",
    tools: true,
    mediaInput: upstream.kind === "vertex",
    thinking: false,
  };
}

export function matchesAny(model: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => (p.endsWith("*") ? model.startsWith(p.slice(0, -1)) : model === p));
}
