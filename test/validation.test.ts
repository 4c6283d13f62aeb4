import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { Code } from "@connectrpc/connect";
import { BadRequestSchema } from "../gen/google/rpc/error_details_pb.ts";
import { ChatCompletionRequestSchema } from "../gen/vertexchat/v1/chat_service_pb.ts";
import { Role } from "../gen/vertexchat/v1/content_pb.ts";
import { HarmBlockThreshold, ReasoningEffort } from "../gen/vertexchat/v1/options_pb.ts";
import { rejection } from "./support/expect-error.ts";
import { type Stack, startStack } from "./support/stack.ts";

type Init = MessageInitShape<typeof ChatCompletionRequestSchema>;
const text = (value: string) => ({ kind: { case: "text" as const, value } });
const user = (...content: NonNullable<Init["messages"]>[number]["content"] & object[]) => ({
  role: Role.USER,
  content,
});
const base: Init = { model: "google/gemini-2.5-flash", messages: [user(text("hi"))] };
const media = (kind: "image" | "audio" | "video" | "document", value: object) =>
  ({ kind: { case: kind, value } }) as never;

const CASES: [string, Init, string, RegExp][] = [
  [
    "a per-part media_resolution on a video (Vertex has no field for it)",
    {
      ...base,
      messages: [
        user({
          kind: { case: "video", value: { source: { case: "uri", value: "gs://b/clip.mp4" }, mimeType: "video/mp4" } },
          mediaResolution: 3,
        } as never),
      ],
    },
    "messages[0].content[0].media_resolution",
    /honoured on images only; for a video, set google.media_resolution for the whole request/,
  ],
  ["an empty model", { ...base, model: "" }, "model", /model: .*set model to a model from ListModels/],
  ["no messages", { ...base, messages: [] }, "messages", /send at least one message/],
  [
    "a message without a role",
    { ...base, messages: [{ content: [text("x")] }] },
    "messages[0].role",
    /set role to ROLE_USER/,
  ],
  [
    "an empty content part",
    { ...base, messages: [user({})] },
    "messages[0].content[0].kind",
    /messages\[0\]\.content\[0\]\.kind/,
  ],
  [
    "media without a source",
    { ...base, messages: [user(media("image", { mimeType: "image/png" }))] },
    "messages[0].content[0].image.source",
    /give a gs:\/\/ or https:\/\/ uri/,
  ],
  ["temperature above 2", { ...base, temperature: 2.5 }, "temperature", /temperature/],
  ["top_p above 1", { ...base, topP: 1.5 }, "top_p", /top_p/],
  ["n of 0", { ...base, n: 0 }, "n", /n: /],
  ["six stop sequences", { ...base, stop: ["a", "b", "c", "d", "e", "f"] }, "stop", /stop/],
  ["a presence penalty below -2", { ...base, presencePenalty: -3 }, "presence_penalty", /presence_penalty/],
  ["a max token count of 0", { ...base, maxCompletionTokens: 0 }, "max_completion_tokens", /max_completion_tokens/],
  [
    "reasoning_effort with a thinking config",
    { ...base, reasoningEffort: ReasoningEffort.LOW, google: { thinkingConfig: { thinkingBudget: 100 } } },
    "reasoning_effort",
    /mutually exclusive; set only one of them/,
  ],
  [
    "a thinking budget below -1",
    { ...base, google: { thinkingConfig: { thinkingBudget: -5 } } },
    "google.thinking_config.thinking_budget",
    /thinking_budget/,
  ],
  [
    "a safety setting without category",
    { ...base, google: { safetySettings: [{ threshold: HarmBlockThreshold.OFF }] } },
    "google.safety_settings[0].category",
    /category/,
  ],
  [
    "a malformed cached content name",
    { ...base, google: { cachedContent: "my-cache" } },
    "google.cached_content",
    /cached_content/,
  ],
  [
    "an image with a PDF MIME type",
    {
      ...base,
      messages: [user(media("image", { source: { case: "uri", value: "gs://b/x" }, mimeType: "application/pdf" }))],
    },
    "messages[0].content[0].image.mime_type",
    /"application\/pdf" is not a image type Vertex accepts; use one of image\/png/,
  ],
  [
    "audio by URI without a MIME type",
    { ...base, messages: [user(media("audio", { source: { case: "uri", value: "gs://b/a.mp3" } }))] },
    "messages[0].content[0].audio.mime_type",
    /mime_type is required for a audio given by uri, e.g. audio\/wav/,
  ],
  [
    "an ftp:// URI",
    {
      ...base,
      messages: [
        user(media("document", { source: { case: "uri", value: "ftp://x/y.pdf" }, mimeType: "application/pdf" })),
      ],
    },
    "messages[0].content[0].document.uri",
    /use a gs:\/\/bucket\/object URI or an https:\/\/ URL/,
  ],
  [
    "an inline image over the limit",
    {
      ...base,
      messages: [
        user(media("image", { source: { case: "data", value: new Uint8Array(2000) }, mimeType: "image/png" })),
      ],
    },
    "messages[0].content[0].image.data",
    /2000 bytes is over the 1000-byte limit for inline images; upload it to Cloud Storage/,
  ],
  [
    "a tool result that answers no tool call",
    { ...base, messages: [user(text("x")), { role: Role.TOOL, toolCallId: "call-9", content: [text("{}")] }] },
    "messages[1].tool_call_id",
    /no earlier assistant message has a tool call with id "call-9"/,
  ],
  [
    "tool parameters that are not an object schema",
    { ...base, tools: [{ kind: { case: "function", value: { name: "f", parameters: { type: "string" } } } }] },
    "tools[0].function.parameters",
    /must be a JSON Schema of an object/,
  ],
  [
    "a tool name with spaces",
    { ...base, tools: [{ kind: { case: "function", value: { name: "get weather" } } }] },
    "tools[0].function.name",
    /use 1-64 letters, digits, underscores, dots or dashes/,
  ],
  [
    "a json_schema format without a schema",
    { ...base, responseFormat: { format: { case: "jsonSchema", value: { name: "x" } } } },
    "response_format.json_schema.schema",
    /needs its JSON Schema object/,
  ],
  [
    "tool parameters that are not a JSON Schema (the path inside the schema is named)",
    {
      ...base,
      tools: [
        {
          kind: {
            case: "function",
            value: { name: "f", parameters: { type: "object", properties: "city", required: 7 } },
          },
        },
      ],
    },
    "tools[0].function.parameters.properties",
    /must be object, as a JSON Schema \(2020-12\) must be/,
  ],
  [
    "a json_schema format whose schema has a type that does not exist",
    {
      ...base,
      responseFormat: {
        format: {
          case: "jsonSchema",
          value: { name: "x", schema: { type: "object", properties: { "zip code": { type: "strin" } } } },
        },
      },
    },
    'response_format.json_schema.schema.properties["zip code"].type',
    /must be equal to one of the allowed values \("array", "boolean"/,
  ],
];

describe("invalid requests are refused at the edge with a BadRequest naming the field", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ VERTEXCHAT_MAX_INLINE_IMAGE_BYTES: "1000" });
  });
  after(() => stack.close());

  for (const [what, init, field, message] of CASES) {
    for (const rpc of ["createChatCompletion", "streamChatCompletion"] as const) {
      test(`${rpc}: ${what} → INVALID_ARGUMENT on ${field}, no upstream call`, async () => {
        const before = stack.emulator.requests.length;
        const request = create(ChatCompletionRequestSchema, init);
        const client = stack.client("grpc");
        const err = await rejection(
          rpc === "createChatCompletion"
            ? client.createChatCompletion(request)
            : (async () => {
                for await (const _ of client.streamChatCompletion(request)) assert.fail("no event expected");
              })(),
        );
        assert.equal(err.code, Code.InvalidArgument);
        assert.match(err.rawMessage, message);
        const violations = err.findDetails(BadRequestSchema)[0]?.fieldViolations ?? [];
        assert.ok(
          violations.some((v) => v.field === field && v.reason !== ""),
          `violations: ${JSON.stringify(violations.map((v) => [v.field, v.reason]))}`,
        );
        assert.equal(stack.emulator.requests.length, before);
      });
    }
  }

  test("a request over the size limit is RESOURCE_EXHAUSTED", async () => {
    const small = await startStack({ VERTEXCHAT_MAX_REQUEST_BYTES: "2048" });
    try {
      const request = create(ChatCompletionRequestSchema, { ...base, messages: [user(text("x".repeat(5000)))] });
      const err = await rejection(small.client("grpc").createChatCompletion(request));
      assert.equal(err.code, Code.ResourceExhausted);
      assert.equal(small.emulator.requests.length, 0);
    } finally {
      await small.close();
    }
  });
});
