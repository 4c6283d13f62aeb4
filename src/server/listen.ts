/**
 * One address for every protocol. Cleartext: the first bytes of each connection decide — the HTTP/2 connection
 * preface goes to the HTTP/2 server (gRPC with prior knowledge, Connect and gRPC-Web over h2c), anything else to
 * the HTTP/1.1 server (Connect and gRPC-Web). Node's HTTP/2 server only offers that fallback over TLS, where
 * ALPN negotiates h2 or http/1.1 and no sniffing is needed.
 */
import { once } from "node:events";
import { readFileSync } from "node:fs";
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import http2, { type Http2ServerRequest, type Http2ServerResponse } from "node:http2";
import net, { type AddressInfo, type Socket } from "node:net";

export type NodeHandler = (
  req: IncomingMessage | Http2ServerRequest,
  res: ServerResponse | Http2ServerResponse,
) => void;

export interface ListenOptions {
  host: string;
  port: number;
  tls?: {
    certFile: string;
    keyFile: string;
    /** Ask clients for a certificate signed by this CA (mTLS); the handler decides what an unsigned one may do. */
    clientCaFile?: string;
  };
}

export interface Listener {
  /** `http://host:port` or `https://host:port`. */
  url: string;
  port: number;
  /**
   * Stops accepting connections and asks clients to go elsewhere (HTTP/2 GOAWAY, HTTP/1.1 idle connections closed);
   * calls in flight go on.
   */
  stopAccepting(): void;
  /**
   * Resolves once every response has been written out (or `timeoutMs` passed), except those `longLived` names:
   * streams that never end by themselves, such as a health Watch.
   */
  responsesWritten(timeoutMs: number, longLived: (path: string) => boolean): Promise<void>;
  /** Stops accepting and ends every connection, in flight or not. */
  close(): Promise<void>;
}

const H2_PREFACE = Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

export async function listen(appHandler: NodeHandler, opts: ListenOptions): Promise<Listener> {
  // Responses not yet written out, by path: shutdown waits for them before it closes the connections.
  const open = new Map<ServerResponse | Http2ServerResponse, string>();
  let written: (() => void) | undefined;
  const handler: NodeHandler = (req, res) => {
    open.set(res, req.url ?? "");
    res.once("close", () => {
      open.delete(res);
      written?.();
    });
    appHandler(req, res);
  };
  const sockets = new Set<Socket>();
  const sessions = new Set<http2.Http2Session>();
  const track = (h2: http2.Http2Server | http2.Http2SecureServer) =>
    h2.on("session", (session: http2.Http2Session) => {
      sessions.add(session);
      session.once("close", () => sessions.delete(session));
    });
  const { server, closeIdleHttp1 } = opts.tls
    ? tlsServer(handler, opts.tls, track, sockets)
    : cleartextServer(handler, track);
  server.on("connection", (socket: Socket) => {
    // Streams write many small frames: with Nagle's algorithm each one waits for the previous one's (delayed) ACK,
    // up to 40 ms between chunks (measured). A plain net.Server does not turn it off as http.Server would.
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  // A burst of connecting callers waits in the kernel's accept queue instead of having its SYNs dropped: Node's
  // default backlog is 511; Linux caps this at net.core.somaxconn (4096 on current kernels).
  server.listen({ port: opts.port, host: opts.host, backlog: 4096 });
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  const host = opts.host.includes(":") ? `[${opts.host}]` : opts.host;
  const closed = once(server, "close");
  let accepting = true;
  const stopAccepting = () => {
    if (!accepting) return;
    accepting = false;
    server.close();
    for (const session of sessions) session.close();
    closeIdleHttp1();
  };
  return {
    url: `${opts.tls ? "https" : "http"}://${host}:${port}`,
    port,
    stopAccepting,
    async responsesWritten(timeoutMs, longLived) {
      const pending = () => [...open.values()].some((path) => !longLived(path));
      if (!pending()) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, timeoutMs);
        function done() {
          clearTimeout(timer);
          written = undefined;
          resolve();
        }
        written = () => {
          if (!pending()) done();
        };
      });
    },
    async close() {
      stopAccepting();
      for (const session of sessions) session.destroy();
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}

type Track = (h2: http2.Http2Server | http2.Http2SecureServer) => void;

/** TLS: Node's HTTP/2 server negotiates h2 or http/1.1 by ALPN; client certificates are asked for with a CA. */
function tlsServer(
  handler: NodeHandler,
  tls: NonNullable<ListenOptions["tls"]>,
  track: Track,
  sockets: Set<Socket>,
): { server: net.Server; closeIdleHttp1: () => void } {
  const secure = http2.createSecureServer(
    {
      cert: readFileSync(tls.certFile),
      key: readFileSync(tls.keyFile),
      allowHTTP1: true,
      ...(tls.clientCaFile ? { ca: readFileSync(tls.clientCaFile), requestCert: true, rejectUnauthorized: false } : {}),
    },
    handler,
  );
  track(secure);
  const closeIdleHttp1 = () => {
    for (const socket of sockets)
      if (!(socket as { _httpMessage?: unknown })._httpMessage && !socket.writableLength) socket.end();
  };
  return { server: secure, closeIdleHttp1 };
}

/** Cleartext: one TCP server that hands each connection to HTTP/2 or HTTP/1.1 by its first bytes. */
function cleartextServer(handler: NodeHandler, track: Track): { server: net.Server; closeIdleHttp1: () => void } {
  const h2 = http2.createServer({}, handler);
  const h1 = http.createServer(handler);
  h1.keepAliveTimeout = 65_000;
  track(h2);
  const server = net.createServer((socket) => routeByPreface(socket, h1, h2));
  return { server, closeIdleHttp1: () => h1.closeIdleConnections() };
}

function routeByPreface(socket: Socket, h1: http.Server, h2: http2.Http2Server): void {
  let seen = Buffer.alloc(0);
  const onData = (data: Buffer) => {
    seen = Buffer.concat([seen, data]);
    const compared = Math.min(seen.length, H2_PREFACE.length);
    const isH2 = seen.subarray(0, compared).equals(H2_PREFACE.subarray(0, compared));
    if (isH2 && seen.length < H2_PREFACE.length) return; // need more bytes to decide
    socket.off("data", onData);
    socket.pause();
    socket.unshift(seen);
    // Both servers read what was unshifted before taking over the socket; the HTTP/2 session then reads from the
    // native handle, so the socket must not be put back into flowing mode here.
    (isH2 ? h2 : h1).emit("connection", socket);
    if (!isH2) socket.resume();
  };
  socket.on("data", onData);
  socket.on("error", () => socket.destroy());
}
