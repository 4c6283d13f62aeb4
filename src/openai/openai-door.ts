/**
 * The second front door: Vertex's OpenAI-compatible REST API on the gateway's own listener, so code written for
 * Vertex (or OpenAI) works by changing its base URL. A request is read as JSON, translated to the contract
 * (rest-request.ts), sent through the gateway's own ChatService handlers with every interceptor
 * (in-process-client.ts), and its answer translated back (rest-response.ts, rest-errors.ts):
 *
 *   POST /v1/chat/completions, POST /{v1|v1beta1}/projects/{P}/locations/{L}/endpoints/openapi/chat/completions
 *   GET  /v1/models (also under the Vertex-shaped prefix)
 *
 * The project and location of a Vertex-shaped path are accepted and not used: the gateway's routing decides where a
 * call goes, and the `x-vertexchat-*` response headers say where it went.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import { type CallOptions, Code, ConnectError, type ContextValues } from "@connectrpc/connect";
import type { Logger } from "pino";
import type { ChatCompletionStreamResponse, ServedBy } from "../../gen/vertexchat/v1/chat_service_pb.ts";
import { gatewayError } from "../rpc/error-catalogue.ts";
import { violationsToConnectError } from "../rpc/error-mapping.ts";
import { DOOR } from "../rpc/rpc-info.ts";
import { drained } from "../server/drained.ts";
import { logDoorRefusal, type RpcObserver } from "../server/observe-interceptor.ts";
import type { InProcessChat } from "./in-process-client.ts";
import { RestShapeError } from "./json-reader.ts";
import { restError } from "./rest-errors.ts";
import { type RestChatRequest, restRequestToContract } from "./rest-request.ts";
import { RestChunkWriter, responseToRest } from "./rest-response.ts";

type Req = IncomingMessage | Http2ServerRequest;

/** What the door uses of an HTTP/1.1 or HTTP/2 response (their own types share no callable signatures). */
interface Res {
  readonly headersSent: boolean;
  readonly writableEnded: boolean;
  readonly writableFinished: boolean;
  writeHead(status: number, headers: Record<string, string>): unknown;
  write(chunk: string): boolean;
  end(chunk?: string): unknown;
  readonly destroyed: boolean;
  once(event: "close" | "drain", listener: () => void): unknown;
  off(event: "close" | "drain", listener: () => void): unknown;
}

export interface OpenAiDoorOptions {
  chat: InProcessChat;
  /** The context values a direct call on this HTTP request would get (the TLS peer). */
  contextValues(req: Req): ContextValues;
  maxRequestBytes: number;
  logger: Logger;
  observer: RpcObserver;
}

/** The caller's headers the call needs: its credentials, its request id, its trace. */
const FORWARDED_HEADERS = ["authorization", "x-api-key", "x-request-id", "traceparent", "tracestate", "baggage"];

/** The method a refusal before any call is logged and counted under, by route. */
const REFUSAL_METHODS = { chat: "openai/ChatCompletions", models: "openai/Models", unknown: "openai/unknown" } as const;

const VERTEX_PREFIX = /^\/(v1|v1beta1)\/projects\/[^/]+\/locations\/[^/]+\/endpoints\/openapi(\/.*)$/;

/** The route a path names: `chat`, `models`, another path of the REST API's prefix (`unknown`), or not the door's. */
function routeOf(path: string): "chat" | "models" | "unknown" | undefined {
  const rest = VERTEX_PREFIX.exec(path)?.[2] ?? (path.startsWith("/v1/") ? path.slice(3) : undefined);
  if (rest === undefined) return path.startsWith("/v1beta1/") ? "unknown" : undefined;
  if (rest === "/chat/completions") return "chat";
  if (rest === "/models") return "models";
  return "unknown";
}

/** The door's request handler: true when it took the request (the path is the REST API's), false to pass it on. */
export function openAiDoor(
  opts: OpenAiDoorOptions,
): (req: Req, nodeRes: ServerResponse | Http2ServerResponse) => boolean {
  return (req, nodeRes) => {
    const res = nodeRes as unknown as Res;
    const path = (req.url ?? "").split("?", 1)[0] ?? "";
    const route = routeOf(path);
    if (route === undefined) return false;
    const call = new DoorCall(opts, req, res, route);
    call.serve().catch((err: unknown) => {
      opts.logger.error({ err }, "the REST door could not answer a request");
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end();
    });
    return true;
  };
}

/** One REST request, from its body to its last byte. */
class DoorCall {
  readonly #started = performance.now();
  readonly #abort = new AbortController();
  readonly opts: OpenAiDoorOptions;
  readonly req: Req;
  readonly res: Res;
  readonly route: "chat" | "models" | "unknown";

  constructor(opts: OpenAiDoorOptions, req: Req, res: Res, route: "chat" | "models" | "unknown") {
    this.opts = opts;
    this.req = req;
    this.res = res;
    this.route = route;
    // A caller that goes away cancels the call, and with it the upstream request.
    res.once("close", () => {
      if (!res.writableFinished) this.#abort.abort(new ConnectError("the caller went away", Code.Canceled));
    });
  }

  async serve(): Promise<void> {
    if (this.route === "unknown") {
      return this.#refuse(
        gatewayError(
          "UNKNOWN_ROUTE",
          `${this.req.method} ${this.req.url}: no such route; the OpenAI-compatible API serves POST /v1/chat/completions and GET /v1/models`,
        ),
      );
    }
    const method = this.route === "chat" ? "POST" : "GET";
    if (this.req.method !== method) {
      return this.#refuse(
        gatewayError("UNKNOWN_ROUTE", `${this.req.method} ${this.req.url}: use ${method} for this route`),
        { allow: method },
        405,
      );
    }
    if (this.route === "models") return this.#models();
    const parsed = await this.#readRequest();
    if (parsed) await (parsed.stream ? this.#stream(parsed) : this.#unary(parsed));
  }

  /** The body as a contract request, or undefined once a refusal has been sent. */
  async #readRequest(): Promise<RestChatRequest | undefined> {
    const type = this.req.headers["content-type"];
    if (type !== undefined && !/^application\/json\b/i.test(type)) {
      this.#refuse(
        gatewayError(
          "REQUEST_UNDECODABLE",
          `content-type ${type}: the body must be JSON; send content-type: application/json (with curl: -H 'content-type: application/json')`,
        ),
      );
      return undefined;
    }
    let raw: Buffer;
    try {
      raw = await readBody(this.req, this.opts.maxRequestBytes);
    } catch (err) {
      this.#refuse(ConnectError.from(err));
      return undefined;
    }
    try {
      const body: unknown = JSON.parse(raw.toString("utf8"));
      return restRequestToContract(body, { get: (name) => header(this.req, name) ?? null });
    } catch (err) {
      if (err instanceof RestShapeError) this.#refuse(violationsToConnectError([err.violation]));
      else this.#refuse(gatewayError("REQUEST_UNDECODABLE", `the body is not JSON: ${(err as Error).message}`));
      return undefined;
    }
  }

  /** Options of the in-process call: the caller's headers and context, the cancellation, the response headers. */
  #callOptions(onHeader: (headers: Headers) => void): { options: CallOptions; release(): void } {
    const { header, contextValues } = this.#callInit();
    const prepared = this.opts.chat.prepare(contextValues, header);
    return { options: { headers: prepared.headers, signal: this.#abort.signal, onHeader }, release: prepared.release };
  }

  /** The caller's headers the call needs, and the call's context values (the TLS peer, the door). */
  #callInit(): { header: Headers; contextValues: ContextValues } {
    const headers = new Headers();
    for (const name of FORWARDED_HEADERS) {
      const value = header(this.req, name);
      if (value !== undefined) headers.set(name, value);
    }
    const contextValues = this.opts.contextValues(this.req);
    contextValues.set(DOOR, "openai");
    return { header: headers, contextValues };
  }

  async #unary(parsed: RestChatRequest): Promise<void> {
    const responseHeaders: Record<string, string> = {};
    const call = this.#callOptions((h) => copyRequestId(h, responseHeaders));
    try {
      const answer = await this.opts.chat.client.createChatCompletion(parsed.request, call.options);
      this.#json(200, responseToRest(answer, parsed), { ...responseHeaders, ...servedByHeaders(answer.servedBy) });
    } catch (err) {
      this.#fail(ConnectError.from(err));
    } finally {
      call.release();
    }
  }

  async #stream(parsed: RestChatRequest): Promise<void> {
    const responseHeaders: Record<string, string> = {};
    const call = {
      ...this.#callInit(),
      signal: this.#abort.signal,
      onHeader: (h: Headers) => copyRequestId(h, responseHeaders),
    };
    const writer = new RestChunkWriter(parsed);
    try {
      for await (const event of this.opts.chat.streamChatCompletion(parsed.request, call)) {
        if (!this.res.headersSent) this.#startEvents(event, responseHeaders);
        let frames = "";
        for (const chunk of writer.chunks(event)) frames += `data: ${JSON.stringify(chunk)}\n\n`;
        // A slow reader holds the stream (and so the upstream read) back instead of filling memory.
        if (frames && !this.res.write(frames)) await drained(this.res, this.#abort.signal);
      }
      if (!this.res.headersSent) this.#startEvents(undefined, responseHeaders);
      this.res.end("data: [DONE]\n\n");
    } catch (err) {
      const error = ConnectError.from(err);
      if (!this.res.headersSent) return this.#fail(error);
      // Mid-stream: an error frame and no [DONE], so that no SDK takes a cut answer for a whole one.
      if (!this.res.writableEnded) this.res.end(`data: ${JSON.stringify(restError(error).body)}\n\n`);
    }
  }

  #startEvents(first: ChatCompletionStreamResponse | undefined, headers: Record<string, string>): void {
    const servedBy = first?.event.case === "started" ? first.event.value.servedBy : undefined;
    this.res.writeHead(200, {
      "content-type": "text/event-stream",
      "cache-control": "no-cache",
      ...headers,
      ...servedByHeaders(servedBy),
    });
  }

  async #models(): Promise<void> {
    const responseHeaders: Record<string, string> = {};
    const call = this.#callOptions((h) => copyRequestId(h, responseHeaders));
    try {
      const { models } = await this.opts.chat.client.listModels({}, call.options);
      // Patterns (`google/*`) route any model of a publisher but name none a caller could pick.
      const data = models.flatMap((model) =>
        [model.name, ...model.aliases]
          .filter((id) => !id.includes("*"))
          .map((id) => ({
            id,
            object: "model",
            created: 0,
            owned_by: model.upstream,
            ...(id !== model.name ? { alias_of: model.name } : {}),
          })),
      );
      this.#json(200, { object: "list", data }, responseHeaders);
    } catch (err) {
      this.#fail(ConnectError.from(err));
    } finally {
      call.release();
    }
  }

  /** A refusal before any call: logged and counted here, since no interceptor saw it. */
  #refuse(error: ConnectError, extraHeaders: Record<string, string> = {}, status?: number): void {
    const requestId = logDoorRefusal(this.opts.logger, this.opts.observer, {
      route: REFUSAL_METHODS[this.route],
      door: "openai",
      started: this.#started,
      requestId: header(this.req, "x-request-id"),
      error,
    });
    error.metadata.set("x-request-id", requestId);
    this.#fail(error, extraHeaders, status);
  }

  #fail(error: ConnectError, extraHeaders: Record<string, string> = {}, status?: number): void {
    if (this.res.headersSent || this.res.writableEnded) return;
    const rest = restError(error);
    this.#json(status ?? rest.status, rest.body, { ...rest.headers, ...extraHeaders });
  }

  #json(status: number, body: unknown, headers: Record<string, string>): void {
    if (this.res.writableEnded) return;
    const text = JSON.stringify(body);
    this.res.writeHead(status, {
      "content-type": "application/json",
      "content-length": String(Buffer.byteLength(text)),
      ...headers,
    });
    this.res.end(text);
  }
}

function header(req: Req, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(", ") : value;
}

function copyRequestId(from: Headers, to: Record<string, string>): void {
  const id = from.get("x-request-id");
  if (id) to["x-request-id"] = id;
}

/** Where the call went, for a caller whose path named a project and location the routing did not use. */
function servedByHeaders(servedBy: ServedBy | undefined): Record<string, string> {
  if (!servedBy) return {};
  return {
    "x-vertexchat-upstream": servedBy.upstream,
    "x-vertexchat-location": servedBy.location,
    "x-vertexchat-upstream-model": servedBy.upstreamModel,
  };
}

/** The request body, refused with REQUEST_TOO_LARGE past `maxBytes` without reading the rest. */
async function readBody(req: Req, maxBytes: number): Promise<Buffer> {
  const declared = Number(header(req, "content-length") ?? Number.NaN);
  const tooLarge = () =>
    gatewayError(
      "REQUEST_TOO_LARGE",
      `the body is over ${maxBytes} bytes (VERTEXCHAT_MAX_REQUEST_BYTES); send large media as a gs:// or https:// URI`,
    );
  if (declared > maxBytes) throw tooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge();
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}
