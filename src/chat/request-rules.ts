/**
 * The rules a ChatCompletionRequest must meet that no protovalidate annotation can express: they look across
 * fields (tool results must answer a tool call of the history; reasoning_effort excludes a thinking config) or
 * depend on configuration (inline media limits). Pure. Field paths use the contract's names, like protovalidate's.
 */
import type { JsonObject } from "@bufbuild/protobuf";
import type { ChatCompletionRequest } from "../../gen/vertexchat/v1/chat_service_pb.ts";
import { type ContentPart, MediaResolution, Role } from "../../gen/vertexchat/v1/content_pb.ts";
import type { Violation } from "../rpc/error-mapping.ts";
import { schemaProblems } from "../wire/schema-check.ts";
import { VERTEX_MEDIA_URI, VERTEX_MIME_TYPES } from "../wire/vertex-media.ts";

export type { Violation };

export interface MediaLimits {
  /** Vertex accepts at most 7 MB per inline image. */
  maxInlineImageBytes: number;
  maxInlineMediaBytes: number;
}

type Add = (field: string, reason: string, description: string) => void;

export function findRuleViolations(req: ChatCompletionRequest, limits: MediaLimits): Violation[] {
  const out: Violation[] = [];
  const add = (field: string, reason: string, description: string) =>
    out.push({ field, reason, description: `${field}: ${description}` });

  if (req.reasoningEffort !== 0 && req.google?.thinkingConfig) {
    add(
      "reasoning_effort",
      "MUTUALLY_EXCLUSIVE",
      "reasoning_effort and google.thinking_config are mutually exclusive; set only one of them",
    );
  }
  const callIds = new Set<string>();
  for (const [i, message] of req.messages.entries()) {
    const at = `messages[${i}]`;
    if (message.role !== Role.ASSISTANT && message.toolCalls.length > 0) {
      add(`${at}.tool_calls`, "ROLE_MISMATCH", "only assistant messages carry tool_calls");
    }
    if (message.role !== Role.TOOL && message.toolResultParts.length > 0) {
      add(`${at}.tool_result_parts`, "ROLE_MISMATCH", "only tool messages carry tool_result_parts");
    }
    if (message.role !== Role.ASSISTANT && message.content.length === 0) {
      add(`${at}.content`, "REQUIRED", "content is empty; add a text part");
    }
    for (const [j, call] of message.toolCalls.entries()) {
      if (!call.id)
        add(
          `${at}.tool_calls[${j}].id`,
          "REQUIRED",
          "a tool call needs the id the model gave it; send the assistant message back unchanged",
        );
      if (!call.name) add(`${at}.tool_calls[${j}].name`, "REQUIRED", "a tool call needs its function name");
      callIds.add(call.id);
    }
    if (message.role === Role.TOOL) {
      if (!message.toolCallId) {
        add(`${at}.tool_call_id`, "REQUIRED", "a tool result needs tool_call_id: the id of the ToolCall it answers");
      } else if (!callIds.has(message.toolCallId)) {
        add(
          `${at}.tool_call_id`,
          "UNKNOWN_TOOL_CALL",
          `no earlier assistant message has a tool call with id ${JSON.stringify(message.toolCallId)}; answer a tool call of the history`,
        );
      }
    }
    for (const [j, part] of message.content.entries()) checkPart(part, `${at}.content[${j}]`, limits, add);
    for (const [j, part] of message.toolResultParts.entries()) {
      const field = `${at}.tool_result_parts[${j}]`;
      if (part.kind.case === "text")
        add(`${field}.text`, "UNSUPPORTED", "tool result parts carry media by uri; put text in content");
      else if (part.kind.case && part.kind.value.source.case !== "uri") {
        add(
          `${field}.${part.kind.case}.data`,
          "UNSUPPORTED",
          "tool result parts carry media by uri (gs:// or https://), not inline data",
        );
      }
      checkPart(part, field, limits, add);
    }
  }
  checkSchemas(req, add);
  return out;
}

/** Tool parameters and a json_schema response format must be JSON Schemas (of an object, for parameters). */
function checkSchemas(req: ChatCompletionRequest, add: Add): void {
  for (const [i, tool] of req.tools.entries()) {
    const parameters = tool.kind.case === "function" ? tool.kind.value.parameters : undefined;
    if (!parameters) continue;
    const at = `tools[${i}].function.parameters`;
    if (parameters.type !== undefined && parameters.type !== "object") {
      add(
        at,
        "NOT_AN_OBJECT_SCHEMA",
        `parameters must be a JSON Schema of an object ("type": "object"), not ${JSON.stringify(parameters.type)}`,
      );
    }
    checkSchema(parameters, at, add);
  }
  const format = req.responseFormat?.format;
  if (format?.case === "jsonSchema") {
    const schema = format.value.schema;
    if (!schema || Object.keys(schema).length === 0)
      add(
        "response_format.json_schema.schema",
        "REQUIRED",
        "a json_schema response format needs its JSON Schema object",
      );
    else checkSchema(schema, "response_format.json_schema.schema", add);
  }
}

/** A schema that is not a JSON Schema: each problem at its path inside the schema. */
function checkSchema(schema: JsonObject, at: string, add: Add): void {
  for (const problem of schemaProblems(schema)) {
    add(`${at}${problem.path}`, "NOT_A_SCHEMA", `${problem.message}, as a JSON Schema (2020-12) must be`);
  }
}

function checkPart(
  part: ContentPart,
  at: string,
  limits: MediaLimits,
  add: (f: string, r: string, d: string) => void,
): void {
  const kind = part.kind.case;
  if (kind === undefined || kind === "text") return;
  const media = part.kind.value;
  const field = `${at}.${kind}`;
  const mime = media.mimeType.toLowerCase();
  if (kind !== "image" && part.mediaResolution !== MediaResolution.UNSPECIFIED) {
    // Vertex reads a per-part resolution only from an image's `detail`; other media travel where no field carries it.
    add(
      `${at}.media_resolution`,
      "UNSUPPORTED",
      `a per-part media_resolution is honoured on images only; for a ${kind}, set google.media_resolution for the whole request`,
    );
  }
  if (media.source.case === "uri" && !VERTEX_MEDIA_URI.test(media.source.value)) {
    add(`${field}.uri`, "INVALID_URI", "use a gs://bucket/object URI or an https:// URL");
  }
  if (mime === "") {
    if (media.source.case === "data" || kind !== "image") {
      add(
        `${field}.mime_type`,
        "REQUIRED",
        `mime_type is required for ${media.source.case === "data" ? "inline data" : `a ${kind} given by uri`}, e.g. ${VERTEX_MIME_TYPES[kind][0]}`,
      );
    }
  } else if (!VERTEX_MIME_TYPES[kind].includes(mime)) {
    add(
      `${field}.mime_type`,
      "UNSUPPORTED_MIME_TYPE",
      `${JSON.stringify(media.mimeType)} is not a ${kind} type Vertex accepts; use one of ${VERTEX_MIME_TYPES[kind].join(", ")}`,
    );
  }
  if (media.source.case === "data") {
    const limit = kind === "image" ? limits.maxInlineImageBytes : limits.maxInlineMediaBytes;
    if (media.source.value.byteLength > limit) {
      add(
        `${field}.data`,
        "INLINE_MEDIA_TOO_LARGE",
        `${media.source.value.byteLength} bytes is over the ${limit}-byte limit for inline ${kind}s; upload it to Cloud Storage and give its gs:// uri`,
      );
    }
  }
}
