import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { create } from "@bufbuild/protobuf";
import type { ChatCompletionRequest, ChatCompletionResponse } from "../gen/vertexchat/v1/chat_service_pb.ts";
import { FinishReason } from "../gen/vertexchat/v1/chat_service_pb.ts";
import { ContentPartSchema, Role } from "../gen/vertexchat/v1/content_pb.ts";
import { Modality } from "../gen/vertexchat/v1/options_pb.ts";
import { ResponseBuilder } from "../src/translate/response-builder.ts";
import { userRequest } from "./support/requests.ts";
import { type Stack, startStack } from "./support/stack.ts";

const TOOL = {
  kind: {
    case: "function" as const,
    value: { name: "lookup", parameters: { type: "object", properties: { q: { type: "string" } } } },
  },
};

describe("every Vertex behaviour reaches the caller, unary and streamed alike", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  /** Calls both RPCs and checks the stream rebuilds to the unary answer; returns the unary one. */
  async function both(request: ChatCompletionRequest): Promise<ChatCompletionResponse> {
    const client = stack.client("grpc");
    const unary = await client.createChatCompletion(request);
    const builder = new ResponseBuilder();
    for await (const event of client.streamChatCompletion(request)) builder.add(event);
    const rebuilt = builder.build();
    rebuilt.created = unary.created;
    // Two answers: their ids differ (unique per response, as Vertex\'s); everything else must not.
    rebuilt.id = unary.id;
    assert.deepEqual(rebuilt, unary);
    return unary;
  }

  test("a generated image (Vertex's message.audio) is an image part with its bytes", async () => {
    const res = await both(
      userRequest("a cat", { model: "google/gemini-3-pro-image-preview", modalities: [Modality.IMAGE] }),
    );
    const part = res.choices[0]?.message?.content[0];
    assert.equal(part?.kind.case, "image");
    if (part?.kind.case !== "image") return;
    assert.equal(part.kind.value.mimeType, "image/png");
    assert.deepEqual([...(part.kind.value.source.value as Uint8Array).subarray(1, 4)], [...Buffer.from("PNG")]);
    assert.equal(res.choices[0]?.message?.thoughtSignature.length, 48);
  });

  test("a safety block (content null) is CONTENT_FILTER with no text", async () => {
    const res = await both(userRequest("[[emulate safety_block]]"));
    assert.equal(res.choices[0]?.finishReason, FinishReason.CONTENT_FILTER);
    assert.deepEqual(res.choices[0]?.message?.content, []);
  });

  test("an unknown finish reason is OTHER with the verbatim string", async () => {
    const res = await both(userRequest("[[emulate finish=MALFORMED_FUNCTION_CALL]]"));
    assert.equal(res.choices[0]?.finishReason, FinishReason.OTHER);
    assert.equal(res.choices[0]?.upstreamFinishReason, "MALFORMED_FUNCTION_CALL");
  });

  test("the token limit gives LENGTH and a cut answer", async () => {
    const res = await both(userRequest("[[emulate words=30]]", { maxCompletionTokens: 5 }));
    assert.equal(res.choices[0]?.finishReason, FinishReason.LENGTH);
    assert.equal(res.choices[0]?.message?.content[0]?.kind.value, "w1 w2 w3 w4 w5");
  });

  test("older models' function-name ids: two calls sharing an id stay two calls", async () => {
    const res = await both(userRequest("find [[emulate tools=2 name_as_id]]", { tools: [TOOL] }));
    const calls = res.choices[0]?.message?.toolCalls ?? [];
    assert.deepEqual(
      calls.map((c) => [c.id, JSON.parse(c.arguments)]),
      [
        ["lookup", { q: "find" }],
        ["lookup", { q: "find #2" }],
      ],
    );
  });

  test("thoughts flagged on stream deltas become thought parts", async () => {
    const client = stack.client("connect");
    const builder = new ResponseBuilder();
    const request = userRequest("why? [[emulate thoughts thought_flag]]");
    for await (const e of client.streamChatCompletion(request)) builder.add(e);
    assert.deepEqual(
      builder.build().choices[0]?.message?.content.map((p) => [p.thought, p.kind.value]),
      [
        [true, 'Thinking about "why?" (choice 0).'],
        [false, "Emulated google/gemini-2.5-flash says: why?"],
      ],
    );
  });

  test("n choices come back as n choices, in order", async () => {
    const res = await both(userRequest("pick", { n: 3 }));
    assert.deepEqual(
      res.choices.map((c) => [c.index, c.message?.content[0]?.kind.value]),
      [
        [0, "Emulated google/gemini-2.5-flash says: pick"],
        [1, "Emulated google/gemini-2.5-flash says: pick (choice 1)"],
        [2, "Emulated google/gemini-2.5-flash says: pick (choice 2)"],
      ],
    );
  });

  test("media of every kind reaches Vertex in the documented form", async () => {
    const request = userRequest("describe");
    request.messages[0]?.content.unshift(
      create(ContentPartSchema, {
        kind: {
          case: "image",
          value: { source: { case: "data", value: new Uint8Array([137, 80]) }, mimeType: "image/png" },
        },
      }),
      create(ContentPartSchema, {
        kind: {
          case: "document",
          value: { source: { case: "uri", value: "gs://b/report.pdf" }, mimeType: "application/pdf" },
        },
      }),
    );
    assert.equal(request.messages[0]?.role, Role.USER);
    await stack.client("grpc").createChatCompletion(request);
    assert.deepEqual(stack.emulator.requests.at(-1)?.body?.messages[0]?.content, [
      { type: "image_url", image_url: { url: "data:image/png;base64,iVA=" } },
      { type: "input_audio", input_audio: { data: "gs://b/report.pdf", format: "application/pdf" } },
      { type: "text", text: "describe" },
    ]);
  });
});
