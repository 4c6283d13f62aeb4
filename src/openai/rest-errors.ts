/**
 * A gateway error (a ConnectError from the catalogue) → OpenAI's error object, which the OpenAI SDKs parse and show
 * (Vertex's JSON-array bodies they cannot): `{"error": {message, type, code, param}}` with the HTTP status of the
 * gRPC code, `code` the ErrorInfo reason, `param` the field of the first BadRequest violation, and `Retry-After`
 * from RetryInfo. Pure.
 */
import { Code, type ConnectError } from "@connectrpc/connect";
import { codeToHttpStatus } from "@connectrpc/connect/protocol-connect";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.ts";

export interface RestError {
  status: number;
  headers: Record<string, string>;
  body: { error: { message: string; type: string; code: string | null; param: string | null } };
}

/** OpenAI's `type` by HTTP status, as its SDKs and docs name them. */
function typeOf(status: number): string {
  if (status === 400 || status === 404 || status === 413) return "invalid_request_error";
  if (status === 401) return "authentication_error";
  if (status === 403) return "permission_error";
  if (status === 429) return "rate_limit_error";
  return "api_error";
}

/** Reasons whose HTTP status is more precise than their gRPC code's. */
const STATUS_BY_REASON: Record<string, number> = { REQUEST_TOO_LARGE: 413 };

/** Reasons that are about one field of the body although no BadRequest names it. */
const PARAM_BY_REASON: Record<string, string> = { UNKNOWN_MODEL: "model" };

/** The HTTP status of a code; a call cancelled by its caller is 499, as Vertex and Connect say. */
function statusOf(code: Code, reason: string | undefined): number {
  if (reason && STATUS_BY_REASON[reason]) return STATUS_BY_REASON[reason];
  return code === Code.Canceled ? 499 : codeToHttpStatus(code);
}

export function restError(err: ConnectError): RestError {
  const reason = err.findDetails(ErrorInfoSchema)[0]?.reason;
  const status = statusOf(err.code, reason);
  const field =
    err.findDetails(BadRequestSchema)[0]?.fieldViolations[0]?.field ?? (reason ? PARAM_BY_REASON[reason] : undefined);
  const retry = err.findDetails(RetryInfoSchema)[0]?.retryDelay;
  const headers: Record<string, string> = {};
  if (retry) {
    const seconds = Number(retry.seconds) + retry.nanos / 1e9;
    headers["retry-after"] = String(Math.max(1, Math.ceil(seconds)));
  }
  const requestId = err.metadata.get("x-request-id");
  if (requestId) headers["x-request-id"] = requestId;
  return {
    status,
    headers,
    body: {
      error: {
        message: err.rawMessage,
        type: typeOf(status),
        code: reason ?? null,
        param: field === undefined ? null : restParam(field),
      },
    },
  };
}

/** A contract field path in the REST body's terms: Gemini's options live under `extra_body.google`. */
function restParam(field: string): string {
  return field.startsWith("google.") ? `extra_body.${field}` : field;
}
