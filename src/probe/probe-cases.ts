/**
 * The probe's fixed battery: small requests that ask Vertex the questions the emulator claims to answer as Vertex
 * does. Each is cheap (a few hundred tokens at most). A case may build on an earlier case's answer from the same
 * target (the second turn of a tool call carries that answer's signatures). Pure data.
 */

export type JsonObject = Record<string, unknown>;

export interface ProbeCase {
  /** A file-name-safe name: the recording is `<name>.json`. */
  name: string;
  /** What the case asks, for the report. */
  asks: string;
  /** `regional`: the probe's region; `global`: Vertex's global endpoint. */
  where: "regional" | "global";
  /** The request body, or undefined when the earlier answer it builds on is missing (the case is then skipped). */
  body(earlier: ReadonlyMap<string, unknown>): JsonObject | undefined;
}

/** The models the battery uses. 2.5 Flash is served at regions; Gemini 3 Flash only at global. */
export const PROBE_MODELS = { regional: "google/gemini-2.5-flash", global: "google/gemini-3-flash-preview" } as const;

/** A 1×1 PNG. */
const TINY_PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

const WEATHER_TOOL = {
  type: "function",
  function: {
    name: "get_weather",
    description: "The current weather in a city",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
};

const user = (content: unknown) => ({ role: "user", content });
const flash = (extra: JsonObject): JsonObject => ({
  model: PROBE_MODELS.regional,
  messages: [user("Say hello in three words.")],
  max_completion_tokens: 256,
  ...extra,
});
/** Gemini 3 thinks by default: a low effort and an output cap keep each case to a few thousand tokens. */
const gemini3 = (extra: JsonObject): JsonObject => ({
  model: PROBE_MODELS.global,
  messages: [user("Say hello in three words.")],
  reasoning_effort: "low",
  max_completion_tokens: 2048,
  ...extra,
});
const fixed = (body: JsonObject) => () => body;

const TOOL_ASK = [user("What is the weather in Oslo? Use the tool.")];

/** The second turn of a tool call: the earlier answer's assistant message, unchanged, and one result per call. */
function secondTurn(
  earlierAnswer: unknown,
  base: JsonObject,
  mutate?: (assistant: JsonObject) => void,
): JsonObject | undefined {
  const message = (earlierAnswer as { choices?: { message?: JsonObject }[] } | undefined)?.choices?.[0]?.message;
  const calls = message?.tool_calls as { id: string }[] | undefined;
  if (!message || !calls?.length) return undefined;
  const assistant = structuredClone(message);
  mutate?.(assistant);
  const results = calls.map((call) => ({ role: "tool", tool_call_id: call.id, content: '{"temp_c": 21}' }));
  return { ...base, messages: [...TOOL_ASK, assistant, ...results] };
}

const REVIEW_SCHEMA = {
  type: "object",
  properties: {
    title: { type: "string" },
    rating: { type: "integer", minimum: 1, maximum: 5 },
    tags: { type: "array", items: { type: "string" } },
    mood: { type: "string", enum: ["happy", "sad"] },
  },
  required: ["title", "rating", "tags", "mood"],
};

export const PROBE_CASES: readonly ProbeCase[] = [
  { name: "text", asks: "a short text answer", where: "regional", body: fixed(flash({})) },
  { name: "text-stream", asks: "the same, streamed", where: "regional", body: fixed(flash({ stream: true })) },
  {
    name: "stream-include-usage",
    asks: "streamed with stream_options.include_usage",
    where: "regional",
    body: fixed(flash({ stream: true, stream_options: { include_usage: true } })),
  },
  {
    name: "system-and-two-choices",
    asks: "a system message and n=2",
    where: "regional",
    body: fixed(flash({ n: 2, messages: [{ role: "system", content: "Answer briefly." }, user("Name a colour.")] })),
  },
  {
    name: "length-limit",
    asks: "an answer cut by max_completion_tokens (thinking off)",
    where: "regional",
    body: fixed(flash({ max_completion_tokens: 3, reasoning_effort: "none", messages: [user("Count to fifty.")] })),
  },
  {
    name: "thinking-effort",
    asks: "reasoning_effort low: reasoning tokens in usage",
    where: "regional",
    body: fixed(flash({ reasoning_effort: "low", max_completion_tokens: 2048 })),
  },
  {
    name: "thoughts-with-marker",
    asks: "thoughts shown, tagged with thought_tag_marker",
    where: "regional",
    body: fixed(
      flash({
        max_completion_tokens: 2048,
        extra_body: {
          google: { thinking_config: { include_thoughts: true, thinking_budget: 512 }, thought_tag_marker: "think" },
        },
      }),
    ),
  },
  {
    name: "thoughts-without-marker-stream",
    asks: "thoughts shown without a marker, streamed",
    where: "regional",
    body: fixed(
      flash({
        stream: true,
        max_completion_tokens: 2048,
        extra_body: { google: { thinking_config: { include_thoughts: true, thinking_budget: 512 } } },
      }),
    ),
  },
  {
    name: "json-schema",
    asks: "response_format json_schema",
    where: "regional",
    body: fixed(
      flash({
        max_completion_tokens: 1024,
        messages: [user("Review a book you like.")],
        response_format: { type: "json_schema", json_schema: { name: "review", schema: REVIEW_SCHEMA } },
      }),
    ),
  },
  {
    name: "image-data-uri",
    asks: "an image by data URI",
    where: "regional",
    body: fixed(
      flash({
        messages: [
          user([
            { type: "text", text: "What colour is this pixel?" },
            { type: "image_url", image_url: { url: `data:image/png;base64,${TINY_PNG}` } },
          ]),
        ],
      }),
    ),
  },
  {
    name: "gemini3-text",
    asks: "Gemini 3 at global: a text answer with its signature",
    where: "global",
    body: fixed(gemini3({})),
  },
  {
    name: "gemini3-tool-call",
    asks: "Gemini 3: a required tool call",
    where: "global",
    body: fixed(gemini3({ messages: TOOL_ASK, tools: [WEATHER_TOOL], tool_choice: "required" })),
  },
  {
    name: "gemini3-tool-result",
    asks: "Gemini 3: the second turn, carrying the call's signature back",
    where: "global",
    body: (earlier) => secondTurn(earlier.get("gemini3-tool-call"), gemini3({ tools: [WEATHER_TOOL] })),
  },
  {
    name: "gemini3-tool-call-stream",
    asks: "Gemini 3: a required tool call, streamed",
    where: "global",
    body: fixed(gemini3({ stream: true, messages: TOOL_ASK, tools: [WEATHER_TOOL], tool_choice: "required" })),
  },
  {
    name: "error-missing-signature",
    asks: "Gemini 3: the second turn with the signature removed (400)",
    where: "global",
    body: (earlier) =>
      secondTurn(earlier.get("gemini3-tool-call"), gemini3({ tools: [WEATHER_TOOL] }), (assistant) => {
        for (const call of (assistant.tool_calls ?? []) as { extra_content?: unknown }[]) delete call.extra_content;
        delete assistant.extra_content;
      }),
  },
  {
    name: "error-unknown-key",
    asks: "an unknown top-level key (400)",
    where: "regional",
    body: fixed(flash({ not_a_field: true })),
  },
  {
    name: "error-unknown-model",
    asks: "a model that does not exist (404)",
    where: "regional",
    body: fixed(flash({ model: "google/gemini-0.1-nonexistent" })),
  },
  {
    name: "error-temperature",
    asks: "temperature 5 (400)",
    where: "regional",
    body: fixed(flash({ temperature: 5 })),
  },
  {
    name: "error-effort-and-config",
    asks: "reasoning_effort together with thinking_config (400)",
    where: "regional",
    body: fixed(
      flash({ reasoning_effort: "low", extra_body: { google: { thinking_config: { thinking_budget: 512 } } } }),
    ),
  },
  {
    name: "error-global-only-at-region",
    asks: "a global-only model at a region",
    where: "regional",
    body: fixed(gemini3({})),
  },
  {
    name: "error-stream-bad-request",
    asks: "a streamed request with a bad value: the error before any chunk",
    where: "regional",
    body: fixed(flash({ stream: true, top_p: 3 })),
  },
];
