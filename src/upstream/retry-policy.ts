/**
 * When and where to try an upstream call again. With several targets (Vertex locations) a failure that another
 * location may not share — 429, any 5xx, a connection failure — moves on to the next one at once. On the same
 * target, only failures a new attempt can fix (429, 500, 503, connection failures) are retried, after an
 * exponential backoff with full jitter. Never past the caller's deadline; the caller of `withRetries` decides that
 * nothing has reached its own caller yet.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { UpstreamError, type UpstreamFailure } from "./upstream-failure.ts";

export interface RetryPolicy {
  /** Attempts in all, the first included (Google advises at most two retries). Every target gets at least one. */
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
}

function isRetryable(failure: UpstreamFailure): boolean {
  if (failure.kind === "connection") return true;
  return failure.kind === "http" && (failure.status === 429 || failure.status === 500 || failure.status === 503);
}

/** Worth trying at another location: quota, capacity and outages are per region. */
function isFailoverable(failure: UpstreamFailure): boolean {
  if (failure.kind === "connection") return true;
  return failure.kind === "http" && (failure.status === 429 || failure.status >= 500);
}

/** Full jitter: a random wait between 0 and the exponential cap for this retry. */
export function backoffMs(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** (retry - 1));
  return Math.round(random() * cap);
}

export interface RetryContext {
  signal: AbortSignal;
  /** Epoch ms by which the call must be over. */
  deadlineAt: number;
  /** How many targets to go through in order (default 1). */
  targets?: number;
  onRetry?: (attempt: number, failure: UpstreamFailure, waitMs: number) => void;
}

/**
 * Runs `attempt(target)` until it succeeds or no retry is allowed; `target` indexes the targets in order. Only an
 * UpstreamError (what ChatUpstream throws) can be retried.
 */
export async function withRetries<T>(
  attempt: (target: number) => Promise<T>,
  policy: RetryPolicy,
  ctx: RetryContext,
): Promise<T> {
  const targets = Math.max(1, ctx.targets ?? 1);
  const maxAttempts = Math.max(policy.maxAttempts, targets);
  let backoffs = 0;
  for (let n = 1; ; n++) {
    try {
      return await attempt((n - 1) % targets);
    } catch (error) {
      // ChatUpstream throws only UpstreamError; anything else is a fault of the gateway, never retried.
      if (!(error instanceof UpstreamError)) throw error;
      if (n >= maxAttempts || ctx.signal.aborted) throw error;
      const failover = targets > 1 && n % targets !== 0;
      if (!(failover ? isFailoverable(error.failure) : isRetryable(error.failure))) throw error;
      const wait = failover ? 0 : backoffMs(++backoffs, policy);
      // A retry that cannot finish before the deadline only hides the real failure behind DEADLINE_EXCEEDED.
      if (Date.now() + wait >= ctx.deadlineAt) throw error;
      ctx.onRetry?.(n, error.failure, wait);
      if (wait > 0) {
        try {
          await sleep(wait, undefined, { signal: ctx.signal });
        } catch {
          throw error;
        }
      }
    }
  }
}
