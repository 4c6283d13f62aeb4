/**
 * A local stand-in for the GCE metadata server (reached through GCE_METADATA_HOST), so that google-auth-library's
 * real Application Default Credentials path runs in tests: it issues numbered short-lived tokens and can revoke them,
 * and misbehaves on request the ways metadata servers do at pod start.
 */
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";

export interface MetadataServer {
  host: string;
  /** Paths asked for so far, in order. */
  paths: string[];
  /** Tokens issued so far, oldest first. */
  issued: string[];
  /** Revoked tokens are rejected by `isValid` before they expire. */
  revoke(token: string): void;
  isValid(token: string): boolean;
  close(): Promise<void>;
}

export interface MetadataFaults {
  /** Reset every connection for this long after start (not up yet). */
  downForMs?: number;
  /** Hold the first request this long before answering it. */
  firstAnswerDelayMs?: number;
  /** Answer HTTP 500 to every request for this long after start. */
  errorsForMs?: number;
  /** Hold project-id answers this long. */
  projectIdDelayMs?: number;
}

export async function startMetadataServer(
  opts: { expiresInSeconds: number } & MetadataFaults,
): Promise<MetadataServer> {
  const startedAt = Date.now();
  let answered = 0;
  const issued: string[] = [];
  const expiry = new Map<string, number>();
  const revoked = new Set<string>();
  const paths: string[] = [];
  const server = createServer(async (req, res) => {
    paths.push((req.url ?? "").split("?")[0] ?? "");
    if (answered++ === 0 && opts.firstAnswerDelayMs) await sleep(opts.firstAnswerDelayMs);
    if (Date.now() - startedAt < (opts.errorsForMs ?? 0)) {
      res.writeHead(500, { "Metadata-Flavor": "Google" }).end("metadata server starting");
      return;
    }
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
      if (opts.projectIdDelayMs) await sleep(opts.projectIdDelayMs);
      res.writeHead(200, { ...headers, "content-type": "text/plain" }).end("test-project");
    } else if (path?.startsWith("/computeMetadata/v1/instance")) {
      res.writeHead(200, { ...headers, "content-type": "text/plain" }).end("");
    } else {
      res.writeHead(404, headers).end("not found");
    }
  });
  server.on("connection", (socket) => {
    if (Date.now() - startedAt < (opts.downForMs ?? 0)) socket.destroy();
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    host: `127.0.0.1:${(server.address() as AddressInfo).port}`,
    issued,
    paths,
    revoke: (token) => revoked.add(token),
    isValid: (token) => !revoked.has(token) && (expiry.get(token) ?? 0) > Date.now(),
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}
