import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError } from "@connectrpc/connect";
import { ResponseBuilder } from "vertexchat/client";
import {
  type ChatCompletionRequest,
  type ChatCompletionResponse,
  FinishReason,
} from "../gen/vertexchat/v1/chat_service_pb.ts";
import { MessageSchema, Role } from "../gen/vertexchat/v1/content_pb.ts";
import { userRequest } from "./support/requests.ts";
import { type Stack, startStack } from "./support/stack.ts";

const WEATHER_TOOL = {
  kind: {
    case: "function" as const,
    value: {
      name: "get_weather",
      description: "Current weather in a city",
      parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
    },
  },
};

function toolResults(response: ChatCompletionResponse) {
  const assistant = response.choices[0]?.message;
  assert.ok(assistant);
  return [
    assistant,
    ...assistant.toolCalls.map((call) =>
      create(MessageSchema, {
        role: Role.TOOL,
        toolCallId: call.id,
        content: [{ kind: { case: "text", value: `{"temp_c":${call.arguments.length}}` } }],
      }),
    ),
  ];
}

function followUp(first: ChatCompletionRequest, response: ChatCompletionResponse): ChatCompletionRequest {
  const next = userRequest("", { model: first.model, tools: first.tools });
  next.messages = [...first.messages, ...toolResults(response)];
  return next;
}

describe("multi-turn tool calling with Gemini 3 thought signatures", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  const first = userRequest("Weather in Oslo and Rome? [[emulate tools=2]]", {
    model: "google/gemini-3.1-pro-preview",
    tools: [WEATHER_TOOL],
  });

  test("parallel tool calls come back with ids, exact arguments and the first call's signature", async () => {
    const res = await stack.client("grpc").createChatCompletion(first);
    const calls = res.choices[0]?.message?.toolCalls ?? [];
    assert.equal(res.choices[0]?.finishReason, FinishReason.TOOL_CALLS);
    assert.equal(calls.length, 2);
    assert.match(calls[0]?.id ?? "", /^function-call-[0-9a-f-]{36}$/);
    assert.deepEqual(JSON.parse(calls[0]?.arguments ?? ""), { city: "Weather in Oslo and Rome?" });
    assert.equal(calls[0]?.thoughtSignature.length, 48);
    assert.equal(calls[1]?.thoughtSignature.length, 0);
  });

  test("sending the assistant message back unchanged is accepted by Gemini 3's signature check", async () => {
    const client = stack.client("grpc");
    const res = await client.createChatCompletion(first);
    const answer = await client.createChatCompletion(followUp(first, res));
    assert.match(
      String(answer.choices[0]?.message?.content[0]?.kind.value),
      /^Tool results: \{"temp_c":\d+\} \| \{"temp_c":\d+\}$/,
    );
    assert.equal(answer.choices[0]?.message?.thoughtSignature.length, 48);
  });

  test("a message rebuilt from a stream with streamed arguments round-trips the same way", async () => {
    const client = stack.client("connect");
    const streamed = userRequest("Weather in Oslo and Rome? [[emulate tools=2]]", {
      model: "google/gemini-3.1-pro-preview",
      tools: [WEATHER_TOOL],
      google: { streamFunctionCallArguments: true },
    });
    const builder = new ResponseBuilder();
    for await (const event of client.streamChatCompletion(streamed)) builder.add(event);
    const rebuilt = builder.build();
    const unary = await client.createChatCompletion(first);
    assert.deepEqual(rebuilt.choices[0]?.message?.toolCalls, unary.choices[0]?.message?.toolCalls);
    const answer = await client.createChatCompletion(followUp(streamed, rebuilt));
    assert.match(String(answer.choices[0]?.message?.content[0]?.kind.value), /^Tool results:/);
  });

  for (const [what, mutate, message] of [
    ["dropped", (s: Uint8Array) => s.subarray(0, 0), /is missing a `thought_signature`/],
    ["altered", (s: Uint8Array) => Uint8Array.from(s, (b, i) => (i === 0 ? b ^ 1 : b)), /Corrupted thought signature/],
  ] as const) {
    test(`a ${what} signature is refused with Vertex's 400 as INVALID_ARGUMENT`, async () => {
      const client = stack.client("grpc");
      const res = await client.createChatCompletion(first);
      const call = res.choices[0]?.message?.toolCalls[0];
      assert.ok(call);
      call.thoughtSignature = mutate(call.thoughtSignature);
      const err = await client.createChatCompletion(followUp(first, res)).then(
        () => assert.fail("expected a rejection"),
        (e: unknown) => ConnectError.from(e),
      );
      assert.equal(err.code, Code.InvalidArgument);
      assert.match(err.rawMessage, message);
    });
  }
});

describe("thoughts are typed content, never mixed into the answer", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  const request = userRequest("Why is the sky blue? [[emulate chunk_chars=5]]", {
    google: { thinkingConfig: { includeThoughts: true, thinkingBudget: 512 } },
  });

  test("unary: asking for thoughts without a marker still separates them", async () => {
    const res = await stack.client().createChatCompletion(request);
    assert.deepEqual(
      res.choices[0]?.message?.content.map((p) => [p.thought, p.kind.value]),
      [
        [true, 'Thinking about "Why is the sky blue?" (choice 0).'],
        [false, "Emulated google/gemini-2.5-flash says: Why is the sky blue?"],
      ],
    );
    assert.ok((res.usage?.reasoningTokens ?? 0) > 0);
    assert.equal(
      res.usage?.totalTokens,
      (res.usage?.promptTokens ?? 0) + (res.usage?.completionTokens ?? 0) + (res.usage?.reasoningTokens ?? 0),
    );
  });

  test("stream: tags split across 5-character chunks never leak into the answer", async () => {
    const builder = new ResponseBuilder();
    const texts: string[] = [];
    for await (const event of stack.client("grpc").streamChatCompletion(request)) {
      builder.add(event);
      if (event.event.case === "delta" && event.event.value.delta.case === "text")
        texts.push(event.event.value.delta.value);
    }
    assert.ok(!texts.join("").includes("vertexchat_thought"));
    const unary = await stack.client().createChatCompletion(request);
    const rebuilt = builder.build();
    rebuilt.created = unary.created;
    // Two answers: their ids differ (unique per response, as Vertex\'s); everything else must not.
    rebuilt.id = unary.id;
    assert.deepEqual(rebuilt, unary);
  });
});
