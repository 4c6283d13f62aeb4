/**
 * The floors under vertexchat's unary path, to show where its time goes: a Connect server for the same contract
 * whose CreateChatCompletion (`canned`) answers at once, (`undici`) first calls the emulator with undici's request(),
 * or (`openai`) first calls it through the openai client over the same undici pool, as vertexchat does. No
 * interceptors, validation, translation, logging or metrics. With `h2c` as a fourth argument it serves HTTP/2 without
 * TLS (gRPC callers' transport) instead of HTTP/1.1, so that gRPC and Connect callers can be compared on a server
 * with nothing of vertexchat's own. `node bench/connect-floor.ts <port> <mode> <base URL> [h1|h2c]`.
 */
import { createServer } from "node:http";
import { createServer as createH2cServer } from "node:http2";
import { create } from "@bufbuild/protobuf";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import OpenAI from "openai";
import { request } from "undici";
import { ChatCompletionResponseSchema, ChatService } from "../gen/vertexchat/v1/chat_service_pb.ts";
import { nodeBody, UpstreamHttp } from "../src/upstream/lean-fetch.ts";

const [port = "0", mode = "canned", baseUrl = "", transport = "h1"] = process.argv.slice(2);
const answer = create(ChatCompletionResponseSchema, {
  id: "x",
  model: "google/gemini-2.5-flash",
  choices: [{ index: 0, message: { content: [{ kind: { case: "text", value: "ok" } }] } }],
});
const body = { model: "google/gemini-2.5-flash", messages: [{ role: "user", content: "floor" }] };
const client = new OpenAI({ baseURL: baseUrl, apiKey: "per-request", maxRetries: 0, fetch: new UpstreamHttp().fetch });
const calls: Record<string, () => Promise<unknown>> = {
  canned: async () => undefined,
  undici: async () =>
    (
      await request(`${baseUrl}/chat/completions`, {
        method: "POST",
        headers: { authorization: "Bearer bench-token", "content-type": "application/json" },
        body: JSON.stringify(body),
      })
    ).body.json(),
  openai: async () => {
    const res = await client
      .post("/chat/completions", { body, headers: { Authorization: "Bearer bench-token" } })
      .asResponse();
    return JSON.parse((await nodeBody(res).setEncoding("utf8").toArray()).join(""));
  },
};
const call = calls[mode];
if (!call) throw new Error(`mode is one of ${Object.keys(calls).join(", ")}`);
const adapter = connectNodeAdapter({
  routes(router) {
    router.service(ChatService, {
      async createChatCompletion() {
        await call();
        return answer;
      },
      async *streamChatCompletion() {},
      listModels: () => ({}),
    });
  },
});
if (transport !== "h1" && transport !== "h2c") throw new Error("transport is h1 or h2c");
const server = transport === "h2c" ? createH2cServer(adapter) : createServer(adapter);
if ("keepAliveTimeout" in server) server.keepAliveTimeout = 60_000;
server.listen(Number(port), "127.0.0.1", () => {
  console.log(`listening ${(server.address() as { port: number }).port}`);
});
