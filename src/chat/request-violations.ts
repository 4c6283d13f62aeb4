/**
 * The rules a request must meet before any upstream call, reported with the contract's field names so a caller
 * can find and fix each one. Pure. (Fuller declarative validation is tracked in issue #8.)
 */
import type { ChatCompletionRequest } from "../../gen/vertexchat/v1/chat_service_pb.ts";
import { type ContentPart, Role } from "../../gen/vertexchat/v1/content_pb.ts";

export interface Violation {
  /** Dotted path with the contract's field names, e.g. `messages[2].content[0].image.mime_type`. */
  field: string;
  description: string;
  reason: string;
}

export function findRequestViolations(req: ChatCompletionRequest): Violation[] {
  const out: Violation[] = [];
  if (req.model.trim() === "") {
    out.push({
      field: "model",
      reason: "REQUIRED",
      description: "model is empty; set it to a model from ListModels, e.g. google/gemini-2.5-flash",
    });
  }
  if (req.messages.length === 0) {
    out.push({
      field: "messages",
      reason: "REQUIRED",
      description: "messages is empty; send at least one message (a user message with text)",
    });
  }
  req.messages.forEach((message, i) => {
    const at = `messages[${i}]`;
    if (message.role === Role.UNSPECIFIED || !knownRoles.has(message.role)) {
      out.push({
        field: `${at}.role`,
        reason: "REQUIRED",
        description: `${at}.role is not set; use ROLE_SYSTEM, ROLE_DEVELOPER, ROLE_USER, ROLE_ASSISTANT or ROLE_TOOL`,
      });
    }
    if (message.role === Role.TOOL && message.toolCallId === "") {
      out.push({
        field: `${at}.tool_call_id`,
        reason: "REQUIRED",
        description: `${at} is a tool result without tool_call_id; set it to the id of the ToolCall it answers`,
      });
    }
    if (message.role !== Role.ASSISTANT && message.toolCalls.length > 0) {
      out.push({
        field: `${at}.tool_calls`,
        reason: "ROLE_MISMATCH",
        description: `${at}.tool_calls is only allowed on assistant messages`,
      });
    }
    if (message.content.length === 0 && message.toolCalls.length === 0 && message.role !== Role.ASSISTANT) {
      out.push({ field: `${at}.content`, reason: "REQUIRED", description: `${at}.content is empty; add a text part` });
    }
    for (const [j, part] of message.content.entries()) checkPart(part, `${at}.content[${j}]`, out);
    for (const [j, part] of message.toolResultParts.entries())
      checkPart(part, `${at}.tool_result_parts[${j}]`, out, true);
  });
  req.tools.forEach((tool, i) => {
    if (tool.kind.case === "function" && !/^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/.test(tool.kind.value.name)) {
      out.push({
        field: `tools[${i}].function.name`,
        reason: "INVALID_NAME",
        description: `tools[${i}].function.name must be 1-64 letters, digits, underscores, dots or dashes, starting with a letter or underscore`,
      });
    }
    if (tool.kind.case === undefined) {
      out.push({ field: `tools[${i}]`, reason: "REQUIRED", description: `tools[${i}] has no kind; set function` });
    }
  });
  return out;
}

function checkPart(part: ContentPart, at: string, out: Violation[], uriOnly = false): void {
  const kind = part.kind.case;
  if (kind === undefined) {
    out.push({
      field: at,
      reason: "REQUIRED",
      description: `${at} is empty; set text, image, audio, video or document`,
    });
    return;
  }
  if (kind === "text") {
    if (uriOnly)
      out.push({
        field: `${at}.text`,
        reason: "UNSUPPORTED",
        description: `${at}: tool result parts carry media by URI; put text in content`,
      });
    return;
  }
  const media = part.kind.value;
  const field = `${at}.${kind}`;
  if (media.source.case === undefined) {
    out.push({
      field: `${field}.uri`,
      reason: "REQUIRED",
      description: `${field} has neither uri nor data; give a gs:// or https:// uri, or the bytes in data`,
    });
    return;
  }
  if (media.source.case === "uri" && !/^(gs|https?):\/\/\S+$/.test(media.source.value)) {
    out.push({
      field: `${field}.uri`,
      reason: "INVALID_URI",
      description: `${field}.uri must start with gs://, https:// or http://`,
    });
  }
  if (media.source.case === "uri" && uriOnly && media.mimeType === "") {
    out.push({
      field: `${field}.mime_type`,
      reason: "REQUIRED",
      description: `${field}.mime_type is required for tool result parts`,
    });
  }
  const needsMime = media.source.case === "data" || kind !== "image";
  if (needsMime && media.mimeType === "") {
    out.push({
      field: `${field}.mime_type`,
      reason: "REQUIRED",
      description: `${field}.mime_type is required for ${media.source.case === "data" ? "inline data" : `a ${kind} given by uri`}, e.g. ${exampleMime[kind]}`,
    });
  }
}

const knownRoles = new Set<number>(Object.values(Role));

const exampleMime = {
  image: "image/png",
  audio: "audio/mp3",
  video: "video/mp4",
  document: "application/pdf",
} as const;
