/**
 * The OpenAI-compatible REST body (as Vertex documents it and as the `openai` SDKs write it) → the contract's
 * ChatCompletionRequest. The reverse of translate/to-upstream-request.ts, so a body that reaches Vertex through the
 * gateway is the body the caller wrote. Pure. Shapes are checked here (RestShapeError names the field); the
 * contract's rules are checked where every request's are, by the validation interceptor.
 */
import { create, type JsonObject, type MessageInitShape } from "@bufbuild/protobuf";
import { type ChatCompletionRequest, ChatCompletionRequestSchema } from "../../gen/vertexchat/v1/chat_service_pb.ts";
import { type MessageSchema, Role } from "../../gen/vertexchat/v1/content_pb.ts";
import type { ToolChoiceSchema } from "../../gen/vertexchat/v1/tools_pb.ts";
import { toEnum, wireModality, wireReasoningEffort, wireToolChoiceMode } from "../translate/enum-maps.ts";
import { signatureFromWire } from "../translate/signature.ts";
import { VERTEX_REQUEST_KEYS } from "../wire/vertex-wire.ts";
import {
  boolean,
  extraGoogle,
  fail,
  given,
  integer,
  type JsonRecord,
  list,
  number,
  oneOf,
  onlyKeys,
  record,
  text,
} from "./json-reader.ts";
import { googleOptions, type RestHeaders } from "./rest-google-options.ts";
import { file, fileDataPart, generatedMedia, imageUrl, inputAudio, type PartInit } from "./rest-media.ts";

export type { RestHeaders };

export interface RestChatRequest {
  request: ChatCompletionRequest;
  stream: boolean;
  /** The `thought_tag_marker` the caller asked for: thoughts are then written back inside it, as Vertex does. */
  thoughtMarker: string | undefined;
}

export function restRequestToContract(body: unknown, headers: RestHeaders): RestChatRequest {
  const b = record(body, "body");
  onlyKeys(b, "", [...VERTEX_REQUEST_KEYS]);
  refuseUnsupported(b);
  const init: MessageInitShape<typeof ChatCompletionRequestSchema> = {
    model: given(b.model) ? text(b.model, "model") : "",
    messages: list(
      b.messages ?? fail("messages", "is required: send at least one message", "REQUIRED"),
      "messages",
    ).map((m, i) => message(m, `messages[${i}]`)),
  };
  if (given(b.tools)) init.tools = list(b.tools, "tools").map((t, i) => tool(t, `tools[${i}]`));
  if (given(b.tool_choice)) init.toolChoice = toolChoice(b.tool_choice);
  if (given(b.temperature)) init.temperature = number(b.temperature, "temperature");
  if (given(b.top_p)) init.topP = number(b.top_p, "top_p");
  const maxTokens = given(b.max_tokens) ? integer(b.max_tokens, "max_tokens") : undefined;
  const maxCompletion = given(b.max_completion_tokens)
    ? integer(b.max_completion_tokens, "max_completion_tokens")
    : undefined;
  if (maxTokens !== undefined && maxCompletion !== undefined && maxTokens !== maxCompletion) {
    fail("max_tokens", "max_tokens and max_completion_tokens disagree; send only max_completion_tokens", "CONFLICT");
  }
  const max = maxCompletion ?? maxTokens;
  if (max !== undefined) init.maxCompletionTokens = max;
  if (given(b.n)) init.n = integer(b.n, "n");
  if (given(b.stop)) {
    init.stop = typeof b.stop === "string" ? [b.stop] : list(b.stop, "stop").map((s, i) => text(s, `stop[${i}]`));
  }
  if (given(b.seed)) init.seed = integer(b.seed, "seed");
  if (given(b.presence_penalty)) init.presencePenalty = number(b.presence_penalty, "presence_penalty");
  if (given(b.frequency_penalty)) init.frequencyPenalty = number(b.frequency_penalty, "frequency_penalty");
  if (given(b.response_format)) init.responseFormat = responseFormat(record(b.response_format, "response_format"));
  if (given(b.reasoning_effort)) {
    const effort = oneOf(b.reasoning_effort, "reasoning_effort", ["none", "low", "medium", "high"]);
    init.reasoningEffort = toEnum(wireReasoningEffort, effort);
  }
  if (given(b.modalities)) {
    init.modalities = list(b.modalities, "modalities").map((m, i) =>
      toEnum(wireModality, oneOf(m, `modalities[${i}]`, ["text", "image", "audio"])),
    );
  }
  if (given(b.web_search_options)) {
    onlyKeys(record(b.web_search_options, "web_search_options"), "web_search_options", []);
    init.webSearchOptions = {};
  }
  const google = googleOptions(b.extra_body, headers);
  if (google) init.google = google;
  const stream = given(b.stream) ? boolean(b.stream, "stream") : false;
  if (given(b.stream_options)) {
    const options = record(b.stream_options, "stream_options");
    onlyKeys(options, "stream_options", ["include_usage"]);
    if (given(options.include_usage)) boolean(options.include_usage, "stream_options.include_usage");
  }
  if (given(b.user)) text(b.user, "user");
  return { request: create(ChatCompletionRequestSchema, init), stream, thoughtMarker: google?.thoughtTagMarker };
}

/**
 * Fields Vertex accepts and then ignores. What the gateway cannot honour it refuses, rather than let a caller
 * believe it took effect; their "off" values pass, so SDK defaults and replayed OpenAI bodies still work.
 */
function refuseUnsupported(b: JsonRecord): void {
  if (b.logprobs === true || given(b.top_logprobs)) {
    fail(
      b.logprobs === true ? "logprobs" : "top_logprobs",
      "Vertex's Gemini models return no log probabilities; remove logprobs and top_logprobs",
      "UNSUPPORTED",
    );
  }
  if (given(b.logprobs)) boolean(b.logprobs, "logprobs");
  if (given(b.logit_bias) && Object.keys(record(b.logit_bias, "logit_bias")).length > 0) {
    fail("logit_bias", "Vertex's Gemini models take no logit_bias; remove it", "UNSUPPORTED");
  }
  if (b.parallel_tool_calls === false) {
    fail(
      "parallel_tool_calls",
      "Gemini cannot be told to make one tool call at a time; remove parallel_tool_calls (true is the only behaviour)",
      "UNSUPPORTED",
    );
  }
  if (given(b.parallel_tool_calls)) boolean(b.parallel_tool_calls, "parallel_tool_calls");
}

const MESSAGE_KEYS = [
  "role",
  "content",
  "tool_calls",
  "tool_call_id",
  "extra_content",
  // OpenAI's participant name, which frameworks set; Gemini has no names, so it is checked and not sent on.
  "name",
  // What the SDKs send back when an answer's message is appended to the history as it came (`parsed` is the
  // parse helper's copy of content).
  "reasoning_content",
  "refusal",
  "audio",
  "function_call",
  "annotations",
  "parsed",
] as const;

const ROLES: Record<string, Role> = {
  system: Role.SYSTEM,
  developer: Role.DEVELOPER,
  user: Role.USER,
  assistant: Role.ASSISTANT,
  tool: Role.TOOL,
};

function message(value: unknown, at: string): MessageInitShape<typeof MessageSchema> {
  const m = record(value, at);
  onlyKeys(m, at, MESSAGE_KEYS);
  const role = ROLES[oneOf(m.role, `${at}.role`, Object.keys(ROLES))] as Role;
  if (given(m.name)) text(m.name, `${at}.name`);
  if (
    given(m.refusal) ||
    given(m.function_call) ||
    (given(m.annotations) && list(m.annotations, `${at}.annotations`).length > 0)
  ) {
    fail(
      at,
      "refusal, function_call and annotations are OpenAI-only fields; send them as null or not at all",
      "UNSUPPORTED",
    );
  }
  const content: PartInit[] = [];
  // A thought the gateway wrote back as reasoning_content: the contract's thought part (not sent on to Vertex).
  if (given(m.reasoning_content)) {
    if (role !== Role.ASSISTANT) fail(`${at}.reasoning_content`, "only assistant messages carry reasoning_content");
    content.push({
      kind: { case: "text", value: text(m.reasoning_content, `${at}.reasoning_content`) },
      thought: true,
    });
  }
  if (typeof m.content === "string") content.push({ kind: { case: "text", value: m.content } });
  else if (given(m.content)) {
    content.push(...list(m.content, `${at}.content`).map((p, j) => part(p, `${at}.content[${j}]`)));
  }
  if (given(m.audio)) {
    if (role !== Role.ASSISTANT) fail(`${at}.audio`, "only assistant messages carry generated media in audio");
    content.push(generatedMedia(record(m.audio, `${at}.audio`), `${at}.audio`));
  }
  const out: MessageInitShape<typeof MessageSchema> = { role, content };
  if (given(m.tool_calls)) {
    out.toolCalls = list(m.tool_calls, `${at}.tool_calls`).map((c, j) => toolCall(c, `${at}.tool_calls[${j}]`));
  }
  if (given(m.tool_call_id)) out.toolCallId = text(m.tool_call_id, `${at}.tool_call_id`);
  const google = extraGoogle(m.extra_content, `${at}.extra_content`, ["thought_signature", "parts"]);
  if (google.thought_signature !== undefined) {
    out.thoughtSignature = signatureFromWire(
      text(google.thought_signature, `${at}.extra_content.google.thought_signature`),
    );
  }
  if (google.parts !== undefined) {
    out.toolResultParts = list(google.parts, `${at}.extra_content.google.parts`).map((p, j) =>
      fileDataPart(p, `${at}.extra_content.google.parts[${j}]`),
    );
  }
  return out;
}

function part(value: unknown, at: string): PartInit {
  const p = record(value, at);
  const type = oneOf(p.type, `${at}.type`, ["text", "image_url", "input_audio", "file"]);
  onlyKeys(p, at, ["type", type, "extra_content"]);
  let out: PartInit;
  switch (type) {
    case "text":
      out = { kind: { case: "text", value: text(p.text, `${at}.text`) } };
      break;
    case "image_url":
      out = imageUrl(p.image_url, `${at}.image_url`);
      break;
    case "input_audio":
      out = inputAudio(record(p.input_audio, `${at}.input_audio`), `${at}.input_audio`);
      break;
    case "file":
      out = file(record(p.file, `${at}.file`), `${at}.file`);
      break;
  }
  const google = extraGoogle(p.extra_content, `${at}.extra_content`, ["thought", "thought_signature"]);
  if (google.thought !== undefined) out.thought = boolean(google.thought, `${at}.extra_content.google.thought`);
  if (google.thought_signature !== undefined) {
    out.thoughtSignature = signatureFromWire(
      text(google.thought_signature, `${at}.extra_content.google.thought_signature`),
    );
  }
  return out;
}

function toolCall(value: unknown, at: string) {
  const c = record(value, at);
  onlyKeys(c, at, ["id", "type", "function", "extra_content", "index"]);
  if (given(c.type)) oneOf(c.type, `${at}.type`, ["function"]);
  const fn = record(c.function, `${at}.function`);
  // parsed_arguments: the Node SDK's parse helper's copy of arguments.
  onlyKeys(fn, `${at}.function`, ["name", "arguments", "parsed_arguments"]);
  const google = extraGoogle(c.extra_content, `${at}.extra_content`, ["thought_signature"]);
  return {
    id: given(c.id) ? text(c.id, `${at}.id`) : "",
    name: text(fn.name, `${at}.function.name`),
    arguments: given(fn.arguments) ? text(fn.arguments, `${at}.function.arguments`) : "",
    ...(google.thought_signature !== undefined
      ? {
          thoughtSignature: signatureFromWire(
            text(google.thought_signature, `${at}.extra_content.google.thought_signature`),
          ),
        }
      : {}),
  };
}

function tool(value: unknown, at: string) {
  const t = record(value, at);
  onlyKeys(t, at, ["type", "function"]);
  oneOf(t.type, `${at}.type`, ["function"]);
  const fn = record(t.function, `${at}.function`);
  onlyKeys(fn, `${at}.function`, ["name", "description", "parameters", "strict"]);
  if (fn.strict === true) {
    fail(
      `${at}.function.strict`,
      "Vertex has no strict mode for function schemas; remove strict (Gemini follows the schema you give)",
      "UNSUPPORTED",
    );
  }
  return {
    kind: {
      case: "function" as const,
      value: {
        name: text(fn.name, `${at}.function.name`),
        description: given(fn.description) ? text(fn.description, `${at}.function.description`) : "",
        ...(given(fn.parameters)
          ? { parameters: record(fn.parameters, `${at}.function.parameters`) as JsonObject }
          : {}),
      },
    },
  };
}

function toolChoice(value: unknown): MessageInitShape<typeof ToolChoiceSchema> {
  if (typeof value === "string") {
    const mode = oneOf(value, "tool_choice", ["none", "auto", "required", "validated"]);
    return { choice: { case: "mode", value: toEnum(wireToolChoiceMode, mode) } };
  }
  const choice = record(value, "tool_choice");
  onlyKeys(choice, "tool_choice", ["type", "function"]);
  oneOf(choice.type, "tool_choice.type", ["function"]);
  const fn = record(choice.function, "tool_choice.function");
  onlyKeys(fn, "tool_choice.function", ["name"]);
  return { choice: { case: "functionName", value: text(fn.name, "tool_choice.function.name") } };
}

function responseFormat(format: JsonRecord) {
  const type = oneOf(format.type, "response_format.type", ["text", "json_object", "json_schema"]);
  onlyKeys(format, "response_format", type === "json_schema" ? ["type", "json_schema"] : ["type"]);
  if (type === "text") return { format: { case: "text" as const, value: {} } };
  if (type === "json_object") return { format: { case: "jsonObject" as const, value: {} } };
  const schema = record(format.json_schema, "response_format.json_schema");
  const at = "response_format.json_schema";
  onlyKeys(schema, at, ["name", "description", "schema", "strict"]);
  return {
    format: {
      case: "jsonSchema" as const,
      value: {
        name: text(schema.name, `${at}.name`),
        description: given(schema.description) ? text(schema.description, `${at}.description`) : "",
        ...(given(schema.schema) ? { schema: record(schema.schema, `${at}.schema`) as JsonObject } : {}),
        ...(given(schema.strict) ? { strict: boolean(schema.strict, `${at}.strict`) } : {}),
      },
    },
  };
}
