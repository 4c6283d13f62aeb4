/**
 * An upstream that answers with recorded bodies, byte for byte, so recorded Vertex answers can be replayed through
 * the real gateway. It checks only that a Bearer token came.
 */
import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo, Socket } from "node:net";

export interface Recording {
  status: number;
  contentType: string;
  body: string;
}

export interface ReplayUpstream {
  origin: string;
  /** The recording the next requests get. */
  next: Recording;
  /** The bodies received, parsed. */
  received: unknown[];
  /** Told of each connection a client opens. */
  onConnection?: (socket: Socket) => void;
  close(): Promise<void>;
}

export async function startReplayUpstream(): Promise<ReplayUpstream> {
  const state: ReplayUpstream = {
    origin: "",
    next: { status: 500, contentType: "text/plain", body: "no recording set" },
    received: [],
    close: async () => undefined,
  };
  const server = createServer(async (req, res) => {
    const parts: Buffer[] = [];
    for await (const part of req) parts.push(part as Buffer);
    state.received.push(JSON.parse(Buffer.concat(parts).toString("utf8")));
    if (!req.headers.authorization?.startsWith("Bearer ")) {
      res.writeHead(401).end();
      return;
    }
    res.writeHead(state.next.status, { "content-type": state.next.contentType });
    res.end(state.next.body);
  });
  server.on("connection", (socket: Socket) => state.onConnection?.(socket));
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  state.origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = async () => {
    server.closeAllConnections();
    server.close();
    await once(server, "close");
  };
  return state;
}
