/**
 * Where the upstream's Bearer token comes from. The token is asked for on every request: google-auth-library keeps
 * it cached and refreshes it five minutes before it expires, so no token is ever frozen at start-up (the most
 * reported failure with this endpoint is a token captured once and dead an hour later). google-token-source.ts
 * gets them from Google and heals after a failed discovery.
 */

export interface TokenSource {
  /** A valid access token. Rejects with MissingCredentialsError when there are no credentials at all. */
  token(): Promise<string>;
  /** Drops the cached token so the next call fetches a new one (after the upstream answered 401). */
  invalidate(): void;
}

/**
 * The gateway has no Google access token. The message names the source tried, what it answered, when it is tried
 * again, and how to provide credentials; `retryAfterMs` is the wait until the next attempt.
 */
export class MissingCredentialsError extends Error {
  override name = "MissingCredentialsError";
  readonly detail: string;
  readonly retryAfterMs: number;
  constructor(detail: string, options: { cause?: unknown; retryAfterMs?: number } = {}) {
    const retryAfterMs = Math.max(0, Math.ceil(options.retryAfterMs ?? 0));
    super(
      `the gateway has no Google access token for Vertex AI: ${detail}; it tries again by itself${
        retryAfterMs > 0 ? ` in ${(retryAfterMs / 1000).toFixed(1)} s` : ""
      }. To provide credentials: run \`gcloud auth application-default login\`, set GOOGLE_APPLICATION_CREDENTIALS ` +
        "to a service-account key file, or run on Google Cloud with a service account",
      { cause: options.cause },
    );
    this.detail = detail;
    this.retryAfterMs = retryAfterMs;
  }

  withRetryAfter(ms: number): MissingCredentialsError {
    return new MissingCredentialsError(this.detail, { cause: this.cause, retryAfterMs: ms });
  }
}

/** A fixed token, for the local emulator (which checks that a Bearer token is present, not who it is). */
export function staticTokenSource(token: string): TokenSource {
  return { token: async () => token, invalidate() {} };
}
