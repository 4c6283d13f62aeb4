/**
 * The emulated models behave like their namesakes where tests depend on it (README "How the emulated models
 * behave"): which models think unasked, how budgets, efforts and levels change reasoning tokens, JSON answers that
 * follow the requested schema, tool-call signatures per generation, agent loops, cached tokens and the priority
 * tier. Checked on the emulator directly and through the gateway.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { Ajv2020 } from "ajv/dist/2020.js";
import OpenAI from "openai";
import { ResponseBuilder } from "vertexchat/client";
import {
  type ChatCompletionRequest,
  ChatCompletionRequestSchema,
  type ChatCompletionResponse,
} from "../gen/vertexchat/v1/chat_service_pb.ts";
import { MessageSchema, Role } from "../gen/vertexchat/v1/content_pb.ts";
import { ReasoningEffort, TrafficTier } from "../gen/vertexchat/v1/options_pb.ts";
import { startEmulator } from "../src/emulator/emulator-server.ts";
import { userRequest } from "./support/requests.ts";
import { type Stack, startStack } from "./support/stack.ts";

type Emulator = Awaited<ReturnType<typeof startEmulator>>;
interface WireAnswer {
  choices: { message: { content: string | null; tool_calls?: { function: { name: string } }[] } & object }[];
  usage: { prompt_tokens: number; completion_tokens: number; total_tokens: number } & {
    completion_tokens_details?: { reasoning_tokens: number };
  };
}

describe("emulated models think as their namesakes do", () => {
  let emulator: Emulator;
  before(async () => {
    emulator = await startEmulator();
  });
  after(() => emulator.close());

  const ask = async (body: object, location = "us-central1"): Promise<WireAnswer> => {
    const res = await fetch(
      `${emulator.origin}/v1/projects/p/locations/${location}/endpoints/openapi/chat/completions`,
      {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer t" },
        body: JSON.stringify({ messages: [{ role: "user", content: "Why is the sky blue?" }], ...body }),
      },
    );
    const answer = (await res.json()) as WireAnswer;
    assert.equal(res.status, 200, JSON.stringify(answer));
    return answer;
  };
  const reasoning = async (body: object, location?: string) =>
    (await ask(body, location)).usage.completion_tokens_details?.reasoning_tokens ?? 0;

  test("Gemini 2.5 Flash and Pro and Gemini 3 think unasked; 2.0 Flash and 2.5 Flash-Lite do not", async () => {
    assert.ok((await reasoning({ model: "google/gemini-2.5-flash" })) > 0);
    assert.ok((await reasoning({ model: "google/gemini-2.5-pro" })) > 0);
    assert.ok((await reasoning({ model: "google/gemini-3-flash-preview" }, "global")) > 0);
    assert.equal(await reasoning({ model: "google/gemini-2.0-flash" }), 0);
    assert.equal(await reasoning({ model: "google/gemini-2.5-flash-lite" }), 0);
  });

  test("reasoning_effort low < medium < high, and none turns thinking off", async () => {
    const model = "google/gemini-2.5-flash";
    const [none, low, medium, high] = await Promise.all(
      ["none", "low", "medium", "high"].map((effort) => reasoning({ model, reasoning_effort: effort })),
    );
    assert.equal(none, 0);
    assert.ok(0 < (low ?? 0) && (low ?? 0) < (medium ?? 0) && (medium ?? 0) < (high ?? 0), `${low} ${medium} ${high}`);
  });

  test("a larger thinking_budget spends more reasoning tokens; 0 spends none; -1 is the default", async () => {
    const model = "google/gemini-2.5-flash";
    const budget = (thinking_budget: number) =>
      reasoning({ model, extra_body: { google: { thinking_config: { thinking_budget } } } });
    const [zero, small, large, dynamic, unasked] = await Promise.all([
      budget(0),
      budget(1024),
      budget(16384),
      budget(-1),
      reasoning({ model }),
    ]);
    assert.equal(zero, 0);
    assert.ok(0 < (small ?? 0) && (small ?? 0) < (large ?? 0));
    assert.equal(dynamic, unasked);
  });

  test("Gemini 3 thinking levels are ordered MINIMAL < LOW < MEDIUM < HIGH", async () => {
    const counts = await Promise.all(
      ["MINIMAL", "LOW", "MEDIUM", "HIGH"].map((thinking_level) =>
        reasoning(
          { model: "google/gemini-3-pro-preview", extra_body: { google: { thinking_config: { thinking_level } } } },
          "global",
        ),
      ),
    );
    for (let i = 1; i < counts.length; i++) assert.ok((counts[i - 1] ?? 0) < (counts[i] ?? 0), counts.join(" "));
  });

  test("Vertex counting: total = prompt + completion + reasoning", async () => {
    const { usage } = await ask({ model: "google/gemini-2.5-pro", reasoning_effort: "high" });
    const thought = usage.completion_tokens_details?.reasoning_tokens ?? 0;
    assert.ok(thought > 0);
    assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens + thought);
  });

  test("Gemini 2.5 signs its first tool call only in a turn it thought in", async () => {
    const tools = [{ type: "function", function: { name: "lookup", parameters: { type: "object", properties: {} } } }];
    const signed = await ask({ model: "google/gemini-2.5-flash", tools });
    const unsigned = await ask({ model: "google/gemini-2.5-flash", tools, reasoning_effort: "none" });
    const signatureOf = (a: WireAnswer) =>
      (a.choices[0]?.message.tool_calls?.[0] as { extra_content?: { google?: { thought_signature?: string } } })
        ?.extra_content?.google?.thought_signature;
    assert.equal(typeof signatureOf(signed), "string");
    assert.equal(signatureOf(unsigned), undefined);
  });
});

describe("JSON answers follow the requested response_format", () => {
  let emulator: Emulator;
  let openai: OpenAI;
  before(async () => {
    emulator = await startEmulator();
    openai = new OpenAI({
      apiKey: "t",
      baseURL: `${emulator.origin}/v1/projects/p/locations/us-central1/endpoints/openapi`,
    });
  });
  after(() => emulator.close());

  const schema = {
    type: "object",
    properties: {
      title: { type: "string", minLength: 3 },
      rating: { type: "integer", minimum: 1, maximum: 5 },
      tags: { type: "array", items: { type: "string" }, minItems: 2, uniqueItems: true },
      mood: { enum: ["happy", "sad"] },
      author: { $ref: "#/$defs/person" },
      link: { anyOf: [{ type: "null" }, { type: "string", format: "uri" }] },
      when: { type: "string", format: "date-time" },
    },
    required: ["title", "rating", "tags", "mood", "author", "link", "when"],
    additionalProperties: false,
    $defs: {
      person: {
        type: "object",
        properties: { name: { type: "string" }, born: { type: "number", exclusiveMinimum: 1900 } },
        required: ["name", "born"],
      },
    },
  };

  test("the OpenAI SDK's parse() gets an object that validates against a nested json_schema", async () => {
    const completion = await openai.chat.completions.parse({
      model: "google/gemini-2.5-flash",
      messages: [{ role: "user", content: "Review a book" }],
      response_format: { type: "json_schema", json_schema: { name: "review", schema, strict: true } },
    });
    const parsed = completion.choices[0]?.message.parsed;
    const validate = new Ajv2020({ strict: false, validateFormats: false }).compile(schema);
    assert.ok(validate(parsed), JSON.stringify(validate.errors));
  });

  test("json_object gives a JSON object, streamed or not, the same text both ways", async () => {
    const body = {
      model: "google/gemini-2.5-flash",
      messages: [{ role: "user" as const, content: "Say hi [[emulate chunk_chars=4]]" }],
      response_format: { type: "json_object" as const },
    };
    const unary = await openai.chat.completions.create(body);
    const text = unary.choices[0]?.message.content ?? "";
    assert.equal(typeof JSON.parse(text), "object");
    let streamed = "";
    for await (const chunk of await openai.chat.completions.create({ ...body, stream: true })) {
      streamed += chunk.choices[0]?.delta.content ?? "";
    }
    assert.equal(streamed, text);
  });
});

const WEATHER = {
  kind: {
    case: "function" as const,
    value: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } },
  },
};
const TIME = {
  kind: {
    case: "function" as const,
    value: { name: "get_time", parameters: { type: "object", properties: { zone: { type: "string" } } } },
  },
};

/** The next request of an agent loop: the whole conversation, plus the answer and one result per tool call. */
function withToolResults(request: ChatCompletionRequest, response: ChatCompletionResponse): ChatCompletionRequest {
  const assistant = response.choices[0]?.message;
  assert.ok(assistant);
  const next = create(ChatCompletionRequestSchema, {
    model: request.model,
    tools: request.tools,
    messages: [...request.messages, assistant],
  });
  for (const call of assistant.toolCalls) {
    next.messages.push(
      create(MessageSchema, {
        role: Role.TOOL,
        toolCallId: call.id,
        content: [{ kind: { case: "text", value: `{"${call.name}":"ok"}` } }],
      }),
    );
  }
  return next;
}

describe("through the gateway", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  test("a three-step agent loop with Gemini 3 calls each offered tool in turn, keeping signatures", async () => {
    const client = stack.client("grpc");
    let request = userRequest("Weather and time in Oslo", {
      model: "google/gemini-3-pro-preview",
      tools: [WEATHER, TIME],
    });
    const called: string[] = [];
    let response = await client.createChatCompletion(request);
    while (response.choices[0]?.message?.toolCalls.length) {
      const calls = response.choices[0].message.toolCalls;
      assert.equal(calls[0]?.thoughtSignature.length, 48, "Gemini 3 signs the first call of each step");
      called.push(...calls.map((c) => c.name));
      assert.ok(called.length <= 2, `the loop ends: ${called.join(", ")}`);
      request = withToolResults(request, response);
      response = await client.createChatCompletion(request);
    }
    assert.deepEqual(called, ["get_weather", "get_time"]);
    assert.equal(
      response.choices[0]?.message?.content[0]?.kind.value,
      'Tool results: {"get_weather":"ok"} | {"get_time":"ok"}',
    );
    assert.equal(response.choices[0]?.message?.thoughtSignature.length, 48);
  });

  test("a streamed answer with thinking rebuilds to the unary answer's usage", async () => {
    const client = stack.client("connect");
    const request = userRequest("Think it over", { reasoningEffort: ReasoningEffort.MEDIUM });
    const builder = new ResponseBuilder();
    for await (const event of client.streamChatCompletion(request)) builder.add(event);
    const unary = await client.createChatCompletion(request);
    assert.ok((unary.usage?.reasoningTokens ?? 0) > 0);
    assert.deepEqual(builder.build().usage, unary.usage);
  });

  test("a request with cached content is sent to the cache's region and reports cached tokens", async () => {
    const res = await stack.client().createChatCompletion(
      userRequest("Summarise the cached report", {
        google: { cachedContent: "projects/p/locations/europe-west4/cachedContents/c1" },
      }),
    );
    assert.equal(res.usage?.cachedTokens, 1024);
    assert.ok((res.usage?.promptTokens ?? 0) > 1024);
    assert.equal(stack.emulator.requests.at(-1)?.location, "europe-west4");
  });

  test("priority traffic reaches Vertex with its header and comes back as ON_DEMAND_PRIORITY", async () => {
    const res = await stack.client().createChatCompletion(
      userRequest("Urgent", {
        model: "google/gemini-3-flash-preview",
        google: { trafficTier: TrafficTier.PRIORITY },
      }),
    );
    assert.equal(res.usage?.trafficType, "ON_DEMAND_PRIORITY");
    const seen = stack.emulator.requests.at(-1);
    assert.equal(seen?.requestType, "priority");
    assert.equal(seen?.location, "global");
  });

  test("standard traffic sends no tier header and comes back as ON_DEMAND", async () => {
    const res = await stack.client().createChatCompletion(userRequest("Not urgent"));
    assert.equal(res.usage?.trafficType, "ON_DEMAND");
    assert.equal(stack.emulator.requests.at(-1)?.requestType, undefined);
  });
});
