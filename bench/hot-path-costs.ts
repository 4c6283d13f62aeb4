/**
 * `node bench/hot-path-costs.ts`: the CPU time of each part of one unary request on vertexchat's path, measured alone
 * in this process (after warm-up, thousands of repetitions): decoding and validating the request, translating both
 * ways, encoding the answer, metrics and the log line, and the upstream call by undici's request() and by the openai
 * client over the same pool (against the emulator in this process, so those two rows include its work; their
 * difference is the client's). Shows which parts are worth optimising; the end-to-end numbers are bench/run.ts's.
 */
import { create, fromJsonString, toJsonString } from "@bufbuild/protobuf";
import OpenAI from "openai";
import pino from "pino";
import { request } from "undici";
import {
  ChatCompletionRequestSchema,
  ChatCompletionResponseSchema,
  ServedBySchema,
} from "../gen/vertexchat/v1/chat_service_pb.ts";
import { createRequestValidator } from "../src/chat/request-validation.ts";
import { startEmulator } from "../src/emulator/emulator-server.ts";
import { newRpcInfo } from "../src/rpc/rpc-info.ts";
import { Metrics } from "../src/server/metrics.ts";
import { fromUpstreamResponse } from "../src/translate/from-upstream-response.ts";
import { toUpstreamRequest } from "../src/translate/to-upstream-request.ts";
import { nodeBody, UpstreamHttp } from "../src/upstream/lean-fetch.ts";
import type { WireResponse } from "../src/wire/vertex-wire.ts";

const rows: [string, number][] = [];
async function cpuPerCall(name: string, n: number, f: () => unknown): Promise<void> {
  for (let i = 0; i < n / 4; i++) await f();
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) await f();
  const used = process.cpuUsage(before);
  rows.push([name, (used.user + used.system) / n]);
}

const json = JSON.stringify({
  model: "google/gemini-2.5-flash",
  messages: [{ role: "ROLE_USER", content: [{ text: "bench unary c64 round 0" }] }],
});
const req = fromJsonString(ChatCompletionRequestSchema, json);
const validate = createRequestValidator({ maxInlineImageBytes: 1e7, maxInlineMediaBytes: 1e7 });
const translation = {
  upstreamModel: "google/gemini-2.5-flash",
  googleFieldsPlacement: "extra_body" as const,
  defaultThoughtMarker: "vertexchat_thought",
};
const wire: WireResponse = {
  id: "x",
  object: "chat.completion",
  created: 1,
  model: "google/gemini-2.5-flash",
  choices: [
    {
      index: 0,
      message: { role: "assistant", content: "Emulated google/gemini-2.5-flash says: bench unary c64 round 0" },
      finish_reason: "stop",
    },
  ],
  usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 },
};
const servedBy = create(ServedBySchema, { upstream: "vertex", location: "global", upstreamModel: "m" });
const answer = fromUpstreamResponse(wire, { thoughtMarker: undefined, servedBy });
const metrics = new Metrics(() => 0);
const method = "vertexchat.v1.ChatService/CreateChatCompletion";
const logger = pino({ base: { service: "vertexchat" } }, pino.destination({ dest: "/dev/null", sync: true }));

await cpuPerCall("request: JSON → message (protobuf-es)", 20_000, () =>
  fromJsonString(ChatCompletionRequestSchema, json),
);
await cpuPerCall("request: validation (protovalidate + rules)", 20_000, () =>
  validate(ChatCompletionRequestSchema, req),
);
await cpuPerCall("request: contract → Vertex body", 20_000, () => toUpstreamRequest(req, translation));
await cpuPerCall("answer: Vertex body → contract", 20_000, () =>
  fromUpstreamResponse(wire, { thoughtMarker: undefined, servedBy }),
);
await cpuPerCall("answer: message → JSON (protobuf-es)", 20_000, () =>
  toJsonString(ChatCompletionResponseSchema, answer),
);
await cpuPerCall("metrics of one call", 20_000, () => {
  metrics.started(method, "contract");
  const info = newRpcInfo("id");
  info.upstreamModel = "google/gemini-2.5-flash";
  info.promptTokens = 5;
  info.completionTokens = 7;
  metrics.finished(method, "OK", 0.001, info);
  metrics.upstreamAttempt({ upstream: "vertex", location: "global", status: "200", seconds: 0.001 });
});
await cpuPerCall("the log line of one call", 20_000, () =>
  logger.info(
    { request_id: "a", caller: "anonymous", method, model: "m", upstream: "vertex", code: "OK", latency_ms: 1 },
    "rpc",
  ),
);

const emulator = await startEmulator({ pacingMs: 0 });
const baseUrl = `${emulator.origin}/v1/projects/bench/locations/global/endpoints/openapi`;
const body = toUpstreamRequest(req, translation).body;
const headers = { authorization: "Bearer bench-token", "content-type": "application/json" };
await cpuPerCall("upstream call: undici request() + emulator", 4_000, async () =>
  (await request(`${baseUrl}/chat/completions`, { method: "POST", headers, body: JSON.stringify(body) })).body.text(),
);
const client = new OpenAI({ baseURL: baseUrl, apiKey: "per-request", maxRetries: 0, fetch: new UpstreamHttp().fetch });
await cpuPerCall("upstream call: openai client + emulator", 4_000, async () => {
  const res = await client
    .post("/chat/completions", { body, headers: { Authorization: "Bearer bench-token" } })
    .asResponse();
  return nodeBody(res).setEncoding("utf8").toArray();
});
await emulator.close();

console.log("| part of one unary request | CPU µs per call |");
console.log("|---|---|");
for (const [name, us] of rows) console.log(`| ${name} | ${us.toFixed(1)} |`);
process.exit(0);
