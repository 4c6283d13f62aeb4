/**
 * The emulator refuses what Vertex refuses (README "The local Vertex emulator" lists each rule and its basis), with
 * Vertex's status and JSON-array error body, so a gateway bug that sends an invalid body fails a test.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startEmulator } from "../src/emulator/emulator-server.ts";

type Emulator = Awaited<ReturnType<typeof startEmulator>>;

describe("the emulator refuses what Vertex refuses", () => {
  let emulator: Emulator;
  before(async () => {
    emulator = await startEmulator();
  });
  after(() => emulator.close());

  const at = (location: string) =>
    `${emulator.origin}/v1/projects/p/locations/${location}/endpoints/openapi/chat/completions`;
  const send = async (body: object, { location = "us-central1", auth = "Bearer t" as string | undefined } = {}) => {
    const headers: Record<string, string> = { "content-type": "application/json" };
    if (auth) headers.authorization = auth;
    const res = await fetch(at(location), { method: "POST", headers, body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as unknown };
  };
  const user = (content: unknown) => ({ role: "user", content });
  const base = { model: "google/gemini-2.5-flash", messages: [user("hi")] };

  const refused: [string, object, RegExp, string?][] = [
    ["an unknown role", { ...base, messages: [{ role: "wizard", content: "hi" }] }, /messages\[0\]\.role/],
    ["temperature 5", { ...base, temperature: 5 }, /temperature value of 5 but the supported range is from 0/],
    ["n 9", { ...base, n: 9 }, /n value of 9/],
    ["top_p 1.5", { ...base, top_p: 1.5 }, /top_p value of 1.5/],
    ["presence_penalty 2", { ...base, presence_penalty: 2 }, /presence_penalty value of 2 .* to 2 \(exclusive\)/],
    ["reasoning_effort extreme", { ...base, reasoning_effort: "extreme" }, /reasoning_effort.*none, low, medium, high/],
    [
      "reasoning_effort none on a model that cannot stop thinking",
      { ...base, model: "google/gemini-2.5-pro", reasoning_effort: "none" },
      /thinking can't be turned off for google\/gemini-2\.5-pro/,
    ],
    [
      "a video_url part",
      { ...base, messages: [user([{ type: "video_url", video_url: { url: "gs://b/v.mp4" } }])] },
      /unsupported content part type "video_url"/,
    ],
    [
      "invalid base64 in a data URI",
      { ...base, messages: [user([{ type: "image_url", image_url: { url: "data:image/png;base64,@@@" } }])] },
      /not valid base64/,
    ],
    [
      "an unknown key in extra_body.google",
      { ...base, extra_body: { google: { thinking_budget: 10 } } },
      /Unknown name "thinking_budget" at 'extra_body\.google'/,
    ],
    [
      "an unknown safety category",
      { ...base, extra_body: { google: { safety_settings: [{ category: "HARM_CATEGORY_RUDE", threshold: "OFF" }] } } },
      /safety_settings\[0\]\.category.*HARM_CATEGORY_RUDE/,
    ],
    [
      "an unknown safety threshold",
      {
        ...base,
        extra_body: { google: { safety_settings: [{ category: "HARM_CATEGORY_HARASSMENT", threshold: "BLOCK_ALL" }] } },
      },
      /safety_settings\[0\]\.threshold.*BLOCK_ALL/,
    ],
    [
      "a tool result answering no earlier tool call",
      { ...base, messages: [user("hi"), { role: "tool", tool_call_id: "call-9", content: "42" }] },
      /messages\[1\]\.tool_call_id.*"call-9"/,
    ],
    [
      "a named tool_choice that is not among tools",
      {
        ...base,
        tools: [{ type: "function", function: { name: "get_weather" } }],
        tool_choice: { type: "function", function: { name: "get_time" } },
      },
      /tool_choice\.function\.name.*"get_time"/,
    ],
    [
      "a thinking budget over 2.5 Flash's range",
      { ...base, extra_body: { google: { thinking_config: { thinking_budget: 30000 } } } },
      /thinking_budget of 30000 but the supported range for google\/gemini-2\.5-flash is from 1 to 24576/,
    ],
    [
      "a thinking budget under 2.5 Pro's range",
      { ...base, model: "google/gemini-2.5-pro", extra_body: { google: { thinking_config: { thinking_budget: 64 } } } },
      /from 128 to 32768/,
    ],
    [
      "a zero thinking budget on 2.5 Pro",
      { ...base, model: "google/gemini-2.5-pro", extra_body: { google: { thinking_config: { thinking_budget: 0 } } } },
      /thinking can't be turned off for google\/gemini-2\.5-pro/,
    ],
    [
      "a thinking budget under 2.5 Flash-Lite's range",
      {
        ...base,
        model: "google/gemini-2.5-flash-lite",
        extra_body: { google: { thinking_config: { thinking_budget: 100 } } },
      },
      /from 512 to 24576 \(0 turns thinking off\)/,
    ],
    [
      "thinking_level on Gemini 2.5",
      { ...base, extra_body: { google: { thinking_config: { thinking_level: "LOW" } } } },
      /thinking_level is not supported by google\/gemini-2\.5-flash/,
    ],
    [
      "an unknown thinking_level on Gemini 3",
      {
        ...base,
        model: "google/gemini-3-pro-preview",
        extra_body: { google: { thinking_config: { thinking_level: "EXTREME" } } },
      },
      /thinking_level' \("EXTREME"\): use one of MINIMAL, LOW, MEDIUM, HIGH/,
      "global",
    ],
    [
      "thinking_budget and thinking_level together",
      {
        ...base,
        model: "google/gemini-3-pro-preview",
        extra_body: { google: { thinking_config: { thinking_level: "LOW", thinking_budget: 1024 } } },
      },
      /thinking_budget and thinking_level are both set/,
      "global",
    ],
    [
      "reasoning_effort together with thinking_config",
      { ...base, reasoning_effort: "low", extra_body: { google: { thinking_config: { include_thoughts: true } } } },
      /reasoning_effort and thinking_config cannot both be set/,
    ],
    [
      "thinking asked of a model that cannot think",
      { ...base, model: "google/gemini-2.0-flash", reasoning_effort: "high" },
      /thinking is not supported by google\/gemini-2\.0-flash/,
    ],
    [
      "an unknown key in thinking_config",
      { ...base, extra_body: { google: { thinking_config: { budget: 10 } } } },
      /Unknown name "budget" at 'extra_body\.google\.thinking_config'/,
    ],
    [
      "a data URI of a MIME type Gemini does not read",
      {
        ...base,
        messages: [user([{ type: "image_url", image_url: { url: "data:application/x-msdownload;base64,TVo=" } }])],
      },
      /MIME type "application\/x-msdownload" is not supported/,
    ],
    [
      "an input_audio format that is no audio, video or document type",
      {
        ...base,
        messages: [user([{ type: "input_audio", input_audio: { data: "gs://b/a", format: "audio/x-foo" } }])],
      },
      /input_audio\.format "audio\/x-foo" is not supported/,
    ],
    [
      "an inline image over 7 MB",
      {
        ...base,
        messages: [
          user([{ type: "image_url", image_url: { url: `data:image/png;base64,${"A".repeat(10_000_000)}` } }]),
        ],
      },
      /inline image is 7500000 bytes, over the 7340032-byte limit/,
    ],
    [
      "a URL that is neither gs:// nor https://",
      { ...base, messages: [user([{ type: "image_url", image_url: { url: "ftp://host/cat.png" } }])] },
      /use a gs:\/\/bucket\/object URI, an https:\/\/ URL or a data: URI/,
    ],
    [
      "tool parameters that are not a schema",
      { ...base, tools: [{ type: "function", function: { name: "f", parameters: { type: "banana" } } }] },
      /tools\[0\]\.function\.parameters': not a valid schema/,
    ],
    [
      "tool parameters of a type other than object",
      { ...base, tools: [{ type: "function", function: { name: "f", parameters: { type: "string" } } }] },
      /function parameters must be of type object/,
    ],
    [
      "an unknown response_format type",
      { ...base, response_format: { type: "xml" } },
      /response_format\.type' \("xml"\)/,
    ],
    [
      "a json_schema that is not a schema",
      { ...base, response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: 7 } } } },
      /json_schema\.schema': not a valid schema/,
    ],
    [
      "a recursive json_schema",
      {
        ...base,
        response_format: {
          type: "json_schema",
          json_schema: {
            name: "tree",
            schema: {
              $defs: {
                node: { type: "object", properties: { children: { type: "array", items: { $ref: "#/$defs/node" } } } },
              },
              $ref: "#/$defs/node",
            },
          },
        },
      },
      /recursive schemas are not supported/,
    ],
    [
      "cached content at global",
      { ...base, extra_body: { google: { cached_content: "projects/p/locations/global/cachedContents/c" } } },
      /context caches are regional/,
      "global",
    ],
  ];
  for (const [what, body, message, location] of refused) {
    test(`${what} → 400 INVALID_ARGUMENT in Vertex's array shape`, async () => {
      const res = await send(body, location ? { location } : {});
      assert.equal(res.status, 400, JSON.stringify(res.body));
      const [first] = res.body as [{ error: { code: number; status: string; message: string } }];
      assert.deepEqual([first.error.code, first.error.status], [400, "INVALID_ARGUMENT"]);
      assert.match(first.error.message, message);
    });
  }

  test("a missing Authorization header and an invalid token get their own 401 messages", async () => {
    const missing = await send(base, { auth: "" });
    const invalid = await send(base, { auth: "Basic nope" });
    const message = (r: { body: unknown }) => (r.body as [{ error: { message: string } }])[0].error.message;
    assert.deepEqual([missing.status, invalid.status], [401, 401]);
    assert.match(message(missing), /^Request is missing required authentication credential/);
    assert.match(message(invalid), /^Request had invalid authentication credentials/);
  });

  const withTier = async (body: object, location: string, tier: string) => {
    const res = await fetch(at(location), {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: "Bearer t",
        "x-vertex-ai-llm-shared-request-type": tier,
      },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as [{ error: { status: string; message: string } }] };
  };

  test("Priority PayGo at a regional endpoint, or for a model without it → 400 FAILED_PRECONDITION", async () => {
    const regional = await withTier({ ...base, model: "google/gemini-2.5-pro" }, "us-central1", "priority");
    const noPriority = await withTier(base, "global", "priority");
    for (const res of [regional, noPriority]) {
      assert.equal(res.status, 400);
      assert.equal(res.body[0].error.status, "FAILED_PRECONDITION");
    }
    assert.match(regional.body[0].error.message, /only available on the global endpoint, not in region 'us-central1'/);
    assert.match(noPriority.body[0].error.message, /not available for google\/gemini-2\.5-flash/);
    const unknown = await withTier(base, "global", "turbo");
    assert.equal(unknown.status, 400);
    assert.match(
      unknown.body[0].error.message,
      /X-Vertex-AI-LLM-Shared-Request-Type|x-vertex-ai-llm-shared-request-type/i,
    );
  });

  test("what Vertex accepts is still answered, and every response has its own id", async () => {
    const accepted = [
      { ...base, extra_body: { google: { thinking_config: { thinking_budget: -1, include_thoughts: true } } } },
      { ...base, extra_body: { google: { thinking_config: { thinking_budget: 0 } } } },
      { ...base, messages: [user([{ type: "image_url", image_url: "data:application/pdf;base64,JVBERi0=" }])] },
      {
        ...base,
        messages: [user([{ type: "input_audio", input_audio: { data: "gs://b/v.mp4", format: "video/mp4" } }])],
      },
      {
        ...base,
        tools: [{ type: "function", function: { name: "f", parameters: { type: "object", properties: {} } } }],
      },
    ];
    for (const body of accepted) {
      const res = await send(body);
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
    const ok = await send({ ...base, temperature: 2, top_p: 1, n: 2, reasoning_effort: "low" });
    const again = await send({ ...base, temperature: 2, top_p: 1, n: 2, reasoning_effort: "low" });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.notEqual((ok.body as { id: string }).id, (again.body as { id: string }).id);
  });
});
