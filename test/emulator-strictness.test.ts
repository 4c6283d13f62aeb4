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

  test("what Vertex accepts is still answered, and every response has its own id", async () => {
    const ok = await send({ ...base, temperature: 2, top_p: 1, n: 2, reasoning_effort: "low" });
    const again = await send({ ...base, temperature: 2, top_p: 1, n: 2, reasoning_effort: "low" });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.notEqual((ok.body as { id: string }).id, (again.body as { id: string }).id);
  });
});
