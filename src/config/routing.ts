/**
 * The shape of the gateway's upstreams and routes, whether read from a configuration file or made from the
 * environment variables. Plain data, already checked.
 */
import type { VertexApiVersion } from "../wire/vertex-urls.ts";

export type Credentials =
  /** Application Default Credentials (the default for Vertex upstreams). */
  | { type: "adc" }
  /** A service-account key file. */
  | { type: "service_account_key"; keyFile: string }
  /** An API key from an environment variable (OpenAI-compatible upstreams). */
  | { type: "api_key"; env: string; value: string }
  /** A fixed token (the built-in emulator). */
  | { type: "static"; token: string };

import type { UsageSemantics } from "../translate/usage.ts";

export type { UsageSemantics };

export interface VertexUpstream {
  kind: "vertex";
  name: string;
  project: string;
  /** Tried in order; the next one on 429, 5xx or a connection failure before anything reached the caller. */
  locations: string[];
  apiVersion: VertexApiVersion;
  origin: string | undefined;
  credentials: Credentials;
  /** Model patterns (exact, or prefix ending in `*`) that exist only at `global` and are sent there directly. */
  globalOnlyModels: string[];
}

export interface VertexEndpointUpstream {
  kind: "vertex-endpoint";
  name: string;
  project: string;
  location: string;
  endpointId: string;
  /** `shared`: the region's aiplatform host (no streaming, 1.5 MB, 60 s); `dedicated`: the endpoint's own DNS name. */
  dns: "shared" | "dedicated";
  /** Needed for dedicated DNS names. */
  projectNumber: string | undefined;
  /** The deployed model's id to put in `model`; absent: no `model` is sent. */
  deployedModel: string | undefined;
  /** On shared DNS, which cannot stream: refuse streaming calls, or serve them from one unary call. */
  sharedDnsStreaming: "reject" | "unary";
  apiVersion: VertexApiVersion;
  origin: string | undefined;
  credentials: Credentials;
  usageSemantics: UsageSemantics;
}

export interface OpenAiCompatibleUpstream {
  kind: "openai-compatible";
  name: string;
  /** The base URL the client appends `/chat/completions` to. */
  baseUrl: string;
  credentials: Credentials;
  usageSemantics: UsageSemantics;
}

export type Upstream = VertexUpstream | VertexEndpointUpstream | OpenAiCompatibleUpstream;

export interface Capabilities {
  streaming: boolean;
  tools: boolean;
  mediaInput: boolean;
  thinking: boolean;
}

export interface RouteRule {
  /** An exact model name or alias, or a prefix ending in `*`. */
  match: string;
  upstream: string;
  /** The model name to send upstream instead of the requested one (an alias). */
  model: string | undefined;
  capabilities: Capabilities | undefined;
}

export interface Routing {
  /** Where it came from (a file path, or "environment"), for messages. */
  source: string;
  upstreams: Map<string, Upstream>;
  routes: RouteRule[];
  /** The upstream for models no route matches; absent: such models are NOT_FOUND. */
  defaultUpstream: string | undefined;
}

/** Gemini 3 previews and some partner models exist only at `global` (Vertex's documentation). */
export const DEFAULT_GLOBAL_ONLY_MODELS = ["google/gemini-3*", "xai/*"];
