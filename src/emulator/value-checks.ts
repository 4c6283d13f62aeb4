/**
 * The emulator refuses what Vertex refuses in the values of a request (README "The local Vertex emulator" lists
 * each rule with its basis). Where Vertex's exact behaviour is only guessed, the strict side is taken: a lax
 * emulator hides gateway bugs.
 */

import type { JsonObject } from "@bufbuild/protobuf";
import { schemaProblems } from "../wire/schema-check.ts";
import {
  isVertexBase64,
  mediaKindOf,
  OPENAI_AUDIO_FORMATS,
  parseDataUri,
  VERTEX_INLINE_IMAGE_BYTES,
  VERTEX_INLINE_MEDIA_BYTES,
  VERTEX_MEDIA_URI,
  VERTEX_MIME_TYPES,
} from "../wire/vertex-media.ts";
import { VERTEX_GOOGLE_OPTION_KEYS, type WireContentPart, type WireRequest } from "../wire/vertex-wire.ts";
import { type EmulatedError, googleError } from "./google-errors.ts";
import type { EmulatedModel } from "./model-catalog.ts";
import { checkThinking } from "./thinking.ts";

const ROLES = new Set(["system", "user", "assistant", "tool", "function"]);
const PART_TYPES = new Set(["text", "image_url", "input_audio"]);
const RESPONSE_FORMATS = new Set(["text", "json_object", "json_schema"]);
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
    checkThinking(body, model) ??
    checkMessages(body) ??
    checkTools(body) ??
    checkResponseFormat(body) ??
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
  if (part.type === "image_url") {
    const url = typeof part.image_url === "string" ? part.image_url : part.image_url?.url;
    if (typeof url !== "string" || url === "") return "image_url.url is required.";
    return url.startsWith("data:") ? dataUriProblem(url) : uriProblem(url);
  }
  if (part.type === "input_audio") {
    const { data, format } = (part.input_audio ?? {}) as { data?: unknown; format?: unknown };
    if (typeof format !== "string" || !(format in OPENAI_AUDIO_FORMATS || mediaKindOf(format))) {
      return `input_audio.format ${JSON.stringify(format)} is not supported; use wav, mp3 or one of ${[...VERTEX_MIME_TYPES.audio, ...VERTEX_MIME_TYPES.video, ...VERTEX_MIME_TYPES.document].join(", ")}.`;
    }
    if (typeof data !== "string" || data === "") return "input_audio.data is required.";
    if (data.startsWith("data:")) return dataUriProblem(data);
    if (/^(gs|https):\/\//.test(data)) return uriProblem(data);
    if (!isVertexBase64(data)) return "input_audio.data is neither a gs:// or https:// URI nor valid base64.";
    return sizeProblem(Buffer.byteLength(data, "base64"), "audio");
  }
  return undefined;
}

function uriProblem(uri: string): string | undefined {
  if (VERTEX_MEDIA_URI.test(uri)) return undefined;
  return `the URI ${JSON.stringify(uri.slice(0, 80))} is not supported; use a gs://bucket/object URI, an https:// URL or a data: URI.`;
}

function dataUriProblem(uri: string): string | undefined {
  const parsed = parseDataUri(uri);
  if (!parsed || !isVertexBase64(parsed.base64))
    return "the data URI is not valid base64 (data:<MIME>;base64,<bytes>).";
  const kind = mediaKindOf(parsed.mimeType);
  if (!kind) {
    return `the MIME type ${JSON.stringify(parsed.mimeType)} is not supported; use one of ${Object.values(VERTEX_MIME_TYPES).flat().join(", ")}.`;
  }
  return sizeProblem(Buffer.byteLength(parsed.base64, "base64"), kind);
}

function sizeProblem(bytes: number, kind: string): string | undefined {
  const limit = kind === "image" ? VERTEX_INLINE_IMAGE_BYTES : VERTEX_INLINE_MEDIA_BYTES;
  if (bytes <= limit) return undefined;
  return `the inline ${kind} is ${bytes} bytes, over the ${limit}-byte limit for inline data; upload it to Cloud Storage and send its gs:// URI.`;
}

/** Each tool's parameters must be a schema of an object (the OpenAPI subset Vertex reads). */
function checkToolSchemas(body: WireRequest): EmulatedError | undefined {
  for (const [i, tool] of (body.tools ?? []).entries()) {
    const parameters: unknown = tool.function?.parameters;
    if (parameters === undefined) continue;
    const at = `tools[${i}].function.parameters`;
    const problem = schemaProblem(parameters);
    if (problem) return googleError(400, `Invalid value at '${at}': ${problem}`);
    const type = (parameters as { type?: unknown }).type;
    if (type !== undefined && type !== "object") {
      return googleError(
        400,
        `Invalid value at '${at}.type' (${JSON.stringify(type)}): function parameters must be of type object.`,
      );
    }
  }
  return undefined;
}

function schemaProblem(schema: unknown): string | undefined {
  if (typeof schema !== "object" || schema === null || Array.isArray(schema))
    return "a JSON Schema object is required.";
  const first = schemaProblems(schema as JsonObject)[0];
  return first ? `not a valid schema: ${first.path || "(root)"} ${first.message}.` : undefined;
}

/** `response_format`: a known type; json_schema with a schema that is one and does not recurse into itself. */
function checkResponseFormat(body: WireRequest): EmulatedError | undefined {
  const format = body.response_format as { type?: unknown; json_schema?: { schema?: unknown } } | undefined;
  if (format === undefined) return undefined;
  if (typeof format.type !== "string" || !RESPONSE_FORMATS.has(format.type)) {
    return googleError(
      400,
      `Invalid value at 'response_format.type' (${JSON.stringify(format.type)}): use text, json_object or json_schema.`,
    );
  }
  if (format.type !== "json_schema") return undefined;
  const schema = format.json_schema?.schema;
  const problem = schemaProblem(schema);
  if (problem) return googleError(400, `Invalid value at 'response_format.json_schema.schema': ${problem}`);
  if (refersToItself(schema as Record<string, unknown>)) {
    return googleError(
      400,
      "Invalid value at 'response_format.json_schema.schema': recursive schemas are not supported; unroll the $ref cycle to a fixed depth.",
    );
  }
  return undefined;
}

/** Whether a `$ref` chain starting anywhere in the schema comes back to a definition it started from. */
function refersToItself(schema: Record<string, unknown>): boolean {
  const definitions = { ...(schema.$defs as object), ...(schema.definitions as object) } as Record<string, unknown>;
  const refsIn = (node: unknown, out: Set<string>): Set<string> => {
    if (Array.isArray(node)) for (const item of node) refsIn(item, out);
    else if (node && typeof node === "object") {
      for (const [key, value] of Object.entries(node)) {
        if (key === "$ref" && typeof value === "string") out.add(value.replace(/^#\/(\$defs|definitions)\//, ""));
        else refsIn(value, out);
      }
    }
    return out;
  };
  if ([...refsIn(schema, new Set())].includes("#")) return true;
  const visiting = new Set<string>();
  const done = new Set<string>();
  const cycles = (name: string): boolean => {
    if (visiting.has(name)) return true;
    if (done.has(name) || !(name in definitions)) return false;
    visiting.add(name);
    const found = [...refsIn(definitions[name], new Set())].some(cycles);
    visiting.delete(name);
    done.add(name);
    return found;
  };
  return Object.keys(definitions).some(cycles);
}

/** Tool schemas must be schemas; a named tool_choice must name one of the tools offered. */
function checkTools(body: WireRequest): EmulatedError | undefined {
  const schemaRefused = checkToolSchemas(body);
  if (schemaRefused) return schemaRefused;
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
    if (!VERTEX_GOOGLE_OPTION_KEYS.includes(key)) {
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
