import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { toUpstreamRequest } from "../translate/to-upstream-request.ts";
import { RestShapeError } from "./json-reader.ts";
import { restRequestToContract } from "./rest-request.ts";

const noHeaders = { get: () => null };

/** What the gateway sends Vertex for a REST body (the upstream client adds `stream` itself). */
function throughGateway(body: Record<string, unknown>) {
  const { request } = restRequestToContract(body, noHeaders);
  return toUpstreamRequest(request, {
    upstreamModel: request.model,
    googleFieldsPlacement: "extra_body",
    defaultThoughtMarker: "vertexchat-thought",
  }).body;
}

const signature = Buffer.from("a signature of the model").toString("base64");

const bodies: Record<string, Record<string, unknown>> = {
  "plain text": { model: "google/gemini-2.5-flash", messages: [{ role: "user", content: "Hello" }] },
  "every sampling field": {
    model: "google/gemini-2.5-flash",
    messages: [
      { role: "system", content: "Be brief" },
      { role: "user", content: "Hi" },
    ],
    temperature: 0.3,
    top_p: 0.9,
    max_completion_tokens: 100,
    n: 2,
    stop: ["END", "STOP"],
    seed: 7,
    presence_penalty: 0.5,
    frequency_penalty: -0.5,
    reasoning_effort: "low",
    modalities: ["text", "image"],
    web_search_options: {},
  },
  "media of every form Google documents": {
    model: "google/gemini-2.5-flash",
    messages: [
      {
        role: "user",
        content: [
          { type: "text", text: "Look" },
          { type: "image_url", image_url: { url: "gs://bucket/cat.jpg", detail: "high" } },
          { type: "image_url", image_url: { url: `data:image/png;base64,${Buffer.from("png").toString("base64")}` } },
          {
            type: "image_url",
            image_url: { url: `data:application/pdf;base64,${Buffer.from("pdf").toString("base64")}` },
          },
          { type: "input_audio", input_audio: { data: "gs://bucket/talk.mp3", format: "audio/mp3" } },
          { type: "input_audio", input_audio: { data: "gs://bucket/paper.pdf", format: "application/pdf" } },
        ],
      },
    ],
  },
  "tools, a signed call, its result with extra parts, and thought-flagged parts": {
    model: "google/gemini-3-pro-preview",
    messages: [
      { role: "user", content: "Weather?" },
      {
        role: "assistant",
        tool_calls: [
          {
            id: "function-call-1",
            type: "function",
            function: { name: "get_weather", arguments: '{"city":"Paris"}' },
            extra_content: { google: { thought_signature: signature } },
          },
        ],
      },
      {
        role: "tool",
        tool_call_id: "function-call-1",
        content: '{"sunny":true}',
        extra_content: {
          google: {
            parts: [
              { file_data: { mime_type: "image/jpeg", file_uri: "gs://bucket/sky.jpg", display_name: "sky.jpg" } },
            ],
          },
        },
      },
      {
        role: "assistant",
        content: [
          {
            type: "text",
            text: "thinking",
            extra_content: { google: { thought: true, thought_signature: signature } },
          },
          { type: "text", text: "It is sunny" },
        ],
        extra_content: { google: { thought_signature: signature } },
      },
      { role: "user", content: "Thanks" },
    ],
    tools: [
      {
        type: "function",
        function: {
          name: "get_weather",
          description: "Weather of a city",
          parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
        },
      },
    ],
    tool_choice: { type: "function", function: { name: "get_weather" } },
  },
  "response_format json_schema": {
    model: "google/gemini-2.5-flash",
    messages: [{ role: "user", content: "JSON" }],
    response_format: {
      type: "json_schema",
      json_schema: { name: "city", description: "a city", schema: { type: "object" }, strict: true },
    },
  },
  "every Gemini option in extra_body.google": {
    model: "google/gemini-2.5-flash",
    messages: [{ role: "user", content: "Think" }],
    extra_body: {
      google: {
        thinking_config: { thinking_budget: 1024, include_thoughts: true },
        safety_settings: [{ category: "HARM_CATEGORY_HATE_SPEECH", threshold: "BLOCK_ONLY_HIGH" }],
        cached_content: "projects/p/locations/us-central1/cachedContents/c1",
        thought_tag_marker: "think",
        stream_function_call_arguments: true,
        media_resolution: "MEDIA_RESOLUTION_LOW",
      },
    },
  },
  "Gemini 3's thinking level": {
    model: "google/gemini-3-pro-preview",
    messages: [{ role: "user", content: "Think" }],
    tool_choice: "required",
    extra_body: { google: { thinking_config: { thinking_level: "HIGH" } } },
  },
};

describe("a REST body reaches Vertex as the caller wrote it", () => {
  for (const [name, body] of Object.entries(bodies)) {
    test(name, () => {
      assert.deepEqual(throughGateway(body), body);
    });
  }

  test("Google's bare-string image_url and OpenAI's max_tokens reach Vertex in their documented forms", () => {
    const sent = throughGateway({
      model: "google/gemini-2.5-flash",
      max_tokens: 50,
      messages: [{ role: "user", content: [{ type: "image_url", image_url: "gs://bucket/cat.jpg" }] }],
    });
    assert.deepEqual(sent.messages[0]?.content, [{ type: "image_url", image_url: { url: "gs://bucket/cat.jpg" } }]);
    assert.equal(sent.max_completion_tokens, 50);
  });

  test("an answer message appended to the history as the SDK returned it is accepted; its reasoning and name are not resent", () => {
    const sent = throughGateway({
      model: "google/gemini-2.5-flash",
      messages: [
        { role: "user", content: "Hi" },
        {
          role: "assistant",
          content: "Hello",
          name: "helper",
          reasoning_content: "greeting back",
          refusal: null,
          audio: null,
          function_call: null,
          annotations: [],
          parsed: null,
        },
        { role: "user", content: "Again" },
      ],
    });
    assert.deepEqual(sent.messages[1], { role: "assistant", content: "Hello" });
  });

  test("stream and the Priority PayGo header", () => {
    const headers = { get: (name: string) => (name === "x-vertex-ai-llm-shared-request-type" ? "priority" : null) };
    const { request, stream } = restRequestToContract(
      { model: "m", stream: true, stream_options: { include_usage: true }, messages: [{ role: "user", content: "x" }] },
      headers,
    );
    assert.equal(stream, true);
    assert.equal(request.google?.trafficTier, 1);
  });
});

describe("a REST body of the wrong shape is refused naming the field and the fix", () => {
  const cases: [string, Record<string, unknown>, string, RegExp][] = [
    ["an unknown top-level key", { messages: [], bogus: 1 }, "bogus", /unknown field "bogus"; known: model, messages/],
    ["no messages", { model: "m" }, "messages", /is required/],
    [
      "an unknown role",
      { messages: [{ role: "wizard", content: "x" }] },
      "messages[0].role",
      /"wizard" is not one of system, developer, user/,
    ],
    [
      "an unknown part type",
      { messages: [{ role: "user", content: [{ type: "video_url" }] }] },
      "messages[0].content[0].type",
      /not one of text, image_url, input_audio, file/,
    ],
    [
      "temperature as a string",
      { temperature: "hot", messages: [] },
      "temperature",
      /must be a number, not string "hot"/,
    ],
    [
      "invalid base64",
      { messages: [{ role: "user", content: [{ type: "image_url", image_url: "data:image/png;base64,@@@" }] }] },
      "messages[0].content[0].image_url.url",
      /not valid base64/,
    ],
    [
      "an unknown key in extra_body.google",
      { messages: [], extra_body: { google: { labels: {} } } },
      "extra_body.google.labels",
      /unknown field "labels"/,
    ],
    ["logprobs asked for", { messages: [], logprobs: true }, "logprobs", /no log probabilities/],
    [
      "one tool call at a time asked for",
      { messages: [], parallel_tool_calls: false },
      "parallel_tool_calls",
      /cannot be told/,
    ],
    ["disagreeing token limits", { messages: [], max_tokens: 5, max_completion_tokens: 6 }, "max_tokens", /disagree/],
    [
      "a Files API id",
      { messages: [{ role: "user", content: [{ type: "file", file: { file_id: "f1" } }] }] },
      "messages[0].content[0].file.file_id",
      /no Files API/,
    ],
    [
      "an audio format that is no MIME type",
      {
        messages: [{ role: "user", content: [{ type: "input_audio", input_audio: { data: "AAAA", format: "flac" } }] }],
      },
      "messages[0].content[0].input_audio.format",
      /not wav, mp3 or a MIME type/,
    ],
  ];
  for (const [name, body, field, message] of cases) {
    test(name, () => {
      assert.throws(
        () => restRequestToContract({ model: "m", ...body }, noHeaders),
        (err: unknown) =>
          err instanceof RestShapeError && err.violation.field === field && message.test(err.violation.description),
      );
    });
  }
});
