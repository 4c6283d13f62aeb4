/**
 * The one table from upstream failures to Connect codes, and the error details every failure carries:
 * google.rpc.ErrorInfo always, google.rpc.RetryInfo when retrying can help, google.rpc.BadRequest for invalid
 * requests. Google's own message is kept in ours.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.ts";
import type { UpstreamFailure } from "../upstream/upstream-failure.ts";
import type { Violation } from "./request-rules.ts";

export const ERROR_DOMAIN = "vertexchat";

export interface FailureContext {
  upstream: string;
  model: string;
  location: string;
}

interface Mapping {
  code: Code;
  reason: string;
  /** Suggested wait before a retry; absent when a retry cannot help. */
  retryAfterMs?: number;
  /** Prefix that tells the caller whose fault it is and what to do. */
  explain: string;
}

/** (HTTP status, Google status) → what the caller sees. */
export function mapHttpFailure(status: number, googleStatus: string | undefined): Mapping {
  switch (status) {
    case 400:
      return googleStatus === "FAILED_PRECONDITION"
        ? {
            code: Code.FailedPrecondition,
            reason: "UPSTREAM_FAILED_PRECONDITION",
            explain: "Vertex cannot serve this request here",
          }
        : { code: Code.InvalidArgument, reason: "UPSTREAM_INVALID_ARGUMENT", explain: "Vertex rejected the request" };
    case 401:
      return {
        code: Code.Unavailable,
        reason: "UPSTREAM_CREDENTIALS_REJECTED",
        explain:
          "Vertex rejected the gateway's Google credentials even after a token refresh; the operator must check them",
      };
    case 403:
      return {
        code: Code.PermissionDenied,
        reason: "UPSTREAM_PERMISSION_DENIED",
        explain:
          "Vertex refused the gateway's service account (API disabled, missing IAM role, or a gs:// object it cannot read)",
      };
    case 404:
      return {
        code: Code.NotFound,
        reason: "UPSTREAM_NOT_FOUND",
        explain: "Vertex does not know this model at this location",
      };
    case 429:
      return {
        code: Code.ResourceExhausted,
        reason: "UPSTREAM_RESOURCE_EXHAUSTED",
        retryAfterMs: 1000,
        explain: "Vertex quota or shared capacity is exhausted",
      };
    case 499:
      return { code: Code.Canceled, reason: "UPSTREAM_CANCELLED", explain: "Vertex cancelled the request" };
    case 500:
      return {
        code: Code.Internal,
        reason: "UPSTREAM_INTERNAL",
        retryAfterMs: 1000,
        explain: "Vertex failed internally",
      };
    case 503:
      return {
        code: Code.Unavailable,
        reason: "UPSTREAM_UNAVAILABLE",
        retryAfterMs: 1000,
        explain: "Vertex is unavailable",
      };
    case 504:
      return { code: Code.DeadlineExceeded, reason: "UPSTREAM_DEADLINE_EXCEEDED", explain: "Vertex ran out of time" };
    default:
      if (status >= 500)
        return {
          code: Code.Unavailable,
          reason: "UPSTREAM_UNAVAILABLE",
          retryAfterMs: 1000,
          explain: `Vertex answered HTTP ${status}`,
        };
      return { code: Code.FailedPrecondition, reason: "UPSTREAM_REJECTED", explain: `Vertex answered HTTP ${status}` };
  }
}

function mapFailure(failure: UpstreamFailure): Mapping {
  switch (failure.kind) {
    case "http":
      return mapHttpFailure(failure.status, failure.googleStatus);
    case "connection":
      return {
        code: Code.Unavailable,
        reason: "UPSTREAM_UNREACHABLE",
        retryAfterMs: 1000,
        explain: "the gateway could not reach Vertex",
      };
    case "timeout":
      return {
        code: Code.DeadlineExceeded,
        reason: "UPSTREAM_TIMEOUT",
        explain: "Vertex did not answer within the deadline",
      };
    case "malformed":
      return { code: Code.Internal, reason: "UPSTREAM_MALFORMED", explain: "Vertex's answer could not be read" };
    case "stalled":
      return {
        code: Code.Unavailable,
        reason: "UPSTREAM_STALLED",
        retryAfterMs: 1000,
        explain: "Vertex stopped sending",
      };
    case "aborted":
      return { code: Code.Canceled, reason: "CANCELLED", explain: "the call was cancelled" };
    case "credentials":
      return {
        code: Code.Unavailable,
        reason: "GATEWAY_CREDENTIALS_MISSING",
        // At least a second, so that callers do not spin while the token source waits for its next attempt.
        retryAfterMs: Math.max(1000, failure.retryAfterMs),
        explain: "the gateway cannot authenticate to Google right now",
      };
    case "stream":
      return {
        code: Code.Unavailable,
        reason: "UPSTREAM_STREAM_BROKEN",
        retryAfterMs: 1000,
        explain: "the answer from Vertex broke off; what was streamed is incomplete",
      };
  }
}

export function upstreamFailureToConnectError(failure: UpstreamFailure, context: FailureContext): ConnectError {
  const mapping = mapFailure(failure);
  const metadata: Record<string, string> = { ...context };
  if (failure.kind === "http") {
    metadata.http_status = String(failure.status);
    if (failure.googleStatus) metadata.google_status = failure.googleStatus;
  }
  const details = [
    {
      desc: ErrorInfoSchema,
      value: create(ErrorInfoSchema, { reason: mapping.reason, domain: ERROR_DOMAIN, metadata }),
    },
  ];
  const withRetry =
    mapping.retryAfterMs !== undefined
      ? [
          ...details,
          { desc: RetryInfoSchema, value: create(RetryInfoSchema, { retryDelay: durationOf(mapping.retryAfterMs) }) },
        ]
      : details;
  return new ConnectError(`${mapping.explain}: ${failure.message}`, mapping.code, undefined, withRetry);
}

/** INVALID_ARGUMENT with a BadRequest listing every violation; the message names the first ones. */
export function violationsToConnectError(violations: Violation[]): ConnectError {
  const summary = violations
    .slice(0, 3)
    .map((v) => v.description)
    .join("; ");
  const more = violations.length > 3 ? ` (and ${violations.length - 3} more in the BadRequest detail)` : "";
  return new ConnectError(`invalid request: ${summary}${more}`, Code.InvalidArgument, undefined, [
    {
      desc: BadRequestSchema,
      value: create(BadRequestSchema, {
        fieldViolations: violations.map((v) => ({ field: v.field, description: v.description, reason: v.reason })),
      }),
    },
    { desc: ErrorInfoSchema, value: create(ErrorInfoSchema, { reason: "INVALID_REQUEST", domain: ERROR_DOMAIN }) },
  ]);
}

/** NOT_FOUND for a model no route serves, naming what is served instead. */
export function unknownModelError(model: string, known: string[]): ConnectError {
  return new ConnectError(
    `model ${JSON.stringify(model)} is not served by this gateway; use one of: ${known.join(", ")} (ListModels has the catalog)`,
    Code.NotFound,
    undefined,
    [
      {
        desc: ErrorInfoSchema,
        value: create(ErrorInfoSchema, { reason: "UNKNOWN_MODEL", domain: ERROR_DOMAIN, metadata: { model } }),
      },
    ],
  );
}

function durationOf(ms: number) {
  return { seconds: BigInt(Math.floor(ms / 1000)), nanos: (ms % 1000) * 1_000_000 };
}

/** RESOURCE_EXHAUSTED with the wait in RetryInfo (a limit of ours, not Vertex's). */
export function exhausted(
  message: string,
  reason: string,
  retryAfterMs: number,
  metadata: Record<string, string> = {},
): ConnectError {
  return new ConnectError(message, Code.ResourceExhausted, undefined, [
    {
      desc: RetryInfoSchema,
      value: create(RetryInfoSchema, { retryDelay: durationOf(Math.max(0, Math.ceil(retryAfterMs))) }),
    },
    { desc: ErrorInfoSchema, value: create(ErrorInfoSchema, { reason, domain: ERROR_DOMAIN, metadata }) },
  ]);
}

/** UNAVAILABLE while the gateway shuts down: the one wording for refused and ended calls. */
export function shuttingDown(): ConnectError {
  return new ConnectError(
    "the gateway is shutting down; retry the call (another replica will answer)",
    Code.Unavailable,
  );
}
