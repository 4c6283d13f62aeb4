/**
 * The one catalogue of the errors callers see. Every error carries `google.rpc.ErrorInfo` (domain `vertexchat`, a
 * reason from this table), and `google.rpc.RetryInfo` exactly when the table says a retry can help. Errors the
 * gateway makes are built with `gatewayError`; errors Connect makes itself (a body it cannot decode, a message over
 * the size limit, the caller's deadline) get their ErrorInfo from `withErrorInfo`. README's error table is rendered
 * from this one (`npm run docs`), and a test checks that every reason is produced as written here.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { codeToString } from "@connectrpc/connect/protocol-connect";
import { ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.ts";

const ERROR_DOMAIN = "vertexchat";

/** The wait suggested when a retry can help and nothing better is known (Vertex sends no Retry-After). */
const RETRY_SOON_MS = 1000;

interface Entry {
  code: Code;
  /** Whether a retry of the same call can succeed: RetryInfo is attached exactly when true. */
  retry: boolean;
  /** When the caller sees it, and what to do (README). */
  when: string;
}

export const ERROR_CATALOGUE = {
  // The caller's request.
  INVALID_REQUEST: {
    code: Code.InvalidArgument,
    retry: false,
    when: "the request breaks a rule of the contract (see Validation); BadRequest names every field. No upstream call",
  },
  REQUEST_UNDECODABLE: {
    code: Code.InvalidArgument,
    retry: false,
    when: "the body is not a request message: JSON that does not parse, an unknown field or enum name (the message names the one meant), a cut-off frame, a bad timeout header",
  },
  REQUEST_BINARY_UNDECODABLE: {
    code: Code.Internal,
    retry: false,
    when: "binary protobuf that does not parse (gRPC defines this code for it); regenerate the client from `proto/`",
  },
  PROTOCOL_UNSUPPORTED: {
    code: Code.Unimplemented,
    retry: false,
    when: "a request compression the gateway does not accept (gzip, br are), or a stream with no or two request messages",
  },
  REQUEST_TOO_LARGE: {
    code: Code.ResourceExhausted,
    retry: false,
    when: "the message is over `VERTEXCHAT_MAX_REQUEST_BYTES`; send large media as a `gs://` or `https://` URI",
  },
  UNKNOWN_MODEL: {
    code: Code.NotFound,
    retry: false,
    when: "no route serves the model (the message lists those served), or its upstream does not know it (Vertex's 404, kept in metadata `upstream_message`); ListModels has the catalog",
  },
  UNKNOWN_ROUTE: {
    code: Code.NotFound,
    retry: false,
    when: "a path of the OpenAI-compatible REST API that is not served, or the wrong HTTP method for one (405); the message names the routes",
  },
  UNKNOWN_SERVICE: {
    code: Code.NotFound,
    retry: false,
    when: "a health check names a service this server does not serve",
  },
  // Who is calling.
  CALLER_UNAUTHENTICATED: {
    code: Code.Unauthenticated,
    retry: false,
    when: "missing, unknown or invalid caller credentials (API key, ID token, client certificate); the message says which",
  },
  CALLER_NOT_ALLOWED: {
    code: Code.PermissionDenied,
    retry: false,
    when: "the caller may not call this method or use this model (callers file); the message lists what it may",
  },
  CALLER_REQUESTS_PER_MINUTE: {
    code: Code.ResourceExhausted,
    retry: true,
    when: "the caller is over its requests per minute; RetryInfo says when the next one is allowed",
  },
  CALLER_TOKENS_PER_MINUTE: {
    code: Code.ResourceExhausted,
    retry: true,
    when: "the caller used its tokens for this minute; RetryInfo says when the window frees them",
  },
  CALLER_CONCURRENT_STREAMS: {
    code: Code.ResourceExhausted,
    retry: true,
    when: "the caller already has its limit of streams open",
  },
  // This gateway.
  TOO_MANY_STREAMS: {
    code: Code.ResourceExhausted,
    retry: true,
    when: "this process already serves `VERTEXCHAT_MAX_CONCURRENT_STREAMS` streams; another replica may have room",
  },
  GATEWAY_SHUTTING_DOWN: {
    code: Code.Unavailable,
    retry: true,
    when: "the gateway is shutting down (new calls, and calls still running after the grace period); another replica will answer",
  },
  GATEWAY_CREDENTIALS_MISSING: {
    code: Code.Unavailable,
    retry: true,
    when: "the gateway has no Google token right now; the message names the source tried and its answer, RetryInfo when the gateway tries again",
  },
  DEADLINE_EXCEEDED: {
    code: Code.DeadlineExceeded,
    retry: false,
    when: "the caller's deadline passed (the upstream request is aborted); retry only with a longer deadline",
  },
  CANCELLED: {
    code: Code.Canceled,
    retry: false,
    when: "the caller cancelled (the upstream request is aborted at once)",
  },
  GATEWAY_INTERNAL: {
    code: Code.Internal,
    retry: false,
    when: "a fault of the gateway itself; report it with the `x-request-id` of the call",
  },
  // The model endpoint (ENDPOINT_*: what the route's endpoint cannot do; UPSTREAM_*: what it answered).
  PRIORITY_NEEDS_GLOBAL: {
    code: Code.FailedPrecondition,
    retry: false,
    when: "`google.traffic_tier` PRIORITY for a model routed only to regional locations or to a non-Vertex upstream (Priority PayGo is served at `global` only)",
  },
  ENDPOINT_REQUEST_TOO_LARGE: {
    code: Code.FailedPrecondition,
    retry: false,
    when: "the request is over the size limit of a shared-DNS Model Garden endpoint; send less inline media or use a dedicated endpoint",
  },
  ENDPOINT_CANNOT_STREAM: {
    code: Code.FailedPrecondition,
    retry: false,
    when: "the model is served by a shared-DNS Model Garden endpoint, which cannot stream; call CreateChatCompletion",
  },
  UPSTREAM_INVALID_ARGUMENT: {
    code: Code.InvalidArgument,
    retry: false,
    when: "Vertex answered 400 `INVALID_ARGUMENT` (e.g. a missing or altered thought signature); Google's message is kept",
  },
  UPSTREAM_FAILED_PRECONDITION: {
    code: Code.FailedPrecondition,
    retry: false,
    when: "Vertex answered 400 `FAILED_PRECONDITION` (e.g. a model served only at `global`)",
  },
  UPSTREAM_REJECTED: {
    code: Code.FailedPrecondition,
    retry: false,
    when: "Vertex answered another 4xx",
  },
  UPSTREAM_CREDENTIALS_REJECTED: {
    code: Code.Unavailable,
    retry: false,
    when: "Vertex rejected the gateway's Google credentials even after a token refresh; the operator must fix them",
  },
  UPSTREAM_PERMISSION_DENIED: {
    code: Code.PermissionDenied,
    retry: false,
    when: "Vertex answered 403: the service account lacks a role, the API is disabled, or a gs:// object is unreadable",
  },
  UPSTREAM_NOT_FOUND: {
    code: Code.NotFound,
    retry: false,
    when: "Vertex answered 404 for something other than the model (a context cache, a deployed endpoint)",
  },
  UPSTREAM_RESOURCE_EXHAUSTED: {
    code: Code.ResourceExhausted,
    retry: true,
    when: "Vertex answered 429 (quota or shared capacity), after the gateway's own retries; back off",
  },
  UPSTREAM_CANCELLED: {
    code: Code.Canceled,
    retry: false,
    when: "Vertex answered 499",
  },
  UPSTREAM_INTERNAL: {
    code: Code.Internal,
    retry: true,
    when: "Vertex answered 500, after the gateway's own retries",
  },
  UPSTREAM_UNAVAILABLE: {
    code: Code.Unavailable,
    retry: true,
    when: "Vertex answered 503, 502 or another 5xx",
  },
  UPSTREAM_DEADLINE_EXCEEDED: {
    code: Code.DeadlineExceeded,
    retry: false,
    when: "Vertex answered 504",
  },
  UPSTREAM_UNREACHABLE: {
    code: Code.Unavailable,
    retry: true,
    when: "the gateway could not connect to Vertex (refused, reset, DNS, TLS)",
  },
  UPSTREAM_TIMEOUT: {
    code: Code.DeadlineExceeded,
    retry: false,
    when: "Vertex did not answer within the call's time limit (the caller's deadline or `VERTEXCHAT_DEFAULT_TIMEOUT_MS`)",
  },
  UPSTREAM_MALFORMED: {
    code: Code.Internal,
    retry: false,
    when: "Vertex's answer is not a chat completion",
  },
  UPSTREAM_STALLED: {
    code: Code.Unavailable,
    retry: true,
    when: "a stream sent no chunk within the first-chunk or idle limit (see Stream limits)",
  },
  UPSTREAM_STREAM_BROKEN: {
    code: Code.Unavailable,
    retry: true,
    when: "a stream broke off, sent an error frame or garbage, or ended without `[DONE]`; what was streamed is incomplete, retry the whole call",
  },
} as const satisfies Record<string, Entry>;

export type ErrorReason = keyof typeof ERROR_CATALOGUE;

type OutgoingDetails = NonNullable<ConstructorParameters<typeof ConnectError>[3]>;

export interface ErrorOptions {
  /** ErrorInfo metadata: what the caller may want to act on (limit, caller, upstream, location …). */
  metadata?: Record<string, string>;
  /** The wait in RetryInfo, for reasons that are retryable; `RETRY_SOON_MS` when not given. */
  retryAfterMs?: number;
  /** Further details before ErrorInfo (a BadRequest). */
  details?: OutgoingDetails;
  cause?: unknown;
}

/** Every error the gateway makes: the reason's code, ErrorInfo, and RetryInfo when the reason is retryable. */
export function gatewayError(reason: ErrorReason, message: string, options: ErrorOptions = {}): ConnectError {
  const entry: Entry = ERROR_CATALOGUE[reason];
  return new ConnectError(
    message,
    entry.code,
    undefined,
    [...(options.details ?? []), ...reasonDetails(reason, options.metadata ?? {}, options.retryAfterMs)],
    options.cause,
  );
}

/**
 * Gives an error Connect made itself (or a thrown non-Connect error) the ErrorInfo it lacks, keeping its code and
 * message. Connect's refusals of a body it cannot read happen before any interceptor, so this mutates the error in
 * place: it is the object Connect goes on to serialise.
 */
export function withErrorInfo(error: ConnectError): ConnectError {
  if (error.details.some((d) => "desc" in d && d.desc.typeName === ErrorInfoSchema.typeName)) return error;
  if (error.details.some((d) => "type" in d && d.type === ErrorInfoSchema.typeName)) return error;
  const reason = FRAMEWORK_REASONS[error.code] ?? "GATEWAY_INTERNAL";
  error.details.push(...reasonDetails(reason, {}, undefined));
  return error;
}

/** What an error Connect produced means, by its code (see the catalogue's `when`). */
const FRAMEWORK_REASONS: Partial<Record<Code, ErrorReason>> = {
  [Code.InvalidArgument]: "REQUEST_UNDECODABLE",
  [Code.Internal]: "REQUEST_BINARY_UNDECODABLE",
  [Code.Unimplemented]: "PROTOCOL_UNSUPPORTED",
  [Code.ResourceExhausted]: "REQUEST_TOO_LARGE",
  [Code.DeadlineExceeded]: "DEADLINE_EXCEEDED",
  [Code.Canceled]: "CANCELLED",
};

function reasonDetails(
  reason: ErrorReason,
  metadata: Record<string, string>,
  retryAfterMs: number | undefined,
): OutgoingDetails {
  const details: OutgoingDetails = [
    { desc: ErrorInfoSchema, value: create(ErrorInfoSchema, { reason, domain: ERROR_DOMAIN, metadata }) },
  ];
  if (ERROR_CATALOGUE[reason].retry) {
    const ms = Math.max(0, Math.ceil(retryAfterMs ?? RETRY_SOON_MS));
    details.push({ desc: RetryInfoSchema, value: create(RetryInfoSchema, { retryDelay: durationOf(ms) }) });
  }
  return details;
}

function durationOf(ms: number) {
  return { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}

/** README's error table, rendered from the catalogue. */
export function errorTable(): string {
  const rows = Object.entries(ERROR_CATALOGUE).map(
    ([reason, entry]) =>
      `| \`${reason}\` | \`${codeName(entry.code)}\` | ${entry.retry ? "yes, after RetryInfo's delay" : "no"} | ${entry.when} |`,
  );
  return ["| reason | code | retry? | when |", "| --- | --- | --- | --- |", ...rows].join("\n");
}

/** `Code.InvalidArgument` → `INVALID_ARGUMENT`, as gRPC names codes. */
function codeName(code: Code): string {
  return code === Code.Canceled ? "CANCELLED" : codeToString(code).toUpperCase();
}
