/**
 * Contract → Vertex wire request. Pure: no I/O, no globals. Assumes the request passed `findRequestViolations`,
 * and sends only keys it means (Vertex rejects unknown top-level keys).
 */
import type { ChatCompletionRequest } from "../../gen/vertexchat/v1/chat_service_pb.ts";
import { type ContentPart, type Media, type Message, Role } from "../../gen/vertexchat/v1/content_pb.ts";
import { type GoogleOptions, TrafficTier } from "../../gen/vertexchat/v1/options_pb.ts";
import type { Tool, ToolChoice } from "../../gen/vertexchat/v1/tools_pb.ts";
import type {
  WireContentPart,
  WireExtraContent,
  WireFileDataPart,
  WireGoogleOptions,
  WireMessage,
  WireRequest,
  WireResponseFormat,
  WireTool,
  WireToolCall,
  WireToolChoice,
} from "../wire/vertex-wire.ts";
import { SHARED_REQUEST_TYPE_HEADER } from "../wire/vertex-wire.ts";
import {
  fromTable,
  wireHarmBlockThreshold,
  wireHarmCategory,
  wireImageDetail,
  wireMediaResolution,
  wireModality,
  wireReasoningEffort,
  wireRole,
  wireThinkingLevel,
  wireToolChoiceMode,
} from "./enum-maps.ts";
import { signatureToWire } from "./signature.ts";

/** Where `extra_body.google` goes: Vertex's documented `extra_body` key, or a top-level `google` object. */
export type GoogleFieldsPlacement = "extra_body" | "top_level";

export interface UpstreamRequestOptions {
  /** The model name to send (after alias resolution); undefined sends no `model` (unnamed deployed models). */
  upstreamModel: string | undefined;
  googleFieldsPlacement: GoogleFieldsPlacement;
  /** The marker the gateway sets when thoughts are requested without one, so it can tell thoughts from answer. */
  defaultThoughtMarker: string;
}

export interface UpstreamRequest {
  body: WireRequest;
  /** The tag thoughts come wrapped in, if any; the response translation needs it. */
  thoughtMarker: string | undefined;
  /** Request headers the options ask for (Priority PayGo's tier header). */
  headers: Readonly<Record<string, string>>;
}

const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});
const PRIORITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({ [SHARED_REQUEST_TYPE_HEADER]: "priority" });

export function toUpstreamRequest(req: ChatCompletionRequest, opts: UpstreamRequestOptions): UpstreamRequest {
  const body: WireRequest =
    opts.upstreamModel === undefined ? { messages: [] } : { model: opts.upstreamModel, messages: [] };
  body.messages = req.messages.map(toWireMessage);
  if (req.tools.length > 0) body.tools = req.tools.flatMap(toWireTool);
  const toolChoice = toWireToolChoice(req.toolChoice);
  if (toolChoice !== undefined) body.tool_choice = toolChoice;
  if (req.temperature !== undefined) body.temperature = req.temperature;
  if (req.topP !== undefined) body.top_p = req.topP;
  if (req.maxCompletionTokens !== undefined) body.max_completion_tokens = req.maxCompletionTokens;
  if (req.n !== undefined) body.n = req.n;
  if (req.stop.length > 0) body.stop = [...req.stop];
  if (req.seed !== undefined) body.seed = req.seed;
  if (req.presencePenalty !== undefined) body.presence_penalty = req.presencePenalty;
  if (req.frequencyPenalty !== undefined) body.frequency_penalty = req.frequencyPenalty;
  const responseFormat = toWireResponseFormat(req);
  if (responseFormat) body.response_format = responseFormat;
  const effort = fromTable(wireReasoningEffort, req.reasoningEffort);
  if (effort) body.reasoning_effort = effort;
  const modalities = req.modalities.map((m) => fromTable(wireModality, m)).filter((m) => m !== undefined);
  if (modalities.length > 0) body.modalities = modalities;
  if (req.webSearchOptions) body.web_search_options = {};

  const { google, thoughtMarker } = toWireGoogleOptions(req.google, opts.defaultThoughtMarker);
  if (google) placeGoogleOptions(body, google, opts.googleFieldsPlacement);
  const headers = req.google?.trafficTier === TrafficTier.PRIORITY ? PRIORITY_HEADERS : NO_HEADERS;
  return { body, thoughtMarker, headers };
}

/** The one function that decides where the Gemini options go in the body. */
function placeGoogleOptions(body: WireRequest, google: WireGoogleOptions, placement: GoogleFieldsPlacement) {
  if (placement === "top_level") body.google = google;
  else body.extra_body = { google };
}

function toWireGoogleOptions(
  options: GoogleOptions | undefined,
  defaultMarker: string,
): { google: WireGoogleOptions | undefined; thoughtMarker: string | undefined } {
  if (!options) return { google: undefined, thoughtMarker: undefined };
  const google: WireGoogleOptions = {};
  const thinking = options.thinkingConfig;
  if (thinking) {
    const config: NonNullable<WireGoogleOptions["thinking_config"]> = {};
    if (thinking.thinkingBudget !== undefined) config.thinking_budget = thinking.thinkingBudget;
    const level = fromTable(wireThinkingLevel, thinking.thinkingLevel);
    if (level) config.thinking_level = level;
    if (thinking.includeThoughts !== undefined) config.include_thoughts = thinking.includeThoughts;
    google.thinking_config = config;
  }
  if (options.safetySettings.length > 0) {
    google.safety_settings = options.safetySettings.map((s) => ({
      category: fromTable(wireHarmCategory, s.category) ?? "HARM_CATEGORY_UNSPECIFIED",
      threshold: fromTable(wireHarmBlockThreshold, s.threshold) ?? "HARM_BLOCK_THRESHOLD_UNSPECIFIED",
    }));
  }
  if (options.cachedContent) google.cached_content = options.cachedContent;
  let thoughtMarker: string | undefined = options.thoughtTagMarker || undefined;
  // Without a marker Vertex mixes thought summaries into the answer text; a marker of our own keeps them apart.
  if (!thoughtMarker && thinking?.includeThoughts) thoughtMarker = defaultMarker;
  if (thoughtMarker) google.thought_tag_marker = thoughtMarker;
  if (options.streamFunctionCallArguments !== undefined) {
    google.stream_function_call_arguments = options.streamFunctionCallArguments;
  }
  const resolution = fromTable(wireMediaResolution, options.mediaResolution);
  if (resolution) google.media_resolution = resolution;
  return { google: Object.keys(google).length > 0 ? google : undefined, thoughtMarker };
}

function toWireMessage(message: Message): WireMessage {
  const role = fromTable(wireRole, message.role) ?? "user";
  const wire: WireMessage = { role };
  const content = message.content.filter(
    (part) => !(role === "assistant" && part.thought && !part.thoughtSignature.length),
  );
  if (content.length > 0 || role !== "assistant") wire.content = toWireContent(content);
  if (message.toolCalls.length > 0) {
    wire.tool_calls = message.toolCalls.map((call) => {
      const wireCall: WireToolCall = {
        id: call.id,
        type: "function",
        function: { name: call.name, arguments: call.arguments },
      };
      const extra = signatureExtra(call.thoughtSignature);
      if (extra) wireCall.extra_content = extra;
      return wireCall;
    });
  }
  if (message.role === Role.TOOL) wire.tool_call_id = message.toolCallId;
  const google: NonNullable<WireExtraContent["google"]> = {};
  if (message.thoughtSignature.length > 0) google.thought_signature = signatureToWire(message.thoughtSignature);
  if (message.toolResultParts.length > 0) google.parts = message.toolResultParts.flatMap(toFileDataPart);
  if (Object.keys(google).length > 0) wire.extra_content = { google };
  return wire;
}

/**
 * A message of plain text parts without Gemini fields goes as a string (the form every upstream accepts);
 * anything else as an array of parts.
 */
function toWireContent(parts: ContentPart[]): string | WireContentPart[] {
  const plain = parts.every((p) => p.kind.case === "text" && !p.thought && p.thoughtSignature.length === 0);
  if (plain) return parts.map((p) => (p.kind.case === "text" ? p.kind.value : "")).join("");
  return parts.map(toWireContentPart);
}

function toWireContentPart(part: ContentPart): WireContentPart {
  let wire: WireContentPart;
  switch (part.kind.case) {
    case "text":
      wire = { type: "text", text: part.kind.value };
      break;
    case "image": {
      wire = { type: "image_url", image_url: { url: mediaUrl(part.kind.value) } };
      const detail = fromTable(wireImageDetail, part.mediaResolution);
      if (detail) wire.image_url.detail = detail;
      break;
    }
    case "audio":
    case "video":
    case "document":
      wire = nonImageMedia(part.kind.value);
      break;
    default:
      wire = { type: "text", text: "" };
  }
  const google: NonNullable<WireExtraContent["google"]> = {};
  if (part.thought) google.thought = true;
  if (part.thoughtSignature.length > 0) google.thought_signature = signatureToWire(part.thoughtSignature);
  if (Object.keys(google).length > 0) wire.extra_content = { google };
  return wire;
}

/**
 * Inline bytes travel as a `data:` URI, which carries its MIME type for any kind of medium. A non-image URI has no
 * such carrier in `image_url` (a plain URL is assumed to be an image), so it goes as `input_audio`, whose `format`
 * takes any MIME type — Google's own examples send a gs:// MP3 that way.
 */
function nonImageMedia(media: Media): WireContentPart {
  if (media.source.case === "uri") {
    return { type: "input_audio", input_audio: { data: media.source.value, format: media.mimeType } };
  }
  return { type: "image_url", image_url: { url: mediaUrl(media) } };
}

function mediaUrl(media: Media): string {
  if (media.source.case === "data") {
    return `data:${media.mimeType};base64,${Buffer.from(media.source.value).toString("base64")}`;
  }
  return media.source.value ?? "";
}

function toFileDataPart(part: ContentPart): WireFileDataPart[] {
  if (part.kind.case === "text" || part.kind.case === undefined) return [];
  const media = part.kind.value;
  if (media.source.case !== "uri") return [];
  const fileData: WireFileDataPart["file_data"] = { mime_type: media.mimeType, file_uri: media.source.value };
  if (media.displayName) fileData.display_name = media.displayName;
  return [{ file_data: fileData }];
}

function signatureExtra(signature: Uint8Array): WireExtraContent | undefined {
  return signature.length > 0 ? { google: { thought_signature: signatureToWire(signature) } } : undefined;
}

function toWireTool(tool: Tool): WireTool[] {
  if (tool.kind.case !== "function") return [];
  const fn = tool.kind.value;
  const wire: WireTool = { type: "function", function: { name: fn.name } };
  if (fn.description) wire.function.description = fn.description;
  if (fn.parameters) wire.function.parameters = fn.parameters;
  return [wire];
}

function toWireToolChoice(choice: ToolChoice | undefined): WireToolChoice | undefined {
  switch (choice?.choice.case) {
    case "mode":
      return fromTable(wireToolChoiceMode, choice.choice.value);
    case "functionName":
      return { type: "function", function: { name: choice.choice.value } };
    default:
      return undefined;
  }
}

function toWireResponseFormat(req: ChatCompletionRequest): WireResponseFormat | undefined {
  const format = req.responseFormat?.format;
  switch (format?.case) {
    case "text":
      return { type: "text" };
    case "jsonObject":
      return { type: "json_object" };
    case "jsonSchema": {
      const schema = format.value;
      const jsonSchema: Extract<WireResponseFormat, { type: "json_schema" }>["json_schema"] = { name: schema.name };
      if (schema.description) jsonSchema.description = schema.description;
      if (schema.schema) jsonSchema.schema = schema.schema;
      if (schema.strict !== undefined) jsonSchema.strict = schema.strict;
      return { type: "json_schema", json_schema: jsonSchema };
    }
    default:
      return undefined;
  }
}
