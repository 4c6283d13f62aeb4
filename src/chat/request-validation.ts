/**
 * Validation before any upstream call: the rules declared in the contract (protovalidate) and the cross-field rules
 * of request-rules.ts, reported together as one list with the contract's field paths.
 */
import { create, type DescMessage, type Message } from "@bufbuild/protobuf";
import { pathToString } from "@bufbuild/protobuf/reflect";
import { createValidator } from "@bufbuild/protovalidate";
import { type ChatCompletionRequest, ChatCompletionRequestSchema } from "../../gen/vertexchat/v1/chat_service_pb.ts";
import { findRuleViolations, type MediaLimits, type Violation } from "./request-rules.ts";

/** What to do about the most common declared-rule failures, by field path (indexes removed) and rule. */
const HINTS: Record<string, string> = {
  "model string.min_len": "set model to a model from ListModels, e.g. google/gemini-2.5-flash",
  "messages repeated.min_items": "send at least one message (a user message with text)",
  "messages.role enum.not_in": "set role to ROLE_USER, ROLE_SYSTEM, ROLE_DEVELOPER, ROLE_ASSISTANT or ROLE_TOOL",
  "messages.content.kind required": "set one of text, image, audio, video or document",
  "messages.content.image.source required": "give a gs:// or https:// uri, or the bytes in data",
  "messages.content.audio.source required": "give a gs:// or https:// uri, or the bytes in data",
  "messages.content.video.source required": "give a gs:// or https:// uri, or the bytes in data",
  "messages.content.document.source required": "give a gs:// or https:// uri, or the bytes in data",
  "tools.function.name string.pattern":
    "use 1-64 letters, digits, underscores, dots or dashes, starting with a letter or underscore",
};

export type RequestValidator = (schema: DescMessage, message: Message) => Violation[];

export function createRequestValidator(limits: MediaLimits): RequestValidator {
  const validator = createValidator();
  // protovalidate plans and compiles every rule of a message type on its first use (~80 ms for the contract's):
  // done here, at start-up, the first caller's request is not the one that pays for it.
  validator.validate(ChatCompletionRequestSchema, create(ChatCompletionRequestSchema));
  return (schema, message) => {
    const result = validator.validate(schema, message);
    if (result.kind === "error") throw result.error;
    const declared =
      result.kind === "invalid"
        ? result.violations.map((v): Violation => {
            const field = pathToString(v.field);
            const hint = HINTS[`${field.replace(/\[\d+\]/g, "")} ${v.ruleId}`];
            return {
              field,
              reason: v.ruleId.toUpperCase().replace(/[^A-Z0-9]+/g, "_"),
              description: `${field}: ${v.message}${hint ? `; ${hint}` : ""}`,
            };
          })
        : [];
    if (schema.typeName !== ChatCompletionRequestSchema.typeName) return declared;
    const reported = new Set(declared.map((v) => v.field));
    const rules = findRuleViolations(message as ChatCompletionRequest, limits).filter((v) => !reported.has(v.field));
    return [...declared, ...rules];
  };
}
