/**
 * Checks that a body from the upstream has the shape the translation reads, so that a hostile or broken upstream
 * gives a precise "malformed" failure instead of a TypeError somewhere downstream. What passes is exactly what
 * WireResponse / WireChunk declare (src/wire/vertex-wire.ts): what may be missing or null there may be here.
 * Only the fields the gateway reads are checked; unknown fields pass.
 */
import type { WireChunk, WireResponse } from "../wire/vertex-wire.ts";
import { UpstreamError } from "./upstream-failure.ts";

type JsonObject = Record<string, unknown>;

class ShapeError extends Error {
  override name = "ShapeError";
}

function fail(path: string, what: string): never {
  throw new ShapeError(`${path} is not ${what}`);
}

const absent = (v: unknown): v is null | undefined => v === undefined || v === null;

function assertObject(v: unknown, path: string, what = "an object"): asserts v is JsonObject {
  if (typeof v !== "object" || v === null || Array.isArray(v)) fail(path, what);
}

function assertArray(v: unknown, path: string): asserts v is unknown[] {
  if (!Array.isArray(v)) fail(path, "an array");
}

function optional(v: unknown, path: string, type: "string" | "number" | "boolean"): void {
  if (!absent(v) && typeof v !== type) fail(path, `a ${type}`);
}

function checkExtra(v: unknown, path: string): void {
  if (absent(v)) return;
  assertObject(v, path);
  const google = v.google;
  if (absent(google)) return;
  assertObject(google, `${path}.google`);
  optional(google.thought, `${path}.google.thought`, "boolean");
  optional(google.thought_signature, `${path}.google.thought_signature`, "string");
  optional(google.mime_type, `${path}.google.mime_type`, "string");
}

function checkToolCall(call: unknown, at: string): void {
  assertObject(call, at);
  optional(call.id, `${at}.id`, "string");
  optional(call.index, `${at}.index`, "number");
  checkExtra(call.extra_content, `${at}.extra_content`);
  const fn = call.function;
  if (absent(fn)) return;
  assertObject(fn, `${at}.function`);
  optional(fn.name, `${at}.function.name`, "string");
  optional(fn.arguments, `${at}.function.arguments`, "string");
}

function checkMessage(m: unknown, path: string): void {
  assertObject(m, path);
  optional(m.content, `${path}.content`, "string");
  checkExtra(m.extra_content, `${path}.extra_content`);
  const audio = m.audio;
  if (!absent(audio)) {
    assertObject(audio, `${path}.audio`);
    if (typeof audio.data !== "string") fail(`${path}.audio.data`, "a string");
    checkExtra(audio.extra_content, `${path}.audio.extra_content`);
  }
  if (absent(m.tool_calls)) return;
  assertArray(m.tool_calls, `${path}.tool_calls`);
  for (const [i, call] of m.tool_calls.entries()) checkToolCall(call, `${path}.tool_calls[${i}]`);
}

function checkUsage(u: unknown): void {
  if (absent(u)) return;
  assertObject(u, "usage");
  for (const k of ["prompt_tokens", "completion_tokens", "total_tokens"]) optional(u[k], `usage.${k}`, "number");
  const details: [string, string][] = [
    ["completion_tokens_details", "reasoning_tokens"],
    ["prompt_tokens_details", "cached_tokens"],
  ];
  for (const [group, count] of details) {
    const v = u[group];
    if (absent(v)) continue;
    assertObject(v, `usage.${group}`);
    optional(v[count], `usage.${group}.${count}`, "number");
  }
  const extra = u.extra_properties;
  if (absent(extra)) return;
  assertObject(extra, "usage.extra_properties");
  if (absent(extra.google)) return;
  assertObject(extra.google, "usage.extra_properties.google");
  optional(extra.google.traffic_type, "usage.extra_properties.google.traffic_type", "string");
}

function checkBody(body: unknown, key: "message" | "delta"): void {
  assertObject(body, "the body", "a JSON object");
  if ("error" in body && body.error)
    throw new ShapeError(`the body is an error: ${JSON.stringify(body.error).slice(0, 200)}`);
  optional(body.id, "id", "string");
  optional(body.model, "model", "string");
  optional(body.created, "created", "number");
  assertArray(body.choices, "choices");
  for (const [i, choice] of body.choices.entries()) {
    assertObject(choice, `choices[${i}]`);
    const index = choice.index;
    if (index !== undefined && !(Number.isInteger(index) && Number(index) >= 0))
      fail(`choices[${i}].index`, "a whole number ≥ 0");
    optional(choice.finish_reason, `choices[${i}].finish_reason`, "string");
    if (!absent(choice[key])) checkMessage(choice[key], `choices[${i}].${key}`);
  }
  checkUsage(body.usage);
}

function checked<T>(v: unknown, key: "message" | "delta", what: string): T {
  try {
    checkBody(v, key);
    // checkBody checked, field by field, what T declares (see the file's header).
    return v as T;
  } catch (err) {
    if (!(err instanceof ShapeError)) throw err;
    throw new UpstreamError({
      kind: "malformed",
      message: `the upstream sent a ${what} of the wrong shape: ${err.message}`,
    });
  }
}

export const checkResponse = (v: unknown): WireResponse => checked<WireResponse>(v, "message", "completion");
export const checkChunk = (v: unknown): WireChunk => checked<WireChunk>(v, "delta", "stream chunk");
