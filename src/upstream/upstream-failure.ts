/**
 * Every way an upstream call can fail, normalised from whatever the openai client, fetch or the token source
 * threw. Knows nothing of the contract: chat/ maps these to status codes in one table.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from "openai";
import type { WireGoogleError } from "../wire/vertex-wire.ts";
import { MissingCredentialsError } from "./token-source.ts";

export type UpstreamFailure =
  | {
      kind: "http";
      status: number;
      /** Google's status name (`RESOURCE_EXHAUSTED`), when the body had one. */
      googleStatus: string | undefined;
      /** Google's message, or the body's text when it was not a Google error. */
      message: string;
    }
  | { kind: "connection"; message: string }
  | { kind: "timeout"; message: string }
  /** The upstream went silent: no first chunk, or no next chunk, in time. */
  | { kind: "stalled"; message: string }
  | { kind: "aborted"; message: string }
  /** No Google token; the token source tries again by itself after `retryAfterMs`. */
  | { kind: "credentials"; message: string; retryAfterMs: number }
  /** A body that is not the JSON shape of a chat completion. */
  | { kind: "malformed"; message: string }
  | { kind: "stream"; message: string };

/** Thrown by the upstream client; carries the normalised failure. */
export class UpstreamError extends Error {
  readonly failure: UpstreamFailure;
  constructor(failure: UpstreamFailure, options?: ErrorOptions) {
    super(failure.message, options);
    this.name = "UpstreamError";
    this.failure = failure;
  }
}

export function toUpstreamError(err: unknown): UpstreamError {
  if (err instanceof UpstreamError) return err;
  return new UpstreamError(classify(err), { cause: err });
}

const CONNECTION_ERROR_CODES = new Set([
  "ECONNRESET",
  "ECONNREFUSED",
  "EPIPE",
  "ETIMEDOUT",
  "EHOSTUNREACH",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
]);

function classify(err: unknown): UpstreamFailure {
  if (err instanceof MissingCredentialsError)
    return { kind: "credentials", message: err.message, retryAfterMs: err.retryAfterMs };
  if (err instanceof APIUserAbortError) return { kind: "aborted", message: "the request was cancelled" };
  if (err instanceof APIConnectionTimeoutError)
    return { kind: "timeout", message: "the upstream did not answer in time" };
  if (err instanceof APIConnectionError) {
    return { kind: "connection", message: `could not reach the upstream: ${causeMessage(err)}` };
  }
  if (err instanceof APIError) {
    if (err.status === undefined) {
      // An error frame inside an SSE stream (openai-node raises it without a status).
      const google = parseGoogleError(err.error);
      return { kind: "stream", message: `the upstream sent an error mid-stream: ${google?.message ?? err.message}` };
    }
    const google = parseGoogleError(err.error);
    return {
      kind: "http",
      status: err.status,
      googleStatus: google?.status,
      message: google?.message ?? nonGoogleBody(err.status, err.message),
    };
  }
  if (err instanceof Error && err.name === "AbortError")
    return { kind: "aborted", message: "the request was cancelled" };
  // A socket error while the body was being read (ECONNRESET, EPIPE, undici's socket errors).
  const code = (err as { code?: unknown } | undefined)?.code;
  if (err instanceof Error && typeof code === "string" && CONNECTION_ERROR_CODES.has(code)) {
    return { kind: "connection", message: `${err.message} (${code})` };
  }
  // undici's word for a body whose connection went away while it was being read.
  if (err instanceof TypeError && err.message === "terminated") {
    return { kind: "connection", message: `the connection was terminated: ${causeMessage(err)}` };
  }
  if (err instanceof SyntaxError)
    return { kind: "stream", message: `the upstream sent malformed data: ${err.message}` };
  return { kind: "stream", message: err instanceof Error ? err.message : String(err) };
}

/**
 * Vertex answers `[{"error":{code,message,status}}]` (an array); other front ends `{"error":{...}}` or a bare
 * `{code,message,status}`. openai-node hands us the parsed `error` member, or the array itself.
 */
export function parseGoogleError(body: unknown): { message: string; status: string | undefined } | undefined {
  const first = Array.isArray(body) ? (body[0] as WireGoogleError | undefined)?.error : body;
  if (!first || typeof first !== "object") return undefined;
  const inner = "error" in first && first.error && typeof first.error === "object" ? first.error : first;
  const { message, status } = inner as { message?: unknown; status?: unknown };
  if (typeof message !== "string") return undefined;
  return { message, status: typeof status === "string" ? status : undefined };
}

/** An HTML page or an empty or cut-off body: say so, with a readable excerpt instead of markup. */
function nonGoogleBody(status: number, message: string): string {
  const text = message
    .replace(new RegExp(`^${status}\\s*`), "")
    .replace(/<[^>]*>/g, " ")
    .replace(/\s+/g, " ")
    .trim();
  if (text === "" || text === "status code (no body)") return `HTTP ${status} with an empty body`;
  return `HTTP ${status} with a body that is not a Google error: ${text.slice(0, 200)}`;
}

function causeMessage(err: Error): string {
  const cause = err.cause;
  if (cause instanceof Error) {
    const code = (cause as { code?: string }).code ?? (cause.cause as { code?: string } | undefined)?.code;
    return code ? `${cause.message} (${code})` : cause.message;
  }
  return err.message;
}
