/**
 * The emulator refuses what Vertex refuses in the values of a request (README "The local Vertex emulator" lists
 * each rule with its basis). Where Vertex's exact behaviour is only guessed, the strict side is taken: a lax
 * emulator hides gateway bugs.
 */
import type { WireContentPart, WireRequest } from "../wire/vertex-wire.ts";
import { type EmulatedError, googleError } from "./google-errors.ts";
import type { EmulatedModel } from "./model-catalog.ts";

const ROLES = new Set(["system", "user", "assistant", "tool", "function"]);
const PART_TYPES = new Set(["text", "image_url", "input_audio"]);
const REASONING_EFFORTS = new Set(["none", "low", "medium", "high"]);
/** extra_body.google keys Vertex documents for this endpoint. */
const GOOGLE_KEYS = new Set([
  "thinking_config",
  "safety_settings",
  "cached_content",
  "thought_tag_marker",
  "stream_function_call_arguments",
  "media_resolution",
  "tools",
]);
const HARM_CATEGORIES = new Set([
  "HARM_CATEGORY_HATE_SPEECH",
  "HARM_CATEGORY_DANGEROUS_CONTENT",
  "HARM_CATEGORY_HARASSMENT",
  "HARM_CATEGORY_SEXUALLY_EXPLICIT",
  "HARM_CATEGORY_CIVIC_INTEGRITY",
]);
const HARM_THRESHOLDS = new Set([
  "BLOCK_LOW_AND_ABOVE",
  "BLOCK_MEDIUM_AND_ABOVE",
  "BLOCK_ONLY_HIGH",
  "BLOCK_NONE",
  "OFF",
]);
/** Models that cannot turn thinking off. */
const ALWAYS_THINKING = new Set(["google/gemini-2.5-pro"]);

/** `[min, max)` or `[min, max]` ranges, in Vertex's own words for an out-of-range value. */
const RANGES: [keyof WireRequest, number, number, "inclusive" | "exclusive"][] = [
  ["temperature", 0, 2, "inclusive"],
  ["top_p", 0, 1, "inclusive"],
  ["presence_penalty", -2, 2, "exclusive"],
  ["frequency_penalty", -2, 2, "exclusive"],
  ["n", 1, 8, "inclusive"],
];

export function checkValues(body: WireRequest, model: EmulatedModel, location: string): EmulatedError | undefined {
  return (
    checkRanges(body) ??
    checkReasoning(body, model) ??
    checkMessages(body) ??
    checkTools(body) ??
    checkGoogleOptions(body, location)
  );
}

function checkRanges(body: WireRequest): EmulatedError | undefined {
  for (const [key, min, max, upper] of RANGES) {
    const value = body[key];
    if (value === undefined) continue;
    const inRange = typeof value === "number" && value >= min && (upper === "inclusive" ? value <= max : value < max);
    if (!inRange) {
      return googleError(
        400,
        `Unable to submit request because it has a ${key} value of ${JSON.stringify(value)} but the supported range is from ${min} (inclusive) to ${max} (${upper}). Update the value and try again.`,
      );
    }
  }
  return undefined;
}

function checkReasoning(body: WireRequest, model: EmulatedModel): EmulatedError | undefined {
  const effort: unknown = body.reasoning_effort;
  if (effort === undefined) return undefined;
  if (typeof effort !== "string" || !REASONING_EFFORTS.has(effort)) {
    return googleError(
      400,
      `Invalid value at 'reasoning_effort' (${JSON.stringify(effort)}): use one of none, low, medium, high.`,
    );
  }
  if (effort === "none" && ALWAYS_THINKING.has(model.name)) {
    return googleError(
      400,
      `Unable to submit request because thinking can't be turned off for ${model.name}. Use a reasoning_effort of low, medium or high.`,
    );
  }
  return undefined;
}

function checkMessages(body: WireRequest): EmulatedError | undefined {
  const callIds = new Set<string>();
  for (const [i, message] of body.messages.entries()) {
    const role: unknown = message.role;
    if (typeof role !== "string" || !ROLES.has(role)) {
      return googleError(
        400,
        `Invalid value at 'messages[${i}].role' (${JSON.stringify(role)}): use system, user, assistant or tool.`,
      );
    }
    for (const call of message.tool_calls ?? []) callIds.add(call.id);
    if (role === "tool" && !callIds.has(message.tool_call_id ?? "")) {
      return googleError(
        400,
        `Invalid value at 'messages[${i}].tool_call_id' (${JSON.stringify(message.tool_call_id ?? "")}): no earlier assistant message has a tool call with this id.`,
      );
    }
    if (!Array.isArray(message.content)) continue;
    for (const [j, part] of (message.content as WireContentPart[]).entries()) {
      const problem = partProblem(part);
      if (problem) return googleError(400, `Invalid value at 'messages[${i}].content[${j}]': ${problem}`);
    }
  }
  return undefined;
}

function partProblem(part: WireContentPart): string | undefined {
  const type: unknown = part.type;
  if (typeof type !== "string" || !PART_TYPES.has(type)) {
    return `unsupported content part type ${JSON.stringify(type)}; use text, image_url or input_audio.`;
  }
  const url =
    part.type === "image_url" ? (typeof part.image_url === "string" ? part.image_url : part.image_url?.url) : undefined;
  const data = part.type === "input_audio" ? part.input_audio?.data : undefined;
  for (const value of [url, data]) {
    if (typeof value !== "string" || !value.startsWith("data:")) continue;
    const match = /^data:[\w.+-]+\/[\w.+-]+;base64,(.*)$/s.exec(value);
    if (!match || !isBase64(match[1] ?? "")) return "the data URI is not valid base64 (data:<MIME>;base64,<bytes>).";
  }
  return undefined;
}

function isBase64(text: string): boolean {
  return text.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(text);
}

/** A named tool_choice must name one of the tools offered. */
function checkTools(body: WireRequest): EmulatedError | undefined {
  const choice = body.tool_choice;
  if (typeof choice !== "object" || choice === null) return undefined;
  const named = choice.function?.name;
  if (!(body.tools ?? []).some((tool) => tool.function.name === named)) {
    return googleError(
      400,
      `Invalid value at 'tool_choice.function.name' (${JSON.stringify(named)}): it names no function among tools.`,
    );
  }
  return undefined;
}

function checkSafetySettings(settings: unknown): EmulatedError | undefined {
  if (!Array.isArray(settings)) {
    return googleError(400, "Invalid value at 'extra_body.google.safety_settings': a list of {category, threshold}.");
  }
  for (const [i, setting] of settings.entries()) {
    const { category, threshold } = (setting ?? {}) as { category?: unknown; threshold?: unknown };
    if (typeof category !== "string" || !HARM_CATEGORIES.has(category)) {
      return googleError(
        400,
        `Invalid value at 'extra_body.google.safety_settings[${i}].category' (${JSON.stringify(category)}): use one of ${[...HARM_CATEGORIES].join(", ")}.`,
      );
    }
    if (typeof threshold !== "string" || !HARM_THRESHOLDS.has(threshold)) {
      return googleError(
        400,
        `Invalid value at 'extra_body.google.safety_settings[${i}].threshold' (${JSON.stringify(threshold)}): use one of ${[...HARM_THRESHOLDS].join(", ")}.`,
      );
    }
  }
  return undefined;
}

function checkGoogleOptions(body: WireRequest, location: string): EmulatedError | undefined {
  const google = body.extra_body?.google as Record<string, unknown> | undefined;
  if (!google) return undefined;
  for (const key of Object.keys(google)) {
    if (!GOOGLE_KEYS.has(key)) {
      return googleError(
        400,
        `Invalid JSON payload received. Unknown name "${key}" at 'extra_body.google': Cannot find field.`,
      );
    }
  }
  if (google.safety_settings !== undefined) {
    const refused = checkSafetySettings(google.safety_settings);
    if (refused) return refused;
  }
  if (typeof google.cached_content === "string" && location === "global") {
    return googleError(
      400,
      `Cached content ${google.cached_content} cannot be used at location global: context caches are regional; send the request to the cache's region.`,
    );
  }
  return undefined;
}
