import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { ChatCompletionStreamResponseSchema } from "../../gen/vertexchat/v1/chat_service_pb.ts";
import { ResponseBuilder } from "../translate/response-builder.ts";
import { RestChunkWriter, responseToRest } from "./rest-response.ts";

type Event = Parameters<ResponseBuilder["add"]>[0];
const started: Event = create(ChatCompletionStreamResponseSchema, {
  event: { case: "started", value: { id: "abc", model: "google/gemini-2.5-flash", created: 1700000000n } },
});
const delta = (value: Record<string, unknown>, choiceIndex = 0): Event =>
  create(ChatCompletionStreamResponseSchema, {
    event: { case: "delta", value: { choiceIndex, delta: value as never } },
  });
const finished = (upstreamFinishReason = "stop"): Event =>
  create(ChatCompletionStreamResponseSchema, {
    event: {
      case: "finished",
      value: {
        choices: [{ index: 0, finishReason: 1, upstreamFinishReason }],
        usage: { promptTokens: 3, completionTokens: 4, reasoningTokens: 5, totalTokens: 12, trafficType: "ON_DEMAND" },
      },
    },
  });

const thinkingAnswer = [
  started,
  delta({ case: "thought", value: "Let me " }),
  delta({ case: "thought", value: "think." }),
  delta({ case: "text", value: "The answer" }),
  delta({ case: "text", value: " is 4." }),
  delta({ case: "thoughtSignature", value: new Uint8Array([1, 2, 3]) }),
  finished(),
];

function whole(events: Event[]) {
  const builder = new ResponseBuilder();
  for (const e of events) builder.add(e);
  return builder.build();
}

function streamed(events: Event[], marker: string | undefined) {
  const writer = new RestChunkWriter({ thoughtMarker: marker });
  return events.flatMap((e) => writer.chunks(e)) as {
    choices: { delta: Record<string, unknown>; finish_reason?: string }[];
    usage?: unknown;
  }[];
}

describe("answers in Vertex's JSON", () => {
  test("with a marker, thoughts come tagged before the answer, as Vertex writes them", () => {
    const rest = responseToRest(whole(thinkingAnswer), { thoughtMarker: "think" }) as {
      choices: { message: Record<string, unknown> }[];
    };
    assert.deepEqual(rest.choices[0]?.message, {
      role: "assistant",
      content: "<think>Let me think.</think>The answer is 4.",
      extra_content: { google: { thought_signature: "AQID" } },
    });
  });

  test("without one, thoughts are reasoning_content and never part of content", () => {
    const rest = responseToRest(whole(thinkingAnswer), { thoughtMarker: undefined }) as {
      choices: { message: Record<string, unknown>; finish_reason: string }[];
      usage: unknown;
    };
    assert.equal(rest.choices[0]?.message.content, "The answer is 4.");
    assert.equal(rest.choices[0]?.message.reasoning_content, "Let me think.");
    assert.deepEqual(rest.usage, {
      prompt_tokens: 3,
      completion_tokens: 4,
      total_tokens: 12,
      completion_tokens_details: { reasoning_tokens: 5 },
      extra_properties: { google: { traffic_type: "ON_DEMAND" } },
    });
  });

  test("a stream's tagged thoughts open once and close before the answer, whatever the deltas", () => {
    const chunks = streamed(thinkingAnswer, "think");
    assert.equal(
      chunks.map((c) => c.choices[0]?.delta.content ?? "").join(""),
      "<think>Let me think.</think>The answer is 4.",
    );
    assert.equal(chunks.at(-1)?.choices[0]?.finish_reason, "stop");
    assert.ok(chunks.at(-1)?.usage);
    assert.ok(chunks.slice(0, -1).every((c) => c.usage === undefined));
  });

  test("a stream that ends while thinking still closes its tag", () => {
    const chunks = streamed([started, delta({ case: "thought", value: "hmm" }), finished("length")], "think");
    assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? "").join(""), "<think>hmm</think>");
    assert.equal(chunks.at(-1)?.choices[0]?.finish_reason, "length");
  });

  test("without a marker, streamed thoughts are reasoning_content deltas", () => {
    const chunks = streamed(thinkingAnswer, undefined);
    assert.equal(chunks.map((c) => c.choices[0]?.delta.reasoning_content ?? "").join(""), "Let me think.");
    assert.equal(chunks.map((c) => c.choices[0]?.delta.content ?? "").join(""), "The answer is 4.");
  });

  test("a generated image is message.audio with its MIME type and content null; Gemini's own finish reasons stay verbatim", () => {
    const image = {
      kind: {
        case: "image",
        value: { source: { case: "data", value: new Uint8Array([9, 9]) }, mimeType: "image/png" },
      },
    };
    const rest = responseToRest(whole([started, delta({ case: "part", value: image }), finished("RECITATION")]), {
      thoughtMarker: undefined,
    }) as { choices: { message: Record<string, unknown>; finish_reason: string }[] };
    assert.deepEqual(rest.choices[0]?.message, {
      role: "assistant",
      content: null,
      audio: { data: "CQk=", extra_content: { google: { mime_type: "image/png" } } },
    });
    assert.equal(rest.choices[0]?.finish_reason, "RECITATION");
  });

  test("streamed tool calls keep a dense index, their id, name and signature", () => {
    const chunks = streamed(
      [
        started,
        delta({
          case: "toolCall",
          value: { callIndex: 0, id: "c1", name: "f", arguments: '{"a"', thoughtSignature: new Uint8Array([7]) },
        }),
        delta({
          case: "toolCall",
          value: { callIndex: 0, id: "c1", name: "f", arguments: ":1}", thoughtSignature: new Uint8Array() },
        }),
        finished("tool_calls"),
      ],
      undefined,
    );
    const calls = chunks.flatMap(
      (c) => (c.choices[0]?.delta.tool_calls as Record<string, unknown>[] | undefined) ?? [],
    );
    assert.deepEqual(calls, [
      {
        index: 0,
        id: "c1",
        type: "function",
        function: { arguments: '{"a"', name: "f" },
        extra_content: { google: { thought_signature: "Bw==" } },
      },
      { index: 0, id: "c1", type: "function", function: { arguments: ":1}", name: "f" } },
    ]);
  });
});
