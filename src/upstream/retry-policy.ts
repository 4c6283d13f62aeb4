/**
 * When and how to try an upstream call again: only failures a new attempt can fix (429, 500, 503, connection
 * failures), a bounded number of times, with exponential backoff and full jitter, and never past the caller's
 * deadline. The caller of `withRetries` decides that nothing has reached its own caller yet.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { toUpstreamError, type UpstreamFailure } from "./upstream-failure.ts";

export interface RetryPolicy {
  /** Attempts in all, the first included (Google advises at most two retries). */
  maxAttempts: number;
  initialBackoffMs: number;
  maxBackoffMs: number;
}

export function isRetryable(failure: UpstreamFailure): boolean {
  if (failure.kind === "connection") return true;
  return failure.kind === "http" && (failure.status === 429 || failure.status === 500 || failure.status === 503);
}

/** Full jitter: a random wait between 0 and the exponential cap for this attempt. */
export function backoffMs(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const cap = Math.min(policy.maxBackoffMs, policy.initialBackoffMs * 2 ** (retry - 1));
  return Math.round(random() * cap);
}

export interface RetryContext {
  signal: AbortSignal;
  /** Epoch ms by which the call must be over. */
  deadlineAt: number;
  onRetry?: (retry: number, failure: UpstreamFailure, waitMs: number) => void;
}

export async function withRetries<T>(attempt: () => Promise<T>, policy: RetryPolicy, ctx: RetryContext): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (err) {
      const error = toUpstreamError(err);
      if (n >= policy.maxAttempts || !isRetryable(error.failure) || ctx.signal.aborted) throw error;
      const wait = backoffMs(n, policy);
      // A retry that cannot finish before the deadline only hides the real failure behind DEADLINE_EXCEEDED.
      if (Date.now() + wait >= ctx.deadlineAt) throw error;
      ctx.onRetry?.(n, error.failure, wait);
      try {
        await sleep(wait, undefined, { signal: ctx.signal });
      } catch {
        throw error;
      }
    }
  }
}
