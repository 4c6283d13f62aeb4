import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { FinishReason } from "../gen/vertexchat/v1/chat_service_pb.ts";
import { Role } from "../gen/vertexchat/v1/content_pb.ts";
import { ResponseBuilder } from "../src/translate/response-builder.ts";
import { userRequest } from "./support/requests.ts";
import { type Protocol, type Stack, startStack } from "./support/stack.ts";

const VARIANTS: [Protocol, "1.1" | "2"][] = [
  ["grpc", "2"],
  ["grpc-web", "1.1"],
  ["grpc-web", "2"],
  ["connect", "1.1"],
  ["connect", "2"],
];

describe("one port serves gRPC, gRPC-Web and Connect, unary and streaming", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  for (const [protocol, httpVersion] of VARIANTS) {
    test(`${protocol} over HTTP/${httpVersion}: unary returns the whole emulated answer`, async () => {
      const client = stack.client(protocol, httpVersion);
      const res = await client.createChatCompletion(userRequest(`Hello over ${protocol} ${httpVersion}`));
      assert.equal(res.model, "google/gemini-2.5-flash");
      assert.match(res.id, /^[\w-]{23}$/);
      assert.equal(res.choices.length, 1);
      const choice = res.choices[0];
      assert.equal(choice?.finishReason, FinishReason.STOP);
      assert.equal(choice?.upstreamFinishReason, "stop");
      assert.equal(choice?.message?.role, Role.ASSISTANT);
      assert.deepEqual(
        choice?.message?.content.map((p) => [p.kind.case, p.kind.value, p.thought]),
        [["text", `Emulated google/gemini-2.5-flash says: Hello over ${protocol} ${httpVersion}`, false]],
      );
      // Vertex semantics: total = prompt + completion + reasoning (Gemini 2.5 Flash thinks by default).
      assert.equal(res.usage?.promptTokens, 5);
      assert.equal(res.usage?.completionTokens, 7);
      assert.equal(res.usage?.reasoningTokens, 512);
      assert.equal(res.usage?.totalTokens, 524);
      assert.equal(res.usage?.trafficType, "ON_DEMAND");
      assert.deepEqual(
        [res.servedBy?.upstream, res.servedBy?.location, res.servedBy?.upstreamModel],
        ["vertex", "global", "google/gemini-2.5-flash"],
      );
      const seen = stack.emulator.requests.at(-1);
      assert.equal(seen?.token, "test-token");
      assert.deepEqual(
        [seen?.apiVersion, seen?.project, seen?.location, seen?.endpointId],
        ["v1", "local-project", "global", "openapi"],
      );
      assert.equal(seen?.body?.stream, undefined);
    });

    test(`${protocol} over HTTP/${httpVersion}: a stream rebuilds to exactly the unary answer`, async () => {
      const client = stack.client(protocol, httpVersion);
      // Paced, so that every chunk arrives on its own and is forwarded on its own.
      const request = userRequest(`Stream over ${protocol} ${httpVersion}, word by word [[emulate pacing_ms=3]]`);
      const unary = await client.createChatCompletion(request);
      const builder = new ResponseBuilder();
      const kinds: string[] = [];
      for await (const event of client.streamChatCompletion(request)) {
        kinds.push(event.event.case ?? "none");
        builder.add(event);
      }
      assert.equal(kinds[0], "started");
      assert.equal(kinds.at(-1), "finished");
      assert.ok(kinds.filter((k) => k === "delta").length >= 8, `expected one delta per word, got ${kinds.join(",")}`);
      const rebuilt = builder.build();
      rebuilt.created = unary.created;
      // Two answers: their ids differ (unique per response, as Vertex\'s); everything else must not.
      rebuilt.id = unary.id;
      assert.deepEqual(rebuilt, unary);
      assert.equal(stack.emulator.requests.at(-1)?.body?.stream, true);
    });
  }
});
