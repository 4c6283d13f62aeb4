/**
 * The local Vertex: an HTTP server that answers Vertex's OpenAI-compatible chat completions URL shapes with
 * Bearer auth, JSON or SSE, Vertex's error bodies, deterministic synthetic answers, and per-request fault switches
 * (see directives.ts). It records every request (and whether the client aborted it) for tests to inspect.
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import {
  createSecureServer,
  type Http2ServerRequest,
  type Http2ServerResponse,
  constants as h2constants,
} from "node:http2";
import type { AddressInfo, Socket } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import { drained } from "../server/drained.ts";
import { VERTEX_CHAT_PATH } from "../wire/vertex-urls.ts";
import { SHARED_REQUEST_TYPE_HEADER, type WireRequest } from "../wire/vertex-wire.ts";
import { type Directives, parseDirectives } from "./directives.ts";
import { type EmulatedError, errorBody, googleError } from "./google-errors.ts";
import { findEmulatedModel, unlistedModel } from "./model-catalog.ts";
import { checkRequest } from "./request-checks.ts";
import { messageText, synthesize } from "./synthetic-answer.ts";
import { type EncodingOptions, encodeChunks, encodeResponse } from "./wire-encoding.ts";

export interface EmulatorOptions {
  /** Default wait between streamed chunks, in milliseconds (a directive can override it per request). */
  pacingMs?: number;
  /** Decides whether a Bearer token is (still) valid; default: any non-empty token. */
  acceptToken?: (token: string) => boolean;
  /** How many requests to remember. */
  historySize?: number;
  /**
   * Serve over TLS with ALPN h2 and http/1.1, as Google's front end does (the gateway must be told to trust the
   * CA): HTTP/2 callers multiplex their requests over few connections.
   */
  tls?: { key: string; cert: string };
}

export interface RecordedRequest {
  apiVersion: string;
  project: string;
  location: string;
  endpointId: string;
  token: string;
  /** `1.1` or `2.0`. */
  httpVersion: string;
  /** The W3C trace context the request carried, if any. */
  traceparent: string | undefined;
  /** The capacity tier asked for (`X-Vertex-AI-LLM-Shared-Request-Type`), if any. */
  requestType: string | undefined;
  body: WireRequest | undefined;
  status: number;
  /** Stream chunks written so far (the upstream's progress, to see backpressure reach it). */
  chunksSent: number;
  /** True when the client went away before the answer was complete. */
  aborted: boolean;
  receivedAt: number;
  closedAt: number | undefined;
}

export interface RunningEmulator {
  /** `http://127.0.0.1:PORT` (`https://` with `tls`) — use as the Vertex origin. */
  origin: string;
  port: number;
  requests: RecordedRequest[];
  /** TCP connections accepted so far (with `tls`, also TLS handshakes). */
  readonly connections: number;
  close(): Promise<void>;
}

const OPENAI_CHAT_PATH = /^(?:\/[^/]+)*\/(v1)\/chat\/completions$/;

const MISSING_CREDENTIALS_MESSAGE =
  "Request is missing required authentication credential. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.";
const UNAUTHENTICATED_MESSAGE =
  "Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.";

export async function startEmulator(
  opts: EmulatorOptions = {},
  port = 0,
  host = "127.0.0.1",
): Promise<RunningEmulator> {
  const requests: RecordedRequest[] = [];
  const failures = new Map<string, number>();
  const historySize = opts.historySize ?? 1000;
  const onRequest = (rawReq: Request | Http2ServerRequest, rawRes: Response | Http2ServerResponse) => {
    const [req, res] = [rawReq as Request, rawRes as unknown as Response];
    handle(req, res, opts, failures, (record) => {
      requests.push(record);
      if (requests.length > historySize) requests.shift();
    }).catch((err: unknown) => {
      if (!res.headersSent) sendError(res, googleError(500, `emulator failure: ${String(err)}`));
      else cutConnection(res);
    });
  };
  const server = opts.tls
    ? createSecureServer({ ...opts.tls, allowHTTP1: true }, onRequest)
    : createServer({ keepAliveTimeout: 30_000 }, onRequest);
  const sockets = new Set<Socket>();
  let connections = 0;
  server.on("connection", (socket: Socket) => {
    // A stream is a small write per chunk. With Nagle's algorithm each write waits for the ACK of the one before,
    // which the caller's kernel may hold back up to 40 ms, so paced chunks came in 40 ms bunches over TLS. Google's
    // front end sends each chunk at once; node:http turns Nagle off by default, a TLS server does not.
    socket.setNoDelay(true);
    connections++;
    sockets.add(socket);
    socket.once("close", () => sockets.delete(socket));
  });
  server.listen(port, host);
  await once(server, "listening");
  const address = server.address() as AddressInfo;
  return {
    origin: `${opts.tls ? "https" : "http"}://${host}:${address.port}`,
    port: address.port,
    requests,
    get connections() {
      return connections;
    },
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, "close");
    },
  };
}

/**
 * A request over HTTP/1.1, or over HTTP/2 through Node's compatibility API, which offers the same surface for all
 * the emulator uses (headers, writeHead, write with drain, end, close); only cutting a connection differs.
 */
type Request = IncomingMessage;
type Response = ServerResponse;

/** Ends the exchange without an answer: the TCP connection on HTTP/1.1, the one stream on HTTP/2. */
function cutConnection(res: Response, reset = false): void {
  const h2 = res as unknown as Partial<Http2ServerResponse>;
  if (h2.stream) h2.stream.close(h2constants.NGHTTP2_INTERNAL_ERROR);
  else if (reset) res.socket?.resetAndDestroy();
  else res.socket?.destroy();
}

async function handle(
  req: Request,
  res: Response,
  opts: EmulatorOptions,
  failures: Map<string, number>,
  record: (r: RecordedRequest) => void,
): Promise<void> {
  const url = new URL(req.url ?? "/", "http://emulator");
  // Vertex's URL shapes, or any OpenAI-compatible base URL ending in /v1 (a local vLLM, OpenAI itself).
  const match = VERTEX_CHAT_PATH.exec(url.pathname) ?? OPENAI_CHAT_PATH.exec(url.pathname);
  if (!match) {
    return sendError(res, googleError(404, `The requested URL ${url.pathname} was not found on this server.`), "html");
  }
  if (req.method !== "POST")
    return sendError(res, googleError(405, `Method ${req.method} not allowed.`, "UNIMPLEMENTED"));
  const [, apiVersion = "", project = "", location = "", endpointId = ""] = match;
  const openaiStyle = match.length === 2;
  const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? "")?.[1] ?? "";
  const entry = recording(req, res, { apiVersion, project, location, endpointId, token });
  record(entry);
  const text = await readBody(req);
  const fail = (error: EmulatedError, shape?: Directives["shape"]) => {
    entry.status = error.httpStatus;
    sendError(res, error, shape);
  };
  if (!req.headers.authorization) return fail(googleError(401, MISSING_CREDENTIALS_MESSAGE));
  if (!token || !(opts.acceptToken?.(token) ?? true)) return fail(googleError(401, UNAUTHENTICATED_MESSAGE));
  let body: WireRequest;
  try {
    body = JSON.parse(text) as WireRequest;
  } catch {
    return fail(googleError(400, "Invalid JSON payload received. Unexpected token."));
  }
  entry.body = body;
  const directives = parseDirectives((body.messages ?? []).filter((m) => m.role === "user").map(messageText));
  if (directives.delayMs) await sleep(directives.delayMs);
  const injected = injectedFailure(body, directives, location, failures);
  if (injected === "drop") {
    entry.status = -1;
    return cutConnection(res);
  }
  if (injected) return fail(injected, directives.shape);
  const model = findEmulatedModel(body.model ?? "");
  if (endpointId === "openapi" && !openaiStyle && !model) {
    return fail(
      googleError(
        404,
        `Publisher Model \`publishers/${(body.model ?? "").replace("/", "/models/")}\` not found in location ${location}.`,
      ),
    );
  }
  // OpenAI-style servers know no capacity tiers: the header is ignored there, as such servers ignore it.
  const tier = openaiStyle ? undefined : entry.requestType;
  const emulated = model ?? unlistedModel(body.model ?? "");
  const rejected = checkRequest(body, emulated, { location, tier });
  if (rejected) return fail(rejected);
  const priority = tier === "priority";

  const answer = synthesize(body, emulated, directives, {
    counting: openaiStyle ? "openai" : "vertex",
    trafficType: priority ? "ON_DEMAND_PRIORITY" : "ON_DEMAND",
  });
  const google = body.extra_body?.google;
  const encoding: EncodingOptions = {
    thoughtMarker: google?.thought_tag_marker,
    thoughtFlag: Boolean(directives.thoughtFlag),
    streamArguments: Boolean(google?.stream_function_call_arguments),
    chunkChars: directives.chunkChars,
  };
  entry.status = 200;
  if (!body.stream) {
    res.writeHead(200, { "content-type": "application/json; charset=UTF-8" });
    res.end(JSON.stringify(encodeResponse(answer, encoding)));
    return;
  }
  await streamChunks(res, encodeChunks(answer, encoding), directives, directives.pacingMs ?? opts.pacingMs ?? 0, entry);
}

async function streamChunks(
  res: Response,
  chunks: object[],
  d: Directives,
  pacingMs: number,
  entry: RecordedRequest,
): Promise<void> {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
  for (const [sent, chunk] of chunks.entries()) {
    if (res.destroyed) return;
    if (d.stallAfter === sent) return; // keep the connection open, send nothing more
    if (d.resetAfter === sent) return cutConnection(res, true);
    if (d.garbageAfter === sent) return void res.end("data: {not json\n\n");
    if (d.errorAfter === sent) {
      return void res.end(
        `data: ${JSON.stringify({ error: { code: 500, message: "Internal error encountered.", status: "INTERNAL" } })}\n\n`,
      );
    }
    if (pacingMs > 0 && sent > 0) await sleep(pacingMs);
    entry.chunksSent++;
    if (!res.write(`data: ${JSON.stringify(chunk)}\n\n`)) await drained(res);
  }
  res.end(d.noDone ? "" : "data: [DONE]\n\n");
}

function sendError(res: Response, error: EmulatedError, shape: Directives["shape"] = "array"): void {
  const { contentType, body } = errorBody(error, shape);
  res.writeHead(error.httpStatus, { "content-type": contentType });
  res.end(body);
}

async function readBody(req: Request): Promise<string> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts).toString("utf8");
}

/** The record of one request, kept up to date as its answer ends (or is cut off). */
function recording(
  req: Request,
  res: Response,
  where: Pick<RecordedRequest, "apiVersion" | "project" | "location" | "endpointId" | "token">,
): RecordedRequest {
  const entry: RecordedRequest = {
    ...where,
    httpVersion: req.httpVersion,
    traceparent: req.headers.traceparent as string | undefined,
    requestType: req.headers[SHARED_REQUEST_TYPE_HEADER] as string | undefined,
    chunksSent: 0,
    body: undefined,
    status: 0,
    aborted: false,
    receivedAt: Date.now(),
    closedAt: undefined,
  };
  res.on("close", () => {
    entry.closedAt = Date.now();
    if (!res.writableFinished) entry.aborted = true;
  });
  return entry;
}

/**
 * The failure a test asked for with `[[emulate status=… drop fail_first=… fail_location=…]]`: an error to send,
 * "drop" to cut the connection, or undefined to answer normally (`fail_first` counts per conversation).
 */
function injectedFailure(
  body: WireRequest,
  directives: Directives,
  location: string,
  failures: Map<string, number>,
): EmulatedError | "drop" | undefined {
  const targeted = directives.failLocation === undefined || directives.failLocation === location;
  if (!(directives.status || directives.drop) || !targeted) return undefined;
  const key = JSON.stringify(body.messages);
  const failed = failures.get(key) ?? 0;
  if (directives.failFirst !== undefined && failed >= directives.failFirst) return undefined;
  failures.set(key, failed + 1);
  if (directives.drop) return "drop";
  return googleError(
    directives.status ?? 500,
    directives.message ?? `Emulated failure with HTTP ${directives.status}.`,
    directives.googleStatus,
  );
}
