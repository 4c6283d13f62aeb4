/**
 * Who is calling: the first configured mode that recognises the request's credentials names the caller. API keys
 * are compared as SHA-256 digests in constant time; ID tokens are verified against Google's certificates; client
 * certificates (mTLS) are matched by subject CN after the TLS layer checked them against the configured CA.
 */
import { timingSafeEqual } from "node:crypto";
import type { Caller, Callers } from "../../config/callers-file.ts";
import { sha256 } from "../../config/callers-file.ts";
import type { AuthMode } from "../../config/settings.ts";
import type { IdTokenVerifier } from "./id-token-verifier.ts";

export type { AuthMode };

export interface PeerCertificate {
  /** Whether the TLS layer verified the certificate against the client CA. */
  authorized: boolean;
  subjectCommonName: string | undefined;
}

export type AuthResult =
  | { kind: "authenticated"; caller: Caller }
  | { kind: "anonymous" }
  | { kind: "unauthenticated"; message: string };

export interface CallerAuthenticator {
  authenticate(headers: Headers, peer: PeerCertificate | undefined): Promise<AuthResult>;
}

const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export function createAuthenticator(
  modes: AuthMode[],
  callers: Callers,
  idTokens: IdTokenVerifier | undefined,
): CallerAuthenticator {
  if (modes.includes("none")) return { authenticate: async () => ({ kind: "anonymous" }) };
  const byServiceAccount = new Map(
    callers.callers.flatMap((c) => c.serviceAccounts.map((sa) => [sa.toLowerCase(), c] as const)),
  );
  const bySubject = new Map(callers.callers.flatMap((c) => c.certificateSubjects.map((s) => [s, c] as const)));

  const byApiKey = (key: string): Caller | undefined => {
    const digest = sha256(key);
    let found: Caller | undefined;
    // Every digest is compared, so the time taken does not depend on which (if any) matched.
    for (const caller of callers.callers) {
      for (const candidate of caller.apiKeyDigests) {
        if (timingSafeEqual(candidate, digest)) found = caller;
      }
    }
    return found;
  };

  return {
    async authenticate(headers, peer) {
      const bearer = /^Bearer\s+(\S+)$/i.exec(headers.get("authorization") ?? "")?.[1];
      const apiKey = headers.get("x-api-key") ?? undefined;
      const problems: string[] = [];
      if (modes.includes("mtls") && peer) {
        if (peer.authorized && peer.subjectCommonName) {
          const caller = bySubject.get(peer.subjectCommonName);
          if (caller) return { kind: "authenticated", caller };
          problems.push(`no caller has the client certificate subject CN=${peer.subjectCommonName}`);
        } else if (peer.subjectCommonName) {
          problems.push("the client certificate is not signed by the configured client CA");
        }
      }
      if (modes.includes("id_token") && idTokens && bearer && JWT.test(bearer)) {
        try {
          const token = await idTokens.verify(bearer);
          const caller = byServiceAccount.get(token.email.toLowerCase());
          if (caller && token.emailVerified) return { kind: "authenticated", caller };
          problems.push(`the ID token's account ${token.email} is not an allowed caller`);
        } catch (err) {
          problems.push(`the ID token is not valid: ${(err as Error).message}`);
        }
      }
      if (modes.includes("api_key")) {
        const key = apiKey ?? (bearer && !JWT.test(bearer) ? bearer : undefined);
        if (key) {
          const caller = byApiKey(key);
          if (caller) return { kind: "authenticated", caller };
          problems.push("the API key is not known");
        }
      }
      if (problems.length > 0) return { kind: "unauthenticated", message: problems.join("; ") };
      return { kind: "unauthenticated", message: `no credentials; send ${describe(modes)}` };
    },
  };
}

function describe(modes: AuthMode[]): string {
  const ways: Record<AuthMode, string> = {
    none: "",
    api_key: "an API key (Authorization: Bearer <key>, or x-api-key)",
    id_token: "a Google-signed ID token (Authorization: Bearer <token>)",
    mtls: "a client certificate",
  };
  return modes.map((m) => ways[m]).join(", or ");
}
