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
  override name = "UpstreamError";
  readonly failure: UpstreamFailure;
  constructor(failure: UpstreamFailure, options?: ErrorOptions) {
    super(failure.message, options);
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
    return { kind: "connection", message: `could not reach the upstream: ${describeCause(err)}` };
  }
  if (err instanceof APIError && err.status !== undefined) {
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
  // A socket error while the body was being read (ECONNRESET, EPIPE, undici's socket errors), however deep in the
  // cause chain undici or a stream wrapper put it.
  const socket = causeChain(err).find((e) => CONNECTION_ERROR_CODES.has(codeOf(e) ?? ""));
  if (socket) return { kind: "connection", message: `${socket.message} (${codeOf(socket)})` };
  if (err instanceof SyntaxError)
    return { kind: "stream", message: `the upstream sent malformed data: ${err.message}` };
  return { kind: "stream", message: err instanceof Error ? err.message : String(err) };
}

/** An error and its causes, outermost first (bounded: a cause chain can be a cycle). */
function causeChain(err: unknown): Error[] {
  const chain: Error[] = [];
  for (let e = err; e instanceof Error && chain.length < 16 && !chain.includes(e); e = e.cause) chain.push(e);
  return chain;
}

function codeOf(err: Error): string | undefined {
  const code = (err as { code?: unknown }).code;
  return typeof code === "string" ? code : undefined;
}

/** The innermost cause's message, with the first system error code found on the way (`connect ECONNREFUSED …`). */
function describeCause(err: Error): string {
  const chain = causeChain(err);
  const innermost = chain[chain.length - 1] ?? err;
  const code = chain.map(codeOf).find((c) => c !== undefined);
  return code && !innermost.message.includes(code) ? `${innermost.message} (${code})` : innermost.message;
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
