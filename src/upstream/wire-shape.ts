/**
 * Checks that a body from the upstream has the shape the translation reads, so that a hostile or broken upstream
 * gives a precise "malformed" failure instead of a TypeError somewhere downstream. Only the fields the gateway
 * reads are checked; unknown fields pass.
 */
import type { WireChunk, WireResponse } from "../wire/vertex-wire.ts";
import { UpstreamError } from "./upstream-failure.ts";

type Json = unknown;

const isObject = (v: Json): v is Record<string, Json> => typeof v === "object" && v !== null && !Array.isArray(v);

class ShapeError extends Error {
  override name = "ShapeError";
}

function expect(ok: boolean, path: string, what: string): void {
  if (!ok) throw new ShapeError(`${path} is not ${what}`);
}

function optional(v: Json, path: string, type: "string" | "number" | "boolean"): void {
  expect(v === undefined || v === null || typeof v === type, path, `a ${type}`);
}

function checkExtra(v: Json, path: string): void {
  if (v === undefined || v === null) return;
  expect(isObject(v), path, "an object");
  const google = (v as Record<string, Json>).google;
  if (google === undefined || google === null) return;
  expect(isObject(google), `${path}.google`, "an object");
  const g = google as Record<string, Json>;
  optional(g.thought, `${path}.google.thought`, "boolean");
  optional(g.thought_signature, `${path}.google.thought_signature`, "string");
  optional(g.mime_type, `${path}.google.mime_type`, "string");
}

function checkMessage(v: Json, path: string): void {
  expect(isObject(v), path, "an object");
  const m = v as Record<string, Json>;
  optional(m.content, `${path}.content`, "string");
  checkExtra(m.extra_content, `${path}.extra_content`);
  if (m.audio !== undefined && m.audio !== null) {
    expect(isObject(m.audio), `${path}.audio`, "an object");
    optional((m.audio as Record<string, Json>).data, `${path}.audio.data`, "string");
    checkExtra((m.audio as Record<string, Json>).extra_content, `${path}.audio.extra_content`);
  }
  if (m.tool_calls === undefined || m.tool_calls === null) return;
  expect(Array.isArray(m.tool_calls), `${path}.tool_calls`, "an array");
  for (const [i, call] of (m.tool_calls as Json[]).entries()) {
    const at = `${path}.tool_calls[${i}]`;
    expect(isObject(call), at, "an object");
    const c = call as Record<string, Json>;
    optional(c.id, `${at}.id`, "string");
    optional(c.index, `${at}.index`, "number");
    checkExtra(c.extra_content, `${at}.extra_content`);
    if (c.function === undefined || c.function === null) continue;
    expect(isObject(c.function), `${at}.function`, "an object");
    optional((c.function as Record<string, Json>).name, `${at}.function.name`, "string");
    optional((c.function as Record<string, Json>).arguments, `${at}.function.arguments`, "string");
  }
}

function checkBody(v: Json, key: "message" | "delta"): void {
  expect(isObject(v), "the body", "a JSON object");
  const body = v as Record<string, Json>;
  if ("error" in body && body.error)
    throw new ShapeError(`the body is an error: ${JSON.stringify(body.error).slice(0, 200)}`);
  optional(body.id, "id", "string");
  optional(body.model, "model", "string");
  optional(body.created, "created", "number");
  expect(Array.isArray(body.choices), "choices", "an array");
  for (const [i, choice] of (body.choices as Json[]).entries()) {
    expect(isObject(choice), `choices[${i}]`, "an object");
    const c = choice as Record<string, Json>;
    expect(
      c.index === undefined || (Number.isInteger(c.index) && (c.index as number) >= 0),
      `choices[${i}].index`,
      "a whole number ≥ 0",
    );
    optional(c.finish_reason, `choices[${i}].finish_reason`, "string");
    if (c[key] !== undefined) checkMessage(c[key], `choices[${i}].${key}`);
  }
  if (body.usage !== undefined && body.usage !== null) {
    expect(isObject(body.usage), "usage", "an object");
    const u = body.usage as Record<string, Json>;
    for (const k of ["prompt_tokens", "completion_tokens", "total_tokens"]) optional(u[k], `usage.${k}`, "number");
  }
}

function checked<T>(v: Json, key: "message" | "delta", what: string): T {
  try {
    checkBody(v, key);
    return v as T;
  } catch (err) {
    if (!(err instanceof ShapeError)) throw err;
    throw new UpstreamError({
      kind: "malformed",
      message: `the upstream sent a ${what} of the wrong shape: ${err.message}`,
    });
  }
}

export const checkResponse = (v: Json): WireResponse => checked<WireResponse>(v, "message", "completion");
export const checkChunk = (v: Json): WireChunk => checked<WireChunk>(v, "delta", "stream chunk");
