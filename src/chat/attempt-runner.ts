/**
 * Runs a planned call's upstream requests: each target in turn (failover between locations), then retries while
 * nothing has reached the caller. Every upstream request is one attempt, reported once to one observer — including
 * a request the upstream sent again after a 401 with a refreshed token.
 */
import type { Logger } from "pino";
import type { UpstreamCall } from "../upstream/chat-upstream.ts";
import { type RetryPolicy, withRetries } from "../upstream/retry-policy.ts";
import { UpstreamError } from "../upstream/upstream-failure.ts";
import type { CallPlan } from "./call-plan.ts";
import type { Target } from "./model-router.ts";

/** One upstream request and how it ended: `status` is the HTTP status, or the failure's kind when none came. */
export interface Attempt {
  upstream: string;
  location: string;
  upstreamModel: string;
  status: string;
  seconds: number;
}

export interface AttemptRunnerOptions {
  retry: RetryPolicy;
  logger: Logger;
  /** Aborted when the caller is gone: no further attempt. */
  signal: AbortSignal;
  /** Told of every attempt as it ends. */
  observe: (attempt: Attempt) => void;
}

export class AttemptRunner {
  readonly #plan: CallPlan;
  readonly #call: UpstreamCall;
  readonly #options: AttemptRunnerOptions;
  #target: Target;

  constructor(plan: CallPlan, call: UpstreamCall, options: AttemptRunnerOptions) {
    this.#plan = plan;
    this.#call = call;
    this.#options = options;
    this.#target = plan.route.targets[0] as Target;
  }

  /** The target of the latest attempt (the first before any): where the call was served, or last failed. */
  get target(): Target {
    return this.#target;
  }

  /** Sends until one attempt succeeds or no retry is allowed; throws the last attempt's error. */
  run<T>(send: (target: Target, call: UpstreamCall) => Promise<T>): Promise<T> {
    const { route } = this.#plan;
    return withRetries(
      (index) => {
        const target = route.targets[index] as Target;
        this.#target = target;
        let began = performance.now();
        const report = (status: string) => {
          const now = performance.now();
          this.#options.observe({
            upstream: route.upstreamName,
            location: target.location,
            upstreamModel: route.upstreamModel ?? "",
            status,
            seconds: (now - began) / 1000,
          });
          began = now;
        };
        const onStaleToken = () => {
          report("401");
          this.#options.logger.warn(
            { status: 401, upstream: route.upstreamName, location: target.location },
            "retrying upstream call with a refreshed token",
          );
        };
        return send(target, { ...this.#call, onStaleToken }).then(
          (value) => {
            report("200");
            return value;
          },
          (err: unknown) => {
            const failure = err instanceof UpstreamError ? err.failure : undefined;
            report(
              failure === undefined ? "internal" : failure.kind === "http" ? String(failure.status) : failure.kind,
            );
            throw err;
          },
        );
      },
      this.#options.retry,
      {
        signal: this.#options.signal,
        deadlineAt: Date.now() + this.#plan.timeoutMs,
        targets: route.targets.length,
        onRetry: (n, failure, waitMs) =>
          this.#options.logger.warn(
            { attempt: n, failure, wait_ms: waitMs, upstream: route.upstreamName, location: this.#target.location },
            "retrying upstream call",
          ),
      },
    );
  }
}
