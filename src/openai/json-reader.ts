/**
 * Reading a JSON body whose shape is not yet known, one field at a time, so that every mistake is reported with the
 * path of the field and what it should be. Throws RestShapeError; pure.
 */
import type { Violation } from "../rpc/error-mapping.ts";

export type JsonRecord = Record<string, unknown>;

/** A field of the body that does not have the shape the OpenAI-compatible API gives it. */
export class RestShapeError extends Error {
  override name = "RestShapeError";
  readonly violation: Violation;

  constructor(field: string, reason: string, description: string) {
    super(`${field}: ${description}`);
    this.violation = { field, reason, description: `${field}: ${description}` };
  }
}

export function fail(field: string, description: string, reason = "INVALID_TYPE"): never {
  throw new RestShapeError(field, reason, description);
}

function kindOf(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `${typeof value} ${JSON.stringify(value)}`;
}

export function record(value: unknown, field: string): JsonRecord {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    fail(field, `must be a JSON object, not ${kindOf(value)}`);
  }
  return value as JsonRecord;
}

export function list(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) fail(field, `must be an array, not ${kindOf(value)}`);
  return value;
}

export function text(value: unknown, field: string): string {
  if (typeof value !== "string") fail(field, `must be a string, not ${kindOf(value)}`);
  return value;
}

export function number(value: unknown, field: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) fail(field, `must be a number, not ${kindOf(value)}`);
  return value;
}

export function integer(value: unknown, field: string): number {
  const n = number(value, field);
  if (!Number.isInteger(n) || Math.abs(n) > 2 ** 31 - 1) fail(field, `must be a 32-bit integer, not ${n}`);
  return n;
}

export function boolean(value: unknown, field: string): boolean {
  if (typeof value !== "boolean") fail(field, `must be true or false, not ${kindOf(value)}`);
  return value;
}

/** One of `choices`, named in the error otherwise. */
export function oneOf<T extends string>(value: unknown, field: string, choices: readonly T[]): T {
  const given = text(value, field);
  if (!(choices as readonly string[]).includes(given)) {
    fail(field, `${JSON.stringify(given)} is not one of ${choices.join(", ")}`, "UNKNOWN_VALUE");
  }
  return given as T;
}

/** Refuses keys the object may not have, naming the first one and what is allowed. */
export function onlyKeys(value: JsonRecord, field: string, allowed: readonly string[]): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      fail(
        field ? `${field}.${key}` : key,
        `unknown field ${JSON.stringify(key)}${field ? ` in ${field}` : ""}; known: ${allowed.join(", ")}`,
        "UNKNOWN_FIELD",
      );
    }
  }
}

/** A value that is given: neither absent nor JSON null (OpenAI's SDKs send null for "not set"). */
export function given(value: unknown): boolean {
  return value !== undefined && value !== null;
}

/** `extra_content.google`, with only the keys this place may carry. */
export function extraGoogle(value: unknown, at: string, keys: readonly string[]): JsonRecord {
  if (!given(value)) return {};
  const extra = record(value, at);
  onlyKeys(extra, at, ["google"]);
  if (!given(extra.google)) return {};
  const google = record(extra.google, `${at}.google`);
  onlyKeys(google, `${at}.google`, keys);
  return google;
}
