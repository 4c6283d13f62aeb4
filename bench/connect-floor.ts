/**
 * The floors under vertexchat's unary path, to show where its time goes: a Connect server for the same contract
 * whose CreateChatCompletion (`canned`) answers at once, (`undici`) first calls the emulator with undici's request(),
 * or (`openai`) first calls it through the openai client over the same undici pool, as vertexchat does. No
 * interceptors, validation, translation, logging or metrics. `node bench/connect-floor.ts <port> <mode> <base URL>`.
 */
import { createServer } from "node:http";
import { create } from "@bufbuild/protobuf";
import { connectNodeAdapter } from "@connectrpc/connect-node";
import OpenAI from "openai";
import { request } from "undici";
import { ChatCompletionResponseSchema, ChatService } from "../gen/vertexchat/v1/chat_service_pb.ts";
import { nodeBody, UpstreamHttp } from "../src/upstream/lean-fetch.ts";

const [port = "0", mode = "canned", baseUrl = ""] = process.argv.slice(2);
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
const server = createServer(
  connectNodeAdapter({
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
  }),
);
server.keepAliveTimeout = 60_000;
server.listen(Number(port), "127.0.0.1", () => {
  console.log(`listening ${(server.address() as { port: number }).port}`);
});
