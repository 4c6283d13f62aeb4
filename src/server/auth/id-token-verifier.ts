/**
 * Verifies Google-signed ID tokens (the service-to-service pattern on Cloud Run and GKE) with google-auth-library:
 * signature against Google's published certificates, issuer, audience and expiry. The certificates are fetched from
 * a configurable URL and cached for as long as its Cache-Control allows.
 */
import { OAuth2Client } from "google-auth-library";

const GOOGLE_ISSUERS = ["accounts.google.com", "https://accounts.google.com"];

export interface VerifiedIdToken {
  email: string;
  emailVerified: boolean;
}

export class IdTokenVerifier {
  readonly #client = new OAuth2Client();
  readonly #certsUrl: string;
  readonly #audience: string;
  #certs: { value: Record<string, string>; expiresAt: number } | undefined;

  constructor(opts: { certsUrl: string; audience: string }) {
    this.#certsUrl = opts.certsUrl;
    this.#audience = opts.audience;
  }

  /** Resolves with the token's email, or rejects with a message saying what is wrong with the token. */
  async verify(token: string): Promise<VerifiedIdToken> {
    const certs = await this.#currentCerts();
    const ticket = await this.#client.verifySignedJwtWithCertsAsync(token, certs, this.#audience, GOOGLE_ISSUERS);
    const payload = ticket.getPayload();
    if (!payload?.email) throw new Error("the ID token has no email claim; mint it for a service account");
    return { email: payload.email, emailVerified: payload.email_verified === true };
  }

  async #currentCerts(): Promise<Record<string, string>> {
    if (this.#certs && this.#certs.expiresAt > Date.now()) return this.#certs.value;
    const res = await fetch(this.#certsUrl, { signal: AbortSignal.timeout(10_000) });
    if (!res.ok) throw new Error(`could not fetch Google's ID token certificates (HTTP ${res.status})`);
    const value = (await res.json()) as Record<string, string>;
    const maxAge = Number(/max-age=(\d+)/.exec(res.headers.get("cache-control") ?? "")?.[1] ?? 300);
    this.#certs = { value, expiresAt: Date.now() + maxAge * 1000 };
    return value;
  }
}
