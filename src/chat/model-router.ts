/**
 * Which upstream serves a model. The environment-configured gateway has one Vertex upstream at one location and
 * serves every model of the publishers Vertex hosts on its shared `openapi` endpoint.
 */
import { create } from "@bufbuild/protobuf";
import { type Model, ModelSchema } from "../../gen/vertexchat/v1/chat_service_pb.ts";
import type { ChatUpstream } from "../upstream/chat-upstream.ts";

export interface Route {
  upstreamName: string;
  upstream: ChatUpstream;
  /** The Vertex location, or "" for non-Vertex upstreams. */
  location: string;
  upstreamModel: string;
}

export interface ModelRouter {
  route(model: string): Route | undefined;
  /** The catalog ListModels returns. */
  catalog(): Model[];
}

/** Publishers whose models Vertex serves on the shared `openapi` endpoint. */
const VERTEX_PUBLISHER_PATTERNS = ["google/*", "meta/*", "mistralai/*", "xai/*", "deepseek-ai/*", "qwen/*", "openai/*"];

/** Well-known Gemini models, listed by name so callers can discover them. */
const KNOWN_GEMINI_MODELS = [
  "google/gemini-2.0-flash",
  "google/gemini-2.5-flash",
  "google/gemini-2.5-flash-lite",
  "google/gemini-2.5-pro",
  "google/gemini-3-flash-preview",
  "google/gemini-3-pro-preview",
  "google/gemini-3-pro-image-preview",
  "google/gemini-3.1-pro-preview",
];

export function singleVertexRouter(opts: {
  upstreamName: string;
  upstream: ChatUpstream;
  location: string;
}): ModelRouter {
  const prefixes = VERTEX_PUBLISHER_PATTERNS.map((p) => p.slice(0, -1));
  return {
    route(model) {
      if (!prefixes.some((prefix) => model.startsWith(prefix) && model.length > prefix.length)) return undefined;
      return {
        upstreamName: opts.upstreamName,
        upstream: opts.upstream,
        location: opts.location,
        upstreamModel: model,
      };
    },
    catalog() {
      const entry = (name: string, thinking: boolean): Model =>
        create(ModelSchema, {
          name,
          upstream: opts.upstreamName,
          locations: [opts.location],
          upstreamModel: name.endsWith("*") ? "" : name,
          capabilities: { streaming: true, tools: true, mediaInput: name.startsWith("google/"), thinking },
        });
      return [
        ...KNOWN_GEMINI_MODELS.map((name) => entry(name, !name.includes("2.0"))),
        ...VERTEX_PUBLISHER_PATTERNS.map((pattern) => entry(pattern, false)),
      ].sort((a, b) => a.name.localeCompare(b.name));
    },
  };
}
