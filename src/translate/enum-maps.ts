/**
 * The one place where contract enums meet their wire strings. Each table is total over the enum, so adding an
 * enum value without deciding its wire form fails to type-check.
 */

import type { UnknownEnum } from "@bufbuild/protobuf";
import { FinishReason } from "../../gen/vertexchat/v1/chat_service_pb.ts";
import { MediaResolution, Role } from "../../gen/vertexchat/v1/content_pb.ts";
import {
  HarmBlockThreshold,
  HarmCategory,
  Modality,
  ReasoningEffort,
  ThinkingLevel,
} from "../../gen/vertexchat/v1/options_pb.ts";
import { ToolChoiceMode } from "../../gen/vertexchat/v1/tools_pb.ts";
import type { WireImageDetail, WireRequest, WireRole, WireToolChoice } from "../wire/vertex-wire.ts";

/** A table that must name every known value of a generated enum. */
type EnumTable<E extends number, V> = Record<Exclude<E, UnknownEnum>, V>;

/** Looks a value up; values the contract added after this build (UnknownEnum) give undefined. */
export function fromTable<E extends number, V>(table: EnumTable<E, V>, value: E): V | undefined {
  return (table as Record<number, V>)[value];
}

/**
 * The reverse lookup: the enum value whose wire form is `wire` (the first, where two share one), or 0
 * (UNSPECIFIED) for a wire form the table does not name.
 */
export function toEnum<E extends number, V>(table: EnumTable<E, V>, wire: V): E {
  for (const [key, value] of Object.entries(table)) if (value === wire) return Number(key) as E;
  return 0 as E;
}

export const wireRole: EnumTable<Role, WireRole | undefined> = {
  [Role.UNSPECIFIED]: undefined,
  [Role.SYSTEM]: "system",
  // Vertex has no developer role.
  [Role.DEVELOPER]: "system",
  [Role.USER]: "user",
  [Role.ASSISTANT]: "assistant",
  [Role.TOOL]: "tool",
};

export const wireToolChoiceMode: EnumTable<ToolChoiceMode, WireToolChoice | undefined> = {
  [ToolChoiceMode.UNSPECIFIED]: undefined,
  [ToolChoiceMode.AUTO]: "auto",
  [ToolChoiceMode.NONE]: "none",
  [ToolChoiceMode.REQUIRED]: "required",
  [ToolChoiceMode.VALIDATED]: "validated",
};

export const wireReasoningEffort: EnumTable<ReasoningEffort, WireRequest["reasoning_effort"]> = {
  [ReasoningEffort.UNSPECIFIED]: undefined,
  [ReasoningEffort.NONE]: "none",
  [ReasoningEffort.LOW]: "low",
  [ReasoningEffort.MEDIUM]: "medium",
  [ReasoningEffort.HIGH]: "high",
};

export const wireModality: EnumTable<Modality, "text" | "image" | "audio" | undefined> = {
  [Modality.UNSPECIFIED]: undefined,
  [Modality.TEXT]: "text",
  [Modality.IMAGE]: "image",
  [Modality.AUDIO]: "audio",
};

/** Per-part `detail`: OpenAI's vocabulary has no "medium", so the model's default ("auto") stands for it. */
export const wireImageDetail: EnumTable<MediaResolution, WireImageDetail | undefined> = {
  [MediaResolution.UNSPECIFIED]: undefined,
  [MediaResolution.LOW]: "low",
  [MediaResolution.MEDIUM]: "auto",
  [MediaResolution.HIGH]: "high",
};

/** Request-level `media_resolution` in `extra_body.google` takes Gemini's enum names. */
export const wireMediaResolution: EnumTable<MediaResolution, string | undefined> = {
  [MediaResolution.UNSPECIFIED]: undefined,
  [MediaResolution.LOW]: "MEDIA_RESOLUTION_LOW",
  [MediaResolution.MEDIUM]: "MEDIA_RESOLUTION_MEDIUM",
  [MediaResolution.HIGH]: "MEDIA_RESOLUTION_HIGH",
};

export const wireThinkingLevel: EnumTable<ThinkingLevel, string | undefined> = {
  [ThinkingLevel.UNSPECIFIED]: undefined,
  [ThinkingLevel.MINIMAL]: "MINIMAL",
  [ThinkingLevel.LOW]: "LOW",
  [ThinkingLevel.MEDIUM]: "MEDIUM",
  [ThinkingLevel.HIGH]: "HIGH",
};

export const wireHarmCategory: EnumTable<HarmCategory, string | undefined> = {
  [HarmCategory.UNSPECIFIED]: undefined,
  [HarmCategory.HATE_SPEECH]: "HARM_CATEGORY_HATE_SPEECH",
  [HarmCategory.DANGEROUS_CONTENT]: "HARM_CATEGORY_DANGEROUS_CONTENT",
  [HarmCategory.HARASSMENT]: "HARM_CATEGORY_HARASSMENT",
  [HarmCategory.SEXUALLY_EXPLICIT]: "HARM_CATEGORY_SEXUALLY_EXPLICIT",
  [HarmCategory.CIVIC_INTEGRITY]: "HARM_CATEGORY_CIVIC_INTEGRITY",
};

export const wireHarmBlockThreshold: EnumTable<HarmBlockThreshold, string | undefined> = {
  [HarmBlockThreshold.UNSPECIFIED]: undefined,
  [HarmBlockThreshold.BLOCK_LOW_AND_ABOVE]: "BLOCK_LOW_AND_ABOVE",
  [HarmBlockThreshold.BLOCK_MEDIUM_AND_ABOVE]: "BLOCK_MEDIUM_AND_ABOVE",
  [HarmBlockThreshold.BLOCK_ONLY_HIGH]: "BLOCK_ONLY_HIGH",
  [HarmBlockThreshold.BLOCK_NONE]: "BLOCK_NONE",
  [HarmBlockThreshold.OFF]: "OFF",
};

const finishReasons: Record<string, FinishReason> = {
  stop: FinishReason.STOP,
  length: FinishReason.LENGTH,
  tool_calls: FinishReason.TOOL_CALLS,
  content_filter: FinishReason.CONTENT_FILTER,
};

/** Unknown upstream reasons (Gemini's MALFORMED_FUNCTION_CALL, RECITATION, …) become OTHER; the verbatim string travels beside. */
export function finishReasonFromWire(reason: string | null | undefined): FinishReason {
  if (!reason) return FinishReason.UNSPECIFIED;
  return finishReasons[reason] ?? FinishReason.OTHER;
}
