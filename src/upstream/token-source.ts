/**
 * Where the upstream's Bearer token comes from. The token is asked for on every request: google-auth-library keeps
 * it cached and refreshes it five minutes before it expires, so no token is ever frozen at start-up (the most
 * reported failure with this endpoint is a token captured once and dead an hour later).
 */
import { GoogleAuth } from "google-auth-library";

export interface TokenSource {
  /** A valid access token. Rejects with MissingCredentialsError when there are no credentials at all. */
  token(): Promise<string>;
  /** Drops the cached token so the next call fetches a new one (after the upstream answered 401). */
  invalidate(): void;
}

/** The gateway could not get a Google access token. The message says how to provide credentials. */
export class MissingCredentialsError extends Error {
  constructor(cause: unknown) {
    super(
      "the gateway could not get a Google access token for Vertex AI; provide credentials: run `gcloud auth application-default login`, set " +
        "GOOGLE_APPLICATION_CREDENTIALS to a service-account key file, or run on Google Cloud with a service " +
        `account (${cause instanceof Error ? cause.message : String(cause)})`,
      { cause },
    );
    this.name = "MissingCredentialsError";
  }
}

const CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform";

/** Application Default Credentials, or a service-account key file when one is named. */
export function googleTokenSource(opts: { keyFile?: string } = {}): TokenSource {
  let auth = newAuth(opts.keyFile);
  return {
    async token() {
      let token: string | null | undefined;
      try {
        token = await auth.getAccessToken();
      } catch (err) {
        throw new MissingCredentialsError(err);
      }
      if (!token) throw new MissingCredentialsError("the credentials produced no access token");
      return token;
    },
    invalidate() {
      auth = newAuth(opts.keyFile);
    },
  };
}

function newAuth(keyFile: string | undefined): GoogleAuth {
  return new GoogleAuth({ scopes: [CLOUD_PLATFORM_SCOPE], ...(keyFile ? { keyFile } : {}) });
}

/** A fixed token, for the local emulator (which checks that a Bearer token is present, not who it is). */
export function staticTokenSource(token: string): TokenSource {
  return { token: async () => token, invalidate() {} };
}
