/**
 * Google access tokens (Application Default Credentials, or a named service-account key file) that heal.
 *
 * google-auth-library remembers a failed discovery for the life of the process: gcp-metadata memoises its first
 * "is the metadata server there?" answer in a module-level promise (`isAvailable()`, 3 s timeout off Google Cloud),
 * and each GoogleAuth memoises `checkIsGCE` and its project-id lookup. A metadata server that is slow or not up yet
 * at pod start (normal with GKE Workload Identity) therefore meant "no credentials" until a restart. Here a failed
 * fetch drops all of that — `resetIsAvailableCache()` and a fresh GoogleAuth — and is tried again in the background
 * with bounded, jittered backoff until a token comes. Meanwhile calls fail at once with the source that was tried,
 * what it answered and when the next attempt is (RetryInfo), and readiness reports the source unusable.
 */
import { existsSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { resetIsAvailableCache } from "gcp-metadata";
import { GoogleAuth } from "google-auth-library";
import { MissingCredentialsError, type TokenSource } from "./token-source.ts";

export interface GoogleTokenSourceOptions {
  /** A service-account key file; unset: Application Default Credentials. */
  keyFile?: string;
  /** The project, when known: google-auth-library then never asks the metadata server for it. */
  projectId?: string;
  /** Backoff between background attempts while no token can be had: from `initialMs`, doubling, up to `maxMs`. */
  retry: { initialMs: number; maxMs: number };
  /**
   * Fetch a token at once (start-up) and count as unusable until one came; otherwise the first call fetches it and
   * the source counts as usable until a fetch fails.
   */
  fetchAtStart: boolean;
  /** The most one attempt may take (a metadata server that never answers counts as a failure). */
  attemptTimeoutMs?: number;
  /** For tests of the backoff: a source of numbers in [0, 1). */
  random?: () => number;
}

/** Whether a token source can give tokens now, for readiness. */
export interface CredentialsState {
  readonly usable: boolean;
  /** Called whenever `usable` changes. */
  onChange(listener: () => void): void;
}

type State =
  | { kind: "unknown" }
  | { kind: "ready" }
  | { kind: "failing"; error: MissingCredentialsError; attempt: number; nextAttemptAt: number };

const CLOUD_PLATFORM_SCOPE = "https://www.googleapis.com/auth/cloud-platform";
/** A token with less than this left is not handed out when a refresh fails. */
const MIN_REMAINING_MS = 30_000;
/** google-auth-library's own default: it hands back its cached token until this close to the token's expiry. */
const EAGER_REFRESH_MS = 5 * 60_000;

export class GoogleTokenSource implements TokenSource, CredentialsState {
  readonly #opts: GoogleTokenSourceOptions;
  readonly #listeners: (() => void)[] = [];
  #auth: GoogleAuth;
  #state: State = { kind: "unknown" };
  #timer: NodeJS.Timeout | undefined;
  #expiryTimer: NodeJS.Timeout | undefined;
  /** The last token obtained and when it expires, to bridge a refresh that fails while it is still valid. */
  #last: { token: string; expiresAt: number } | undefined;
  #pending: Promise<string> | undefined;

  constructor(opts: GoogleTokenSourceOptions) {
    this.#opts = opts;
    this.#auth = this.#newAuth();
    if (opts.fetchAtStart) this.start();
  }

  get usable(): boolean {
    if (this.#state.kind === "unknown") return !this.#opts.fetchAtStart;
    return this.#state.kind === "ready" || this.#bridging();
  }

  /** A refresh failed but the last token is still good for a while: calls go on with it. */
  #bridging(): boolean {
    return this.#last !== undefined && this.#last.expiresAt - Date.now() > MIN_REMAINING_MS;
  }

  onChange(listener: () => void): void {
    this.#listeners.push(listener);
  }

  /** Fetches a token now (at start-up), so readiness reflects the credentials before the first call. */
  start(): void {
    this.token().catch(() => {
      // Recorded in the state; the background attempts go on.
    });
  }

  /** A valid access token, or at once a MissingCredentialsError saying what was tried and when it is tried again. */
  async token(): Promise<string> {
    const state = this.#state;
    // Until google-auth-library would refresh it, its cached token is handed out here, without a round through the
    // library (and the attempt's timer and promise races) on every call.
    if (state.kind === "ready" && this.#last && this.#last.expiresAt - Date.now() > EAGER_REFRESH_MS) {
      return this.#last.token;
    }
    if (state.kind === "failing") {
      if (this.#last && this.#bridging()) return this.#last.token;
      throw state.error.withRetryAfter(Math.max(0, state.nextAttemptAt - Date.now()));
    }
    return this.#fetchShared();
  }

  invalidate(): void {
    // After a 401 the next call discovers the credentials again; a stale token is never bridged.
    this.#last = undefined;
    this.#auth = this.#newAuth();
  }

  /** Stops the background attempts (shutdown). */
  close(): void {
    clearTimeout(this.#timer);
    clearTimeout(this.#expiryTimer);
  }

  #fetchShared(): Promise<string> {
    this.#pending ??= this.#fetch().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  async #fetch(): Promise<string> {
    try {
      const fetched = await this.#attempt();
      this.#setState({ kind: "ready" });
      this.#last = fetched;
      return fetched.token;
    } catch (err) {
      const error = await this.#describe(err);
      this.#fail(error);
      if (this.#last && this.#bridging()) return this.#last.token;
      throw error.withRetryAfter(this.#state.kind === "failing" ? this.#state.nextAttemptAt - Date.now() : 0);
    }
  }

  async #attempt(): Promise<{ token: string; expiresAt: number }> {
    const timeoutMs = this.#opts.attemptTimeoutMs ?? 10_000;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new AttemptTimeout(timeoutMs)), timeoutMs);
    });
    try {
      const client = await Promise.race([this.#auth.getClient(), timeout]);
      const { token } = await Promise.race([client.getAccessToken(), timeout]);
      if (!token) throw new Error("the credentials produced no access token");
      const expiry = client.credentials.expiry_date;
      return { token, expiresAt: typeof expiry === "number" ? expiry : Date.now() + 5 * 60_000 };
    } finally {
      clearTimeout(timer);
    }
  }

  /** Forget every memoised discovery result, then try again after the backoff. */
  #fail(error: MissingCredentialsError): void {
    const attempt = this.#state.kind === "failing" ? this.#state.attempt + 1 : 0;
    resetIsAvailableCache();
    this.#auth = this.#newAuth();
    const waitMs = recoveryDelayMs(attempt, this.#opts.retry, this.#opts.random ?? Math.random);
    this.#setState({ kind: "failing", error, attempt, nextAttemptAt: Date.now() + waitMs });
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#fetchShared().catch(() => {
        // Recorded in the state by #fetch; the next attempt is scheduled there.
      });
    }, waitMs);
    this.#timer.unref();
    if (this.#last && this.#bridging()) {
      // Readiness must drop when the bridged token runs out, not at the next call.
      clearTimeout(this.#expiryTimer);
      this.#expiryTimer = setTimeout(() => this.#notify(), this.#last.expiresAt - MIN_REMAINING_MS - Date.now() + 1);
      this.#expiryTimer.unref();
    }
  }

  #notify(): void {
    for (const listener of this.#listeners) listener();
  }

  #setState(next: State): void {
    const wasUsable = this.usable;
    this.#state = next;
    if (wasUsable !== this.usable) this.#notify();
  }

  #newAuth(): GoogleAuth {
    const { keyFile, projectId } = this.#opts;
    return new GoogleAuth({
      scopes: [CLOUD_PLATFORM_SCOPE],
      ...(keyFile ? { keyFile } : {}),
      ...(projectId ? { projectId } : {}),
    });
  }

  /** Names the source that was tried and what it answered (for the metadata server, asked once more directly). */
  async #describe(err: unknown): Promise<MissingCredentialsError> {
    const source = credentialSource(this.#opts.keyFile);
    let answered = err instanceof Error ? err.message : String(err);
    if (source.kind === "metadata") answered = `${await probeMetadataServer(source.host)} (${answered})`;
    return new MissingCredentialsError(`tried ${source.description}, which ${answered}`, { cause: err });
  }
}

class AttemptTimeout extends Error {
  override name = "AttemptTimeout";
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
  }
}

/**
 * Between half and all of min(maxMs, initialMs · 2^attempt). Unlike a call's retries (full jitter, retry-policy.ts)
 * never near 0: this loop runs unattended and must not spin against a server that is down.
 */
export function recoveryDelayMs(
  attempt: number,
  retry: { initialMs: number; maxMs: number },
  random: () => number,
): number {
  const ceiling = Math.min(retry.maxMs, retry.initialMs * 2 ** Math.min(attempt, 30));
  return Math.round(ceiling / 2 + (ceiling / 2) * random());
}

type Source = { kind: "file"; description: string } | { kind: "metadata"; description: string; host: string };

/** Which source google-auth-library tries, in its own order: a named key file, gcloud's ADC file, the metadata server. */
export function credentialSource(keyFile: string | undefined, env: NodeJS.ProcessEnv = process.env): Source {
  if (keyFile) return { kind: "file", description: `the service-account key file ${keyFile}` };
  const fromEnv = env.GOOGLE_APPLICATION_CREDENTIALS;
  if (fromEnv) return { kind: "file", description: `the key file in GOOGLE_APPLICATION_CREDENTIALS (${fromEnv})` };
  const gcloud = join(
    env.CLOUDSDK_CONFIG ?? join(homedir(), ".config", "gcloud"),
    "application_default_credentials.json",
  );
  if (existsSync(gcloud)) return { kind: "file", description: `gcloud's application default credentials (${gcloud})` };
  const host = env.GCE_METADATA_HOST ?? env.GCE_METADATA_IP ?? "169.254.169.254";
  return {
    kind: "metadata",
    host,
    description: `the GCE metadata server at ${host} (no key file or gcloud credentials are set)`,
  };
}

/** What the metadata server answers now, in a few words. */
async function probeMetadataServer(host: string): Promise<string> {
  const url = `${/^https?:\/\//.test(host) ? host : `http://${host}`}/computeMetadata/v1/instance/service-accounts/default/token`;
  try {
    const res = await fetch(url, { headers: { "Metadata-Flavor": "Google" }, signal: AbortSignal.timeout(3_000) });
    await res.body?.cancel();
    return res.ok ? "answers now (the next attempt should succeed)" : `answered HTTP ${res.status}`;
  } catch (err) {
    if (err instanceof Error && err.name === "TimeoutError") return "did not answer within 3 s";
    const code = (err as { cause?: { code?: unknown } }).cause?.code;
    return `could not be reached${typeof code === "string" ? ` (${code})` : ""}`;
  }
}
