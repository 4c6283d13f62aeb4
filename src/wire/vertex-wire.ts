/**
 * The JSON shapes of Vertex AI's OpenAI-compatible Chat Completions endpoint, as the gateway sends and reads them
 * (see README "Contract to Vertex wire"). Types only: shared by the pure translation and the local emulator, which
 * must agree on the wire without depending on each other.
 */

/** `extra_content.google` on messages, content parts, tool calls and deltas. */
export interface WireGoogleExtra {
  thought?: boolean;
  /** Opaque base64; must be sent back unchanged. */
  thought_signature?: string;
  /** Tool-result messages: extra multimodal parts. */
  parts?: WireFileDataPart[];
  /** On `message.audio`: the MIME type of generated media. */
  mime_type?: string;
}

export interface WireExtraContent {
  google?: WireGoogleExtra;
}

export interface WireFileDataPart {
  file_data: { mime_type: string; file_uri: string; display_name?: string };
}

export type WireImageDetail = "low" | "high" | "auto";

export type WireContentPart =
  | { type: "text"; text: string; extra_content?: WireExtraContent }
  | {
      type: "image_url";
      image_url: { url: string; detail?: WireImageDetail };
      extra_content?: WireExtraContent;
    }
  | {
      type: "input_audio";
      input_audio: { data: string; format: string };
      extra_content?: WireExtraContent;
    };

export interface WireToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
  extra_content?: WireExtraContent;
}

export type WireRole = "system" | "user" | "assistant" | "tool";

export interface WireMessage {
  role: WireRole;
  content?: string | WireContentPart[] | null;
  tool_calls?: WireToolCall[];
  tool_call_id?: string;
  extra_content?: WireExtraContent;
}

export interface WireTool {
  type: "function";
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

export type WireToolChoice =
  | "none"
  | "auto"
  | "required"
  | "validated"
  | { type: "function"; function: { name: string } };

export type WireResponseFormat =
  | { type: "text" }
  | { type: "json_object" }
  | {
      type: "json_schema";
      json_schema: { name: string; description?: string; schema?: Record<string, unknown>; strict?: boolean };
    };

/** `extra_body.google`: request-level Gemini options. */
export interface WireGoogleOptions {
  thinking_config?: { thinking_budget?: number; thinking_level?: string; include_thoughts?: boolean };
  safety_settings?: { category: string; threshold: string }[];
  cached_content?: string;
  thought_tag_marker?: string;
  stream_function_call_arguments?: boolean;
  media_resolution?: string;
}

export interface WireRequest {
  /** Absent for self-deployed endpoints whose deployed model is not named. */
  model?: string;
  messages: WireMessage[];
  stream?: boolean;
  tools?: WireTool[];
  tool_choice?: WireToolChoice;
  temperature?: number;
  top_p?: number;
  /** Older alias of max_completion_tokens; the emulator accepts both. */
  max_tokens?: number;
  max_completion_tokens?: number;
  n?: number;
  stop?: string[];
  seed?: number;
  presence_penalty?: number;
  frequency_penalty?: number;
  response_format?: WireResponseFormat;
  reasoning_effort?: "none" | "low" | "medium" | "high";
  modalities?: ("text" | "image" | "audio")[];
  web_search_options?: Record<string, never>;
  /** Where Vertex documents the Gemini options. */
  extra_body?: { google: WireGoogleOptions };
  /** The alternative placement some proxies use (see config `googleFieldsPlacement`). */
  google?: WireGoogleOptions;
}

/**
 * The top-level request keys Vertex accepts; any other is refused with 400 `Unknown name "…"`. The last five are
 * accepted and ignored by Vertex [doc].
 */
export const VERTEX_REQUEST_KEYS: ReadonlySet<string> = new Set([
  "model",
  "messages",
  "stream",
  "stream_options",
  "tools",
  "tool_choice",
  "temperature",
  "top_p",
  "max_tokens",
  "max_completion_tokens",
  "n",
  "stop",
  "seed",
  "presence_penalty",
  "frequency_penalty",
  "response_format",
  "reasoning_effort",
  "modalities",
  "web_search_options",
  "extra_body",
  "logprobs",
  "top_logprobs",
  "user",
  "parallel_tool_calls",
  "logit_bias",
]);

/** The keys of `extra_body.google` Vertex documents for this endpoint (`tools`: native Gemini tool objects). */
export const VERTEX_GOOGLE_OPTION_KEYS: readonly string[] = [
  "thinking_config",
  "safety_settings",
  "cached_content",
  "thought_tag_marker",
  "stream_function_call_arguments",
  "media_resolution",
  "tools",
];

/*
 * The answer types below say what upstream/wire-shape.ts checks of every body received: what may be missing or
 * null in a body that passed the check is optional or nullable here, so the translator reads exactly that.
 */

export interface WireUsage {
  prompt_tokens?: number | null;
  /** Vertex: excludes reasoning tokens. */
  completion_tokens?: number | null;
  total_tokens?: number | null;
  completion_tokens_details?: { reasoning_tokens?: number | null } | null;
  prompt_tokens_details?: { cached_tokens?: number | null } | null;
  extra_properties?: { google?: { traffic_type?: string | null } | null } | null;
}

/** `extra_content` on an answer: any member may be missing or null. */
export interface WireAnswerExtra {
  google?: { thought?: boolean | null; thought_signature?: string | null; mime_type?: string | null } | null;
}

/** Generated media; Vertex reuses OpenAI's `audio` field for images too. */
export interface WireGeneratedMedia {
  /** Base64; required (the check refuses media without it). */
  data: string;
  extra_content?: WireAnswerExtra | null;
}

/** A whole answer's message: the same shape as a stream's delta. */
export type WireResponseMessage = WireDelta;

export interface WireResponse {
  id?: string | null;
  object?: "chat.completion";
  created?: number | null;
  model?: string | null;
  system_fingerprint?: string;
  choices: { index?: number; finish_reason?: string | null; logprobs?: null; message?: WireResponseMessage | null }[];
  usage?: WireUsage | null;
}

/** A streamed tool-call fragment: Vertex repeats id, type and name on every fragment; `index` is unreliable. */
export interface WireToolCallDelta {
  index?: number | null;
  id?: string | null;
  type?: "function";
  function?: { name?: string | null; arguments?: string | null } | null;
  extra_content?: WireAnswerExtra | null;
}

export interface WireDelta {
  role?: string;
  content?: string | null;
  tool_calls?: WireToolCallDelta[] | null;
  extra_content?: WireAnswerExtra | null;
  audio?: WireGeneratedMedia | null;
}

export interface WireChunk {
  id?: string | null;
  object?: "chat.completion.chunk";
  created?: number | null;
  model?: string | null;
  system_fingerprint?: string;
  choices: { index?: number; finish_reason?: string | null; logprobs?: null; delta?: WireDelta | null }[];
  usage?: WireUsage | null;
}

/** One element of Vertex's error body, which is a JSON array of these. */
export interface WireGoogleError {
  error: { code: number; message: string; status: string; details?: unknown[] };
}

/** The request header that selects Priority PayGo (`priority`), served on the global endpoint only [doc]. */
export const SHARED_REQUEST_TYPE_HEADER = "x-vertex-ai-llm-shared-request-type";
