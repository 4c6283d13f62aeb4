import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { ChatCompletionRequestSchema } from "../../gen/vertexchat/v1/chat_service_pb.ts";
import { MediaResolution, Role } from "../../gen/vertexchat/v1/content_pb.ts";
import {
  HarmBlockThreshold,
  HarmCategory,
  Modality,
  ReasoningEffort,
  ThinkingLevel,
} from "../../gen/vertexchat/v1/options_pb.ts";
import { ToolChoiceMode } from "../../gen/vertexchat/v1/tools_pb.ts";
import { fixture05Request } from "../../test/fixtures/fixture-05.ts";
import type { WireRequest } from "../wire/vertex-wire.ts";
import { toUpstreamRequest, type UpstreamRequestOptions } from "./to-upstream-request.ts";

const OPTS: UpstreamRequestOptions = {
  upstreamModel: "google/gemini-2.5-flash",
  googleFieldsPlacement: "extra_body",
  defaultThoughtMarker: "gw_thought",
};
const user = (text: string) => ({ role: Role.USER, content: [{ kind: { case: "text" as const, value: text } }] });

function translate(
  init: MessageInitShape<typeof ChatCompletionRequestSchema>,
  opts: Partial<UpstreamRequestOptions> = {},
) {
  return toUpstreamRequest(create(ChatCompletionRequestSchema, { model: "m", ...init }), { ...OPTS, ...opts });
}

describe("contract → Vertex request", () => {
  test("sends only the model and messages when nothing else is set", () => {
    assert.deepEqual(translate({ messages: [user("hi")] }).body, {
      model: "google/gemini-2.5-flash",
      messages: [{ role: "user", content: "hi" }],
    });
  });

  test("maps system and developer roles to system, keeps multi-turn order", () => {
    const { body } = translate({
      messages: [
        { role: Role.SYSTEM, content: [{ kind: { case: "text", value: "be brief" } }] },
        { role: Role.DEVELOPER, content: [{ kind: { case: "text", value: "use metric" } }] },
        user("q1"),
        { role: Role.ASSISTANT, content: [{ kind: { case: "text", value: "a1" } }] },
        user("q2"),
      ],
    });
    assert.deepEqual(body.messages, [
      { role: "system", content: "be brief" },
      { role: "system", content: "use metric" },
      { role: "user", content: "q1" },
      { role: "assistant", content: "a1" },
      { role: "user", content: "q2" },
    ]);
  });

  const parameterCases: [string, MessageInitShape<typeof ChatCompletionRequestSchema>, Partial<WireRequest>][] = [
    ["temperature 0 is sent (presence, not truthiness)", { temperature: 0 }, { temperature: 0 }],
    ["top_p", { topP: 0.5 }, { top_p: 0.5 }],
    ["max_completion_tokens", { maxCompletionTokens: 64 }, { max_completion_tokens: 64 }],
    ["n", { n: 2 }, { n: 2 }],
    ["stop", { stop: ["END", "\n\n"] }, { stop: ["END", "\n\n"] }],
    ["seed", { seed: 42 }, { seed: 42 }],
    ["penalties", { presencePenalty: -0.5, frequencyPenalty: 1.5 }, { presence_penalty: -0.5, frequency_penalty: 1.5 }],
    ["reasoning_effort none", { reasoningEffort: ReasoningEffort.NONE }, { reasoning_effort: "none" }],
    ["reasoning_effort high", { reasoningEffort: ReasoningEffort.HIGH }, { reasoning_effort: "high" }],
    ["modalities", { modalities: [Modality.TEXT, Modality.IMAGE] }, { modalities: ["text", "image"] }],
    ["web search", { webSearchOptions: {} }, { web_search_options: {} }],
    [
      "response_format text",
      { responseFormat: { format: { case: "text", value: {} } } },
      { response_format: { type: "text" } },
    ],
    [
      "response_format json_object",
      { responseFormat: { format: { case: "jsonObject", value: {} } } },
      { response_format: { type: "json_object" } },
    ],
    [
      "response_format json_schema with strict",
      {
        responseFormat: {
          format: {
            case: "jsonSchema",
            value: { name: "city", schema: { type: "object", properties: { name: { type: "string" } } }, strict: true },
          },
        },
      },
      {
        response_format: {
          type: "json_schema",
          json_schema: {
            name: "city",
            schema: { type: "object", properties: { name: { type: "string" } } },
            strict: true,
          },
        },
      },
    ],
    [
      "tool_choice auto",
      { toolChoice: { choice: { case: "mode", value: ToolChoiceMode.AUTO } } },
      { tool_choice: "auto" },
    ],
    [
      "tool_choice none",
      { toolChoice: { choice: { case: "mode", value: ToolChoiceMode.NONE } } },
      { tool_choice: "none" },
    ],
    [
      "tool_choice required",
      { toolChoice: { choice: { case: "mode", value: ToolChoiceMode.REQUIRED } } },
      { tool_choice: "required" },
    ],
    [
      "tool_choice validated",
      { toolChoice: { choice: { case: "mode", value: ToolChoiceMode.VALIDATED } } },
      { tool_choice: "validated" },
    ],
    [
      "tool_choice naming one function",
      { toolChoice: { choice: { case: "functionName", value: "get_weather" } } },
      { tool_choice: { type: "function", function: { name: "get_weather" } } },
    ],
  ];
  for (const [name, init, expected] of parameterCases) {
    test(`maps ${name}`, () => {
      const { body } = translate({ messages: [user("x")], ...init });
      const { model: _m, messages: _msgs, ...rest } = body;
      assert.deepEqual(rest, expected);
    });
  }

  test("declares function tools with their JSON Schema", () => {
    const { body } = translate({
      messages: [user("x")],
      tools: [
        {
          kind: {
            case: "function",
            value: {
              name: "get_weather",
              description: "Weather now",
              parameters: { type: "object", required: ["city"] },
            },
          },
        },
      ],
    });
    assert.deepEqual(body.tools, [
      {
        type: "function",
        function: {
          name: "get_weather",
          description: "Weather now",
          parameters: { type: "object", required: ["city"] },
        },
      },
    ]);
  });

  test("sends Gemini options in extra_body.google, every field", () => {
    const { body, thoughtMarker } = translate({
      messages: [user("x")],
      google: {
        thinkingConfig: { thinkingBudget: 1024, thinkingLevel: ThinkingLevel.HIGH, includeThoughts: true },
        safetySettings: [
          { category: HarmCategory.HATE_SPEECH, threshold: HarmBlockThreshold.BLOCK_ONLY_HIGH },
          { category: HarmCategory.CIVIC_INTEGRITY, threshold: HarmBlockThreshold.OFF },
        ],
        cachedContent: "projects/p/locations/us-central1/cachedContents/42",
        thoughtTagMarker: "think",
        streamFunctionCallArguments: true,
        mediaResolution: MediaResolution.LOW,
      },
    });
    assert.equal(thoughtMarker, "think");
    assert.deepEqual(body.extra_body, {
      google: {
        thinking_config: { thinking_budget: 1024, thinking_level: "HIGH", include_thoughts: true },
        safety_settings: [
          { category: "HARM_CATEGORY_HATE_SPEECH", threshold: "BLOCK_ONLY_HIGH" },
          { category: "HARM_CATEGORY_CIVIC_INTEGRITY", threshold: "OFF" },
        ],
        cached_content: "projects/p/locations/us-central1/cachedContents/42",
        thought_tag_marker: "think",
        stream_function_call_arguments: true,
        media_resolution: "MEDIA_RESOLUTION_LOW",
      },
    });
    assert.equal(body.google, undefined);
  });

  test("places Gemini options at top level when configured so", () => {
    const { body } = translate(
      { messages: [user("x")], google: { cachedContent: "c" } },
      { googleFieldsPlacement: "top_level" },
    );
    assert.deepEqual(body.google, { cached_content: "c" });
    assert.equal(body.extra_body, undefined);
  });

  test("sets its own thought marker when thoughts are asked for without one", () => {
    const { body, thoughtMarker } = translate({
      messages: [user("x")],
      google: { thinkingConfig: { includeThoughts: true } },
    });
    assert.equal(thoughtMarker, "gw_thought");
    assert.equal(body.extra_body?.google.thought_tag_marker, "gw_thought");
  });

  test("sends media: image URI, inline bytes as data URI, non-image URI as input_audio with its MIME type", () => {
    const { body } = translate({
      messages: [
        {
          role: Role.USER,
          content: [
            { kind: { case: "text", value: "look" } },
            {
              kind: { case: "image", value: { source: { case: "uri", value: "gs://b/cat.png" } } },
              mediaResolution: MediaResolution.HIGH,
            },
            {
              kind: {
                case: "image",
                value: { source: { case: "data", value: new Uint8Array([1, 2, 3]) }, mimeType: "image/png" },
              },
            },
            {
              kind: {
                case: "document",
                value: { source: { case: "uri", value: "gs://b/a.pdf" }, mimeType: "application/pdf" },
              },
            },
            {
              kind: {
                case: "audio",
                value: { source: { case: "data", value: new Uint8Array([255]) }, mimeType: "audio/wav" },
              },
            },
            {
              kind: {
                case: "video",
                value: { source: { case: "uri", value: "https://x.test/v.mp4" }, mimeType: "video/mp4" },
              },
            },
          ],
        },
      ],
    });
    assert.deepEqual(body.messages[0]?.content, [
      { type: "text", text: "look" },
      { type: "image_url", image_url: { url: "gs://b/cat.png", detail: "high" } },
      { type: "image_url", image_url: { url: "data:image/png;base64,AQID" } },
      { type: "input_audio", input_audio: { data: "gs://b/a.pdf", format: "application/pdf" } },
      { type: "image_url", image_url: { url: "data:audio/wav;base64,/w==" } },
      { type: "input_audio", input_audio: { data: "https://x.test/v.mp4", format: "video/mp4" } },
    ]);
  });

  test("rebuilds fixture 05's request (tool call with signature, tool result with file_data part) from the contract", () => {
    const { request, expectedWire } = fixture05Request();
    const { body } = toUpstreamRequest(request, { ...OPTS, upstreamModel: "google/gemini-3.1-pro-preview" });
    assert.deepEqual(body, expectedWire);
  });
});
