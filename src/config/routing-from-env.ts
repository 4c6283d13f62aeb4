/**
 * Without a routing file, the environment describes one Vertex upstream at one location serving every model of
 * the publishers Vertex hosts on its shared `openapi` endpoint — the gateway's behaviour before routing files.
 */
import type { Config } from "./load-config.ts";
import { type Credentials, DEFAULT_GLOBAL_ONLY_MODELS, type RouteRule, type Routing } from "./routing.ts";
import { EMULATOR_ORIGIN } from "./routing-file.ts";

/** Publishers whose models Vertex serves on the shared `openapi` endpoint. */
const VERTEX_PUBLISHER_PATTERNS = ["google/*", "meta/*", "mistralai/*", "xai/*", "deepseek-ai/*", "qwen/*", "openai/*"];

/** Well-known Gemini models, listed by name so callers can discover them with ListModels. */
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

/**
 * `useEmulator`: the built-in emulator runs, so the upstream is `origin: emulator`, which upstream-clients.ts (the
 * one place that knows the emulator's address and token) turns into the emulator's base URL and credentials.
 */
export function routingFromEnv(config: Config, useEmulator: boolean): Routing {
  const credentials: Credentials = { type: "adc" };
  const route = (match: string): RouteRule => ({
    match,
    upstream: "vertex",
    model: undefined,
    capabilities: match.endsWith("*")
      ? undefined
      : { streaming: true, tools: true, mediaInput: true, thinking: !match.includes("2.0") },
  });
  return {
    source: "environment",
    upstreams: new Map([
      [
        "vertex",
        {
          kind: "vertex",
          name: "vertex",
          project: config.project || "local-project",
          locations: [config.location],
          apiVersion: config.apiVersion,
          origin: useEmulator ? EMULATOR_ORIGIN : config.vertexOrigin || undefined,
          credentials,
          globalOnlyModels: DEFAULT_GLOBAL_ONLY_MODELS,
        },
      ],
    ]),
    routes: [...KNOWN_GEMINI_MODELS, ...VERTEX_PUBLISHER_PATTERNS].map(route),
    defaultUpstream: undefined,
  };
}
