/**
 * The errors of a chat call, built from the catalogue (error-catalogue.ts): an upstream failure as the caller sees
 * it (one table from failures to reasons), an invalid request, a model no route serves, a limit, a shutdown.
 * Google's own message is kept in ours.
 */
import { create } from "@bufbuild/protobuf";
import type { ConnectError } from "@connectrpc/connect";
import { BadRequestSchema } from "../../gen/google/rpc/error_details_pb.ts";
import type { UpstreamFailure } from "../upstream/upstream-failure.ts";
import { type ErrorReason, gatewayError } from "./error-catalogue.ts";

export interface FailureContext {
  upstream: string;
  model: string;
  location: string;
}

/** A field of the request that breaks a rule, for google.rpc.BadRequest. */
export interface Violation {
  /** Dotted path with the contract's field names, e.g. `messages[2].content[0].image.mime_type`. */
  field: string;
  description: string;
  /** A constant UPPER_SNAKE_CASE reason. */
  reason: string;
}

/** Vertex's "Publisher Model `…` not found", vLLM's "The model `…` does not exist". */
const MODEL_NOT_FOUND = /\bmodel\b/i;

interface Mapping {
  reason: ErrorReason;
  /** Prefix that tells the caller whose fault it is and what to do. */
  explain: string;
  /** A wait better than the catalogue's default, when one is known. */
  retryAfterMs?: number;
}

/** (HTTP status, Google status, message) → what the caller sees. */
function mapHttpFailure(status: number, googleStatus: string | undefined, message: string): Mapping {
  switch (status) {
    case 400:
      return googleStatus === "FAILED_PRECONDITION"
        ? { reason: "UPSTREAM_FAILED_PRECONDITION", explain: "Vertex cannot serve this request here" }
        : { reason: "UPSTREAM_INVALID_ARGUMENT", explain: "Vertex rejected the request" };
    case 401:
      return {
        reason: "UPSTREAM_CREDENTIALS_REJECTED",
        explain:
          "Vertex rejected the gateway's Google credentials even after a token refresh; the operator must check them",
      };
    case 403:
      return {
        reason: "UPSTREAM_PERMISSION_DENIED",
        explain:
          "Vertex refused the gateway's service account (API disabled, missing IAM role, or a gs:// object it cannot read)",
      };
    case 404:
      // A model the upstream does not know is the same mistake as one no route serves: one reason for both.
      return MODEL_NOT_FOUND.test(message)
        ? {
            reason: "UNKNOWN_MODEL",
            explain: "the model is not served: Vertex does not know it at this location (ListModels has the catalog)",
          }
        : { reason: "UPSTREAM_NOT_FOUND", explain: "Vertex does not know what the request names" };
    case 429:
      return { reason: "UPSTREAM_RESOURCE_EXHAUSTED", explain: "Vertex quota or shared capacity is exhausted" };
    case 499:
      return { reason: "UPSTREAM_CANCELLED", explain: "Vertex cancelled the request" };
    case 500:
      return { reason: "UPSTREAM_INTERNAL", explain: "Vertex failed internally" };
    case 503:
      return { reason: "UPSTREAM_UNAVAILABLE", explain: "Vertex is unavailable" };
    case 504:
      return { reason: "UPSTREAM_DEADLINE_EXCEEDED", explain: "Vertex ran out of time" };
    default:
      return status >= 500
        ? { reason: "UPSTREAM_UNAVAILABLE", explain: `Vertex answered HTTP ${status}` }
        : { reason: "UPSTREAM_REJECTED", explain: `Vertex answered HTTP ${status}` };
  }
}

/** An upstream failure a caller can be told of: an aborted request is the caller's cancel or deadline, told as such. */
export type ReportableFailure = Exclude<UpstreamFailure, { kind: "aborted" }>;

function mapFailure(failure: ReportableFailure): Mapping {
  switch (failure.kind) {
    case "http":
      return mapHttpFailure(failure.status, failure.googleStatus, failure.message);
    case "connection":
      return { reason: "UPSTREAM_UNREACHABLE", explain: "the gateway could not reach Vertex" };
    case "timeout":
      return { reason: "UPSTREAM_TIMEOUT", explain: "Vertex did not answer within the deadline" };
    case "malformed":
      return { reason: "UPSTREAM_MALFORMED", explain: "Vertex's answer could not be read" };
    case "stalled":
      return { reason: "UPSTREAM_STALLED", explain: "Vertex stopped sending" };
    case "credentials":
      return {
        reason: "GATEWAY_CREDENTIALS_MISSING",
        explain: "the gateway cannot authenticate to Google right now",
        // At least the default wait, so that callers do not spin while the token source waits for its next attempt.
        retryAfterMs: Math.max(1000, failure.retryAfterMs),
      };
    case "stream":
      return {
        reason: "UPSTREAM_STREAM_BROKEN",
        explain: "the answer from Vertex broke off; what was streamed is incomplete",
      };
  }
}

export function upstreamFailureToConnectError(failure: ReportableFailure, context: FailureContext): ConnectError {
  const mapping = mapFailure(failure);
  const metadata: Record<string, string> = { ...context };
  if (failure.kind === "http") {
    metadata.http_status = String(failure.status);
    if (failure.googleStatus) metadata.google_status = failure.googleStatus;
    if (mapping.reason === "UNKNOWN_MODEL") metadata.upstream_message = failure.message;
  }
  return gatewayError(mapping.reason, `${mapping.explain}: ${failure.message}`, {
    metadata,
    ...(mapping.retryAfterMs !== undefined ? { retryAfterMs: mapping.retryAfterMs } : {}),
  });
}

/** INVALID_ARGUMENT with a BadRequest listing every violation; the message names the first ones. */
export function violationsToConnectError(violations: Violation[]): ConnectError {
  const summary = violations
    .slice(0, 3)
    .map((v) => v.description)
    .join("; ");
  const more = violations.length > 3 ? ` (and ${violations.length - 3} more in the BadRequest detail)` : "";
  return gatewayError("INVALID_REQUEST", `invalid request: ${summary}${more}`, {
    details: [
      {
        desc: BadRequestSchema,
        value: create(BadRequestSchema, {
          fieldViolations: violations.map((v) => ({ field: v.field, description: v.description, reason: v.reason })),
        }),
      },
    ],
  });
}

/** NOT_FOUND for a model no route serves, naming what is served instead. */
export function unknownModelError(model: string, known: string[]): ConnectError {
  return gatewayError(
    "UNKNOWN_MODEL",
    `model ${JSON.stringify(model)} is not served by this gateway; use one of: ${known.join(", ")} (ListModels has the catalog)`,
    { metadata: { model } },
  );
}

/** UNAVAILABLE while the gateway shuts down: the one wording for refused and ended calls. */
export function shuttingDown(): ConnectError {
  return gatewayError(
    "GATEWAY_SHUTTING_DOWN",
    "the gateway is shutting down; retry the call (another replica will answer)",
  );
}
