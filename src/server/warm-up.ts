/**
 * The first call after start must not pay for compiling the request path. Before the gateway listens, one unary
 * and one streaming call (Connect JSON, and a unary call in binary) go through the gateway's own code — HTTP
 * server, Connect handler, validation, routing, the `openai` client over undici, the SSE reader, translation both
 * ways, the kinds of interceptor the gateway runs — on a throwaway loopback listener, against a canned upstream on
 * another. None of these calls reaches a configured upstream, no caller is authenticated, nothing is logged or
 * counted; both listeners are gone before the gateway's own opens. (The same setting also opens a connection to
 * each HTTPS upstream, in gateway.ts: a connection, not a call.)
 */
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { fromJsonString, toBinary } from "@bufbuild/protobuf";
import { createContextValues } from "@connectrpc/connect";
import { encodeEnvelope } from "@connectrpc/connect/protocol";
import { pino } from "pino";
import { request } from "undici";
import { ChatCompletionRequestSchema } from "../../gen/vertexchat/v1/chat_service_pb.ts";
import { createChatService } from "../chat/chat-service.ts";
import { createRouter } from "../chat/model-router.ts";
import type { RequestValidator } from "../chat/request-validation.ts";
import { NO_CALLERS } from "../config/callers-file.ts";
import type { Routing } from "../config/routing.ts";
import { UpstreamHttp } from "../upstream/lean-fetch.ts";
import type { WireChunk, WireResponse } from "../wire/vertex-wire.ts";
import { authInterceptor } from "./auth/auth-interceptor.ts";
import { createAuthenticator } from "./auth/caller-auth.ts";
import { streamLimitInterceptor } from "./limits/concurrency-limit.ts";
import { MemoryLimitStore } from "./limits/limit-store.ts";
import { limitsInterceptor } from "./limits/limits-interceptor.ts";
import { nodeAdapter } from "./node-adapter.ts";
import { observeInterceptor } from "./observe-interceptor.ts";
import { serveChat } from "./request-handler.ts";
import { upstreamClients } from "./upstream-clients.ts";
import { validationInterceptor } from "./validation-interceptor.ts";

const MODEL = "google/gemini-2.5-flash";

export async function warmUp(validator: RequestValidator): Promise<void> {
  const silent = pino({ level: "silent" });
  const upstream = await listenLoopback(createServer(cannedUpstream));
  const http = new UpstreamHttp();
  const clients = upstreamClients(undefined, { fetchAtStart: false, retry: { initialMs: 500, maxMs: 500 } }, http);
  const chat = createChatService({
    router: createRouter(warmUpRouting(upstream.origin), clients.factory),
    googleFieldsPlacement: "extra_body",
    defaultTimeoutMs: 10_000,
    retry: { maxAttempts: 1, initialBackoffMs: 0, maxBackoffMs: 0 },
    streamLimits: { firstChunkTimeoutMs: 10_000, idleTimeoutMs: 10_000 },
    logger: silent,
  });
  // The gateway's kinds of interceptor, as throwaway instances: nothing logged (a logger that writes nowhere),
  // counted (an observer that keeps nothing) or spent (a limit store of its own).
  const interceptors = [
    observeInterceptor(pino({ level: "info" }, { write: () => undefined }), { started() {}, finished() {} }),
    authInterceptor({
      authenticator: createAuthenticator(["none"], NO_CALLERS, undefined),
      openServices: [],
      defaultLimits: NO_CALLERS.defaultLimits,
    }),
    limitsInterceptor(new MemoryLimitStore()),
    streamLimitInterceptor(1000).interceptor,
    validationInterceptor(validator),
  ];
  const gateway = await listenLoopback(
    createServer(
      nodeAdapter({
        interceptors,
        routes: (r) => serveChat(r, chat, { interceptors }),
        contextValues: () => createContextValues(),
        logger: silent,
      }),
    ),
  );
  try {
    const json = JSON.stringify({
      model: MODEL,
      messages: [{ role: "ROLE_USER", content: [{ text: "warm up" }] }],
      google: { thinkingConfig: { includeThoughts: true } },
    });
    await post(`${gateway.origin}/vertexchat.v1.ChatService/CreateChatCompletion`, "application/json", json);
    const binary = toBinary(ChatCompletionRequestSchema, fromJsonString(ChatCompletionRequestSchema, json));
    await post(`${gateway.origin}/vertexchat.v1.ChatService/CreateChatCompletion`, "application/proto", binary);
    const envelope = encodeEnvelope(0, new TextEncoder().encode(json));
    await post(
      `${gateway.origin}/vertexchat.v1.ChatService/StreamChatCompletion`,
      "application/connect+json",
      envelope,
    );
  } finally {
    await gateway.close();
    await upstream.close();
    await http.close();
  }
}

async function post(url: string, contentType: string, body: string | Uint8Array): Promise<void> {
  const res = await request(url, { method: "POST", headers: { "content-type": contentType }, body });
  await res.body.arrayBuffer();
  if (res.statusCode !== 200) throw new Error(`the start-up warm-up call to ${url} answered HTTP ${res.statusCode}`);
}

/** One Vertex upstream at `origin` (the canned one), with a fixed token and the one model the warm-up asks for. */
function warmUpRouting(origin: string): Routing {
  return {
    source: "warm-up",
    upstreams: new Map([
      [
        "warm-up",
        {
          kind: "vertex",
          name: "warm-up",
          project: "warm-up",
          locations: ["global"],
          apiVersion: "v1",
          origin,
          credentials: { type: "static", token: "warm-up" },
          globalOnlyModels: [],
        },
      ],
    ]),
    routes: [{ match: MODEL, upstream: "warm-up", model: undefined, capabilities: undefined }],
    defaultUpstream: undefined,
  };
}

const USAGE = {
  prompt_tokens: 2,
  completion_tokens: 2,
  total_tokens: 6,
  completion_tokens_details: { reasoning_tokens: 2 },
};
const HEAD = { id: "warm-up", created: 0, model: MODEL, system_fingerprint: "" };

/** Answers as Vertex does: a whole answer, or SSE chunks (thoughts tagged, text, usage last) then [DONE]. */
function cannedUpstream(req: IncomingMessage, res: ServerResponse): void {
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (part: string) => {
    body += part;
  });
  req.on("end", () => {
    const marker = /"thought_tag_marker":"([^"]+)"/.exec(body)?.[1] ?? "thought";
    const text = `<${marker}>warming</${marker}>warm`;
    if (!body.includes('"stream":true')) {
      const answer: WireResponse = {
        ...HEAD,
        object: "chat.completion",
        choices: [{ index: 0, finish_reason: "stop", logprobs: null, message: { role: "assistant", content: text } }],
        usage: USAGE,
      };
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(answer));
      return;
    }
    const chunk = (content: string, finish?: string): WireChunk => ({
      ...HEAD,
      object: "chat.completion.chunk",
      choices: [
        {
          index: 0,
          delta: { role: "assistant", content },
          logprobs: null,
          ...(finish ? { finish_reason: finish } : {}),
        },
      ],
      ...(finish ? { usage: USAGE } : {}),
    });
    res.writeHead(200, { "content-type": "text/event-stream" });
    for (const piece of [`<${marker}>warming</${marker}>`, "warm", ""]) {
      res.write(`data: ${JSON.stringify(chunk(piece, piece === "" ? "stop" : undefined))}\n\n`);
    }
    res.end("data: [DONE]\n\n");
  });
}

async function listenLoopback(server: Server): Promise<{ origin: string; close(): Promise<void> }> {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}
