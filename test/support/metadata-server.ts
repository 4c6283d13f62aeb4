/**
 * A local stand-in for the GCE metadata server (reached through GCE_METADATA_HOST), so that google-auth-library's
 * real Application Default Credentials path runs in tests: it issues numbered short-lived tokens and can revoke them.
 */
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";

export interface MetadataServer {
  host: string;
  /** Tokens issued so far, oldest first. */
  issued: string[];
  /** Revoked tokens are rejected by `isValid` before they expire. */
  revoke(token: string): void;
  isValid(token: string): boolean;
  close(): Promise<void>;
}

export async function startMetadataServer(opts: { expiresInSeconds: number }): Promise<MetadataServer> {
  const issued: string[] = [];
  const expiry = new Map<string, number>();
  const revoked = new Set<string>();
  const server = createServer((req, res) => {
    const headers = { "Metadata-Flavor": "Google", "content-type": "application/json" };
    if (req.headers["metadata-flavor"] !== "Google") {
      res.writeHead(403, headers).end("Missing Metadata-Flavor:Google header.");
      return;
    }
    const path = (req.url ?? "").split("?")[0];
    if (path === "/computeMetadata/v1/instance/service-accounts/default/token") {
      const token = `ya29.test-token-${issued.length + 1}`;
      issued.push(token);
      expiry.set(token, Date.now() + opts.expiresInSeconds * 1000);
      res
        .writeHead(200, headers)
        .end(JSON.stringify({ access_token: token, expires_in: opts.expiresInSeconds, token_type: "Bearer" }));
    } else if (path === "/computeMetadata/v1/project/project-id") {
      res.writeHead(200, { ...headers, "content-type": "text/plain" }).end("test-project");
    } else if (path?.startsWith("/computeMetadata/v1/instance")) {
      res.writeHead(200, { ...headers, "content-type": "text/plain" }).end("");
    } else {
      res.writeHead(404, headers).end("not found");
    }
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    issued,
    revoke: (token) => revoked.add(token),
    isValid: (token) => !revoked.has(token) && (expiry.get(token) ?? 0) > Date.now(),
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}
