/**
 * The OpenAI-compatible REST door, driven by the official `openai` Node package exactly as code written for Vertex
 * drives Vertex: every call pattern of Google's chat-completions samples is sent once to the gateway and once to
 * the emulator directly, and the caller must see the same answer (ids and timestamps aside) except where the door
 * adds something (thoughts kept out of `content`, OpenAI-shaped errors, the routing headers).
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import http2 from "node:http2";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import OpenAI from "openai";
import type { ChatCompletion, ChatCompletionMessageParam, ChatCompletionTool } from "openai/resources";
import { Agent, fetch as undiciFetch } from "undici";
import { issue, makeCa, writeTemp } from "./support/certs.ts";
import { readmeCode } from "./support/readme-blocks.ts";
import { type Stack, startStack } from "./support/stack.ts";

const root = new URL("..", import.meta.url).pathname;

const FLASH = "google/gemini-2.5-flash";
const GEMINI_3 = "google/gemini-3-pro-preview";

/** What a caller compares: an answer without its per-response id and timestamp, tool-call ids by position. */
function comparable(completion: ChatCompletion) {
  const { id: _id, created: _created, ...rest } = completion;
  return {
    ...rest,
    choices: rest.choices.map((choice) => ({
      ...choice,
      message: {
        ...choice.message,
        ...(choice.message.tool_calls
          ? { tool_calls: choice.message.tool_calls.map((call, i) => ({ ...call, id: `call-${i}` })) }
          : {}),
      },
    })),
  };
}

const weather: ChatCompletionTool[] = [
  {
    type: "function",
    function: { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } },
  },
  {
    type: "function",
    function: { name: "get_time", parameters: { type: "object", properties: { zone: { type: "string" } } } },
  },
];

describe("the OpenAI-compatible REST door, with the openai Node package", () => {
  let stack: Stack;
  let gateway: OpenAI;
  let direct: OpenAI;
  /** The same request through the gateway and straight to the emulator. */
  const both = async (body: OpenAI.ChatCompletionCreateParamsNonStreaming) => {
    const [viaGateway, viaVertex] = await Promise.all([
      gateway.chat.completions.create(body),
      direct.chat.completions.create(body),
    ]);
    return { viaGateway, viaVertex };
  };

  before(async () => {
    stack = await startStack({ VERTEXCHAT_MAX_REQUEST_BYTES: "200000" }, { captureLogs: true });
    gateway = new OpenAI({ apiKey: "unused", baseURL: `${stack.gateway.url}/v1`, maxRetries: 0 });
    direct = new OpenAI({
      apiKey: "token",
      baseURL: `${stack.emulator.origin}/v1/projects/local-project/locations/global/endpoints/openapi`,
      maxRetries: 0,
    });
  });
  after(() => stack.close());

  test("text: the answer is Vertex's, with its id, usage and traffic type", async () => {
    const { viaGateway, viaVertex } = await both({ model: FLASH, messages: [{ role: "user", content: "Hello" }] });
    assert.deepEqual(comparable(viaGateway), comparable(viaVertex));
    assert.equal(viaGateway.object, "chat.completion");
    assert.match(viaGateway.id, /^[\w-]{10,}$/);
    assert.ok(viaGateway.usage && viaGateway.usage.total_tokens > 0);
  });

  test("system prompt and a multi-turn history", async () => {
    const messages: ChatCompletionMessageParam[] = [
      { role: "system", content: "You are terse." },
      { role: "user", content: "Name a colour" },
      { role: "assistant", content: "Blue" },
      { role: "user", content: [{ type: "text", text: "Another one" }] },
    ];
    const { viaGateway, viaVertex } = await both({ model: FLASH, messages, temperature: 0.2, max_tokens: 64 });
    assert.deepEqual(comparable(viaGateway), comparable(viaVertex));
  });

  test("streaming: chunks as they come, usage on the final chunk, [DONE]", async () => {
    const body = {
      model: FLASH,
      messages: [{ role: "user" as const, content: "Stream [[emulate words=12 pacing_ms=40]]" }],
    };
    const collect = async (client: OpenAI) => {
      const chunks = [];
      for await (const chunk of await client.chat.completions.create({ ...body, stream: true })) chunks.push(chunk);
      return chunks;
    };
    const [viaGateway, viaVertex] = await Promise.all([collect(gateway), collect(direct)]);
    const text = (chunks: typeof viaGateway) => chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    assert.equal(text(viaGateway), text(viaVertex));
    // Chunks 40 ms apart arrive apart even on a busy machine; a few of them may still share a read.
    assert.ok(viaGateway.length >= 3, `${viaGateway.length} chunks`);
    assert.ok(viaGateway.every((c) => c.object === "chat.completion.chunk" && c.id === viaGateway[0]?.id));
    assert.deepEqual(viaGateway.at(-1)?.usage, viaVertex.at(-1)?.usage);
    assert.equal(viaGateway.at(-1)?.choices[0]?.finish_reason, "stop");
  });

  test("images by gs:// URI (object form) and by data: URI (bare string, as Google's samples send it)", async () => {
    const png = Buffer.from(
      "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
      "base64",
    );
    const content = [
      { type: "text", text: "Describe both" },
      { type: "image_url", image_url: { url: "gs://cloud-samples-data/generative-ai/image/scones.jpg" } },
      { type: "image_url", image_url: `data:image/png;base64,${png.toString("base64")}` },
    ] as unknown as OpenAI.ChatCompletionContentPart[];
    const { viaGateway, viaVertex } = await both({ model: FLASH, messages: [{ role: "user", content }] });
    assert.deepEqual(comparable(viaGateway), comparable(viaVertex));
  });

  test("audio by gs:// URI with a MIME format", async () => {
    const content = [
      { type: "text", text: "Transcribe" },
      {
        type: "input_audio",
        input_audio: { data: "gs://cloud-samples-data/generative-ai/audio/pixel.mp3", format: "audio/mp3" },
      },
    ] as unknown as OpenAI.ChatCompletionContentPart[];
    const { viaGateway, viaVertex } = await both({ model: FLASH, messages: [{ role: "user", content }] });
    assert.deepEqual(comparable(viaGateway), comparable(viaVertex));
    const sent = stack.emulator.requests.at(-1)?.body as { messages: { content: unknown[] }[] };
    assert.deepEqual(sent.messages[0]?.content[1], content[1]);
  });

  test("tools, then their results, then a second call: Gemini 3 signatures returned unchanged over three turns", async () => {
    const run = async (client: OpenAI) => {
      const messages: ChatCompletionMessageParam[] = [{ role: "user", content: "Weather and time in Paris?" }];
      const answers: ChatCompletion[] = [];
      for (let turn = 0; turn < 3; turn++) {
        const answer = await client.chat.completions.create({ model: GEMINI_3, messages, tools: weather });
        answers.push(answer);
        const message = answer.choices[0]?.message;
        assert.ok(message);
        messages.push(message as ChatCompletionMessageParam);
        for (const call of message.tool_calls ?? []) {
          messages.push({ role: "tool", tool_call_id: call.id, content: '{"ok":true}' });
        }
      }
      return answers;
    };
    const [viaGateway, viaVertex] = await Promise.all([run(gateway), run(direct)]);
    assert.deepEqual(viaGateway.map(comparable), viaVertex.map(comparable));
    const called = viaGateway.map(
      (a) => (a.choices[0]?.message.tool_calls?.[0] as { function: { name: string } } | undefined)?.function.name,
    );
    assert.deepEqual(called, ["get_weather", "get_time", undefined]);
    const signature = (a: ChatCompletion) =>
      (a.choices[0]?.message.tool_calls?.[0] as { extra_content?: { google?: { thought_signature?: string } } })
        ?.extra_content?.google?.thought_signature;
    assert.ok(signature(viaGateway[0] as ChatCompletion), "the first call carries a signature");
  });

  test("JSON schema output, parsed by the SDK's parse helper", async () => {
    const response_format = {
      type: "json_schema" as const,
      json_schema: {
        name: "city",
        schema: {
          type: "object",
          properties: { name: { type: "string" }, population: { type: "integer" } },
          required: ["name", "population"],
          additionalProperties: false,
        },
      },
    };
    const parsed = await gateway.chat.completions.parse({
      model: FLASH,
      messages: [{ role: "user", content: "A city as JSON" }],
      response_format,
    });
    const value = parsed.choices[0]?.message.parsed as { name: string; population: number };
    assert.equal(typeof value.name, "string");
    assert.equal(typeof value.population, "number");
    const viaVertex = await direct.chat.completions.create({
      model: FLASH,
      messages: [{ role: "user", content: "A city as JSON" }],
      response_format,
    });
    assert.equal(parsed.choices[0]?.message.content, viaVertex.choices[0]?.message.content);
  });

  test("thinking with a marker: thoughts come tagged exactly as Vertex tags them", async () => {
    const extra = {
      extra_body: { google: { thinking_config: { include_thoughts: true }, thought_tag_marker: "think" } },
    };
    const body = { model: FLASH, messages: [{ role: "user" as const, content: "Think first" }], ...extra };
    const { viaGateway, viaVertex } = await both(body);
    assert.deepEqual(comparable(viaGateway), comparable(viaVertex));
    assert.match(viaGateway.choices[0]?.message.content ?? "", /^<think>.+<\/think>\S/s);
    const streamed: string[] = [];
    for await (const chunk of await gateway.chat.completions.create({ ...body, stream: true })) {
      streamed.push(chunk.choices[0]?.delta.content ?? "");
    }
    assert.equal(streamed.join(""), viaVertex.choices[0]?.message.content);
  });

  test("thinking without a marker: thoughts in reasoning_content, never in content (Vertex would mix them in)", async () => {
    const body = {
      model: FLASH,
      messages: [{ role: "user" as const, content: "Think first" }],
      extra_body: { google: { thinking_config: { include_thoughts: true } } },
    };
    const { viaGateway, viaVertex } = await both(body);
    const message = viaGateway.choices[0]?.message as ChatCompletion.Choice["message"] & { reasoning_content?: string };
    assert.ok(message.reasoning_content, "thoughts are in reasoning_content");
    assert.equal(viaVertex.choices[0]?.message.content, `${message.reasoning_content}${message.content}`);
    assert.ok(!message.content?.includes(message.reasoning_content));
    let reasoning = "";
    let content = "";
    for await (const chunk of await gateway.chat.completions.create({ ...body, stream: true })) {
      const delta = chunk.choices[0]?.delta as { content?: string; reasoning_content?: string } | undefined;
      reasoning += delta?.reasoning_content ?? "";
      content += delta?.content ?? "";
    }
    assert.deepEqual([reasoning, content], [message.reasoning_content, message.content]);
  });

  test("n: several choices", async () => {
    const { viaGateway, viaVertex } = await both({ model: FLASH, n: 3, messages: [{ role: "user", content: "Hi" }] });
    assert.equal(viaGateway.choices.length, 3);
    assert.deepEqual(comparable(viaGateway), comparable(viaVertex));
  });

  test("the Vertex-shaped path works by changing only the host; the headers say where the call went", async () => {
    const vertexShaped = new OpenAI({
      apiKey: "unused",
      baseURL: `${stack.gateway.url}/v1beta1/projects/any-project/locations/europe-west4/endpoints/openapi`,
      maxRetries: 0,
    });
    const { data, response } = await vertexShaped.chat.completions
      .create({ model: FLASH, messages: [{ role: "user", content: "Hello" }] })
      .withResponse();
    assert.match(data.choices[0]?.message.content ?? "", /Hello/);
    assert.equal(response.headers.get("x-vertexchat-location"), "global");
    assert.equal(response.headers.get("x-vertexchat-upstream"), "vertex");
    assert.match(response.headers.get("x-request-id") ?? "", /\S/);
  });

  test("GET /v1/models lists the catalog in OpenAI's shape", async () => {
    const models = [];
    for await (const model of gateway.models.list()) models.push(model);
    assert.ok(models.some((m) => m.id === FLASH && m.object === "model"));
    assert.ok(models.every((m) => !m.id.includes("*")));
  });

  test("errors come in OpenAI's shape, so the SDK shows the message, code and field", async () => {
    const err = await gateway.chat.completions
      .create({ model: FLASH, temperature: 5, messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    assert.ok(err instanceof OpenAI.BadRequestError, String(err));
    assert.equal(err.code, "INVALID_REQUEST");
    assert.equal(err.param, "temperature");
    assert.match(err.message, /temperature/);

    const unknown = await gateway.chat.completions
      .create({ model: "google/nope-1", messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    assert.ok(unknown instanceof OpenAI.NotFoundError, String(unknown));
    assert.equal(unknown.code, "UNKNOWN_MODEL");
    assert.equal(unknown.param, "model");

    const large = await gateway.chat.completions
      .create({ model: FLASH, messages: [{ role: "user", content: "x".repeat(300_000) }] })
      .catch((e: unknown) => e);
    assert.ok(large instanceof OpenAI.APIError && large.status === 413, String(large));
    assert.equal(large.code, "REQUEST_TOO_LARGE");

    const form = await fetch(`${stack.gateway.url}/v1/chat/completions`, { method: "POST", body: "model=x" });
    assert.equal(form.status, 400);
    assert.match(
      ((await form.json()) as { error: { message: string } }).error.message,
      /content-type: application\/json/,
    );

    const shape = await gateway.chat.completions
      .create({ model: FLASH, messages: [{ role: "user", content: "x" }], bogus: true } as never)
      .catch((e: unknown) => e);
    assert.ok(shape instanceof OpenAI.BadRequestError);
    assert.equal(shape.param, "bogus");

    const upstream = await gateway.chat.completions
      .create({ model: FLASH, messages: [{ role: "user", content: "[[emulate status=503]]" }] })
      .catch((e: unknown) => e);
    assert.ok(upstream instanceof OpenAI.InternalServerError, String(upstream));
    assert.equal(upstream.status, 503);
    assert.equal(upstream.code, "UPSTREAM_UNAVAILABLE");
    assert.match(upstream.headers?.get("retry-after") ?? "", /^\d+$/);
  });

  test("a stream that breaks upstream ends with an error frame and no [DONE]", async () => {
    const stream = await gateway.chat.completions.create({
      model: FLASH,
      stream: true,
      messages: [{ role: "user", content: "[[emulate words=20 pacing_ms=50 reset_after=3]]" }],
    });
    const seen: string[] = [];
    const err = await (async () => {
      for await (const chunk of stream) seen.push(chunk.choices[0]?.delta.content ?? "");
    })().catch((e: unknown) => e);
    assert.ok(err instanceof OpenAI.APIError, `the SDK raised ${String(err)} after ${seen.length} chunks`);
    assert.match(err.message, /stream/i);
  });

  test("a caller that goes away aborts the upstream call", async () => {
    const controller = new AbortController();
    const stream = await gateway.chat.completions.create(
      {
        model: FLASH,
        stream: true,
        messages: [{ role: "user", content: "door abort [[emulate words=200 pacing_ms=30]]" }],
      },
      { signal: controller.signal },
    );
    let chunks = 0;
    await (async () => {
      for await (const _ of stream) if (++chunks === 3) controller.abort();
    })().catch(() => undefined);
    const upstream = () => stack.emulator.requests.find((r) => JSON.stringify(r.body).includes("door abort"));
    for (let i = 0; i < 100 && !upstream()?.closedAt; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(upstream()?.aborted, true);
  });

  test("the log line and the metrics name the door", async () => {
    await gateway.chat.completions.create({ model: FLASH, messages: [{ role: "user", content: "logged door" }] });
    const line = stack.logs.find((l) => l.msg === "rpc" && l.door === "openai" && l.code === "OK");
    assert.ok(line, "an rpc log line with door openai");
    assert.equal(line.method, "vertexchat.v1.ChatService/CreateChatCompletion");
    assert.ok((line.total_tokens as number) > 0);
    const metrics = await (await fetch(`${stack.gateway.adminUrl}/metrics`)).text();
    assert.match(
      metrics,
      /grpc_server_handled_total\{[^}]*grpc_method="CreateChatCompletion"[^}]*door="openai"\} [1-9]/,
    );
  });

  test("README's Node example runs as written against the gateway", async () => {
    const dir = join(root, ".cache");
    mkdirSync(dir, { recursive: true });
    const file = join(dir, "readme-openai-node.mjs");
    const code = readmeCode("### Node with the openai package", "js");
    writeFileSync(file, code.replace("http://127.0.0.1:8080", stack.gateway.url));
    const { stdout } = await promisify(execFile)(process.execPath, [file]);
    assert.equal(stdout, "Emulated google/gemini-2.5-flash says: Hello from Node\n");
  });

  test("HTTP/2 (prior knowledge) reaches the same door on the same port", async () => {
    const session = http2.connect(stack.gateway.url);
    try {
      const req = session.request({
        ":method": "POST",
        ":path": "/v1/chat/completions",
        "content-type": "application/json",
      });
      req.end(JSON.stringify({ model: FLASH, messages: [{ role: "user", content: "over h2" }] }));
      const [status, body] = await new Promise<[number, string]>((resolve, reject) => {
        let status = 0;
        let body = "";
        req.on("response", (h) => {
          status = Number(h[":status"]);
        });
        req.on("data", (d: Buffer) => {
          body += d.toString();
        });
        req.on("end", () => resolve([status, body]));
        req.on("error", reject);
      });
      assert.equal(status, 200, body);
      assert.match((JSON.parse(body) as ChatCompletion).choices[0]?.message.content ?? "", /over h2/);
    } finally {
      session.close();
    }
  });
});

describe("the REST door behind caller auth and limits", () => {
  let stack: Stack;
  const client = (apiKey: string) => new OpenAI({ apiKey, baseURL: `${stack.gateway.url}/v1`, maxRetries: 0 });
  before(async () => {
    const callers = writeTemp(
      "door-callers.yaml",
      `callers:
  narrow:
    apiKeys: [narrow-key]
    models: ["google/gemini-2.5-pro"]
  hasty:
    apiKeys: [hasty-key]
    limits:
      requestsPerMinute: 1
`,
    );
    stack = await startStack({ VERTEXCHAT_AUTH: "api_key", VERTEXCHAT_CALLERS_FILE: callers }, { captureLogs: true });
  });
  after(() => stack.close());
  const ask = (c: OpenAI) => c.chat.completions.create({ model: FLASH, messages: [{ role: "user", content: "x" }] });

  test("no or a wrong key: 401, as the SDK's AuthenticationError", async () => {
    const err = await ask(client("wrong-key")).catch((e: unknown) => e);
    assert.ok(err instanceof OpenAI.AuthenticationError, String(err));
    assert.equal(err.code, "CALLER_UNAUTHENTICATED");
    const bare = await fetch(`${stack.gateway.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: FLASH, messages: [{ role: "user", content: "x" }] }),
    });
    assert.equal(bare.status, 401);
    assert.equal(((await bare.json()) as { error: { type: string } }).error.type, "authentication_error");
  });

  test("a model the caller may not use: 403, as PermissionDeniedError", async () => {
    const err = await ask(client("narrow-key")).catch((e: unknown) => e);
    assert.ok(err instanceof OpenAI.PermissionDeniedError, String(err));
    assert.equal(err.code, "CALLER_NOT_ALLOWED");
    assert.match(err.message, /gemini-2\.5-pro/);
  });

  test("over the caller's requests per minute: 429 with Retry-After, as RateLimitError", async () => {
    await ask(client("hasty-key"));
    const err = await ask(client("hasty-key")).catch((e: unknown) => e);
    assert.ok(err instanceof OpenAI.RateLimitError, String(err));
    assert.equal(err.code, "CALLER_REQUESTS_PER_MINUTE");
    assert.match(err.headers?.get("retry-after") ?? "", /^[1-9]\d*$/);
    const line = stack.logs.find((l) => l.door === "openai" && l.code === "ResourceExhausted");
    assert.equal(line?.caller, "hasty");
  });
});

describe("the REST door over TLS, with callers known by their client certificates (mTLS)", () => {
  const ca = makeCa("door-ca");
  const server = issue(ca, "door-server");
  const billing = issue(ca, "billing.door");
  let stack: Stack;
  before(async () => {
    const callers = writeTemp(
      "door-mtls-callers.yaml",
      "callers:\n  billing:\n    certificateSubjects: [billing.door]\n",
    );
    stack = await startStack(
      {
        VERTEXCHAT_AUTH: "mtls",
        VERTEXCHAT_CALLERS_FILE: callers,
        VERTEXCHAT_TLS_CERT: server.certFile,
        VERTEXCHAT_TLS_KEY: server.keyFile,
        VERTEXCHAT_TLS_CLIENT_CA: ca.certFile,
      },
      { captureLogs: true },
    );
  });
  after(() => stack.close());
  const client = (cert?: { cert: string; key: string }) =>
    new OpenAI({
      apiKey: "unused",
      baseURL: `${stack.gateway.url}/v1`,
      maxRetries: 0,
      fetch: undiciFetch as never,
      fetchOptions: { dispatcher: new Agent({ connect: { ca: ca.cert, ...(cert ?? {}) } }) } as never,
    });

  test("a caller with a certificate of the client CA is served, and named in the log line", async () => {
    const answer = await client({ cert: billing.cert, key: billing.key }).chat.completions.create({
      model: FLASH,
      messages: [{ role: "user", content: "over mTLS" }],
    });
    assert.match(answer.choices[0]?.message.content ?? "", /over mTLS$/);
    assert.equal(stack.logs.find((l) => l.door === "openai" && l.code === "OK")?.caller, "billing");
  });

  test("without a certificate: 401 naming what to send", async () => {
    const err = await client()
      .chat.completions.create({ model: FLASH, messages: [{ role: "user", content: "x" }] })
      .catch((e: unknown) => e);
    assert.ok(err instanceof OpenAI.AuthenticationError, String(err));
    assert.match(err.message, /client certificate/);
  });
});

describe("VERTEXCHAT_OPENAI_API=off", () => {
  test("the REST paths are not served; the contract still is", async () => {
    const stack = await startStack({ VERTEXCHAT_OPENAI_API: "off" });
    try {
      const res = await fetch(`${stack.gateway.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ model: FLASH, messages: [{ role: "user", content: "x" }] }),
      });
      assert.equal(res.status, 404);
      const answer = await stack.client().listModels({});
      assert.ok(answer.models.length > 0);
    } finally {
      await stack.close();
    }
  });
});
