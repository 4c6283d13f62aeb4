/** Error bodies the way Vertex's OpenAI-compatible endpoint writes them: a JSON array of Google errors. */
import type { WireGoogleError } from "../wire/vertex-wire.ts";

const GOOGLE_STATUS_BY_HTTP: Record<number, string> = {
  400: "INVALID_ARGUMENT",
  401: "UNAUTHENTICATED",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  409: "ABORTED",
  429: "RESOURCE_EXHAUSTED",
  499: "CANCELLED",
  500: "INTERNAL",
  501: "NOT_IMPLEMENTED",
  503: "UNAVAILABLE",
  504: "DEADLINE_EXCEEDED",
};

export interface EmulatedError {
  httpStatus: number;
  status: string;
  message: string;
}

export function googleError(httpStatus: number, message: string, status?: string): EmulatedError {
  return { httpStatus, status: status ?? GOOGLE_STATUS_BY_HTTP[httpStatus] ?? "UNKNOWN", message };
}

/** The body shapes seen from Google's front ends; `array` is what the OpenAI-compatible endpoint sends. */
export type ErrorBodyShape = "array" | "object" | "html" | "empty" | "truncated";

export function errorBody(
  error: EmulatedError,
  shape: ErrorBodyShape = "array",
): { contentType: string; body: string } {
  const google: WireGoogleError = { error: { code: error.httpStatus, message: error.message, status: error.status } };
  switch (shape) {
    case "array":
      return { contentType: "application/json", body: JSON.stringify([google]) };
    case "object":
      return { contentType: "application/json", body: JSON.stringify(google) };
    case "html":
      return {
        contentType: "text/html; charset=UTF-8",
        body: `<!DOCTYPE html><html lang=en><title>Error ${error.httpStatus} (Server Error)!!1</title><p><b>${error.httpStatus}.</b> <ins>That’s an error.</ins></p></html>`,
      };
    case "empty":
      return { contentType: "application/json", body: "" };
    case "truncated":
      return { contentType: "application/json", body: JSON.stringify([google]).slice(0, 20) };
  }
}
