import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Code } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../gen/google/rpc/error_details_pb.ts";
import { rejection } from "./support/expect-error.ts";
import { userRequest } from "./support/requests.ts";
import { type Stack, startStack } from "./support/stack.ts";

const routing = (origin: string) => ({
  upstreams: {
    vertex: {
      kind: "vertex",
      project: "team-a",
      locations: ["us-central1", "us-east4", "europe-west4"],
      origin: "emulator",
    },
    garden: {
      kind: "vertex-endpoint",
      project: "team-a",
      location: "us-central1",
      endpointId: "4455",
      dns: "shared",
      origin: "emulator",
    },
    "garden-unary": {
      kind: "vertex-endpoint",
      project: "team-a",
      location: "us-central1",
      endpointId: "4456",
      dns: "shared",
      sharedDnsStreaming: "unary",
      deployedModel: "llama-3-8b",
      origin: "emulator",
    },
    "garden-dedicated": {
      kind: "vertex-endpoint",
      project: "team-a",
      projectNumber: "987654321",
      location: "us-central1",
      endpointId: "7788",
      dns: "dedicated",
      origin: "emulator",
    },
    vllm: { kind: "openai-compatible", baseUrl: `${origin}/vllm/v1`, apiKeyEnv: "ROUTING_TEST_VLLM_KEY" },
  },
  routes: [
    { match: "google/*", upstream: "vertex" },
    { match: "fast", upstream: "vertex", model: "google/gemini-2.5-flash" },
    { match: "llama-shared", upstream: "garden" },
    { match: "llama-unary", upstream: "garden-unary" },
    {
      match: "llama-dedicated",
      upstream: "garden-dedicated",
      capabilities: { streaming: true, tools: false, mediaInput: false, thinking: false },
    },
  ],
  default: "vllm",
});

describe("one contract, many upstreams, routed by model name", () => {
  let stack: Stack;
  before(async () => {
    process.env.ROUTING_TEST_VLLM_KEY = "sk-local-vllm";
    stack = await startStack({}, { routing });
  });
  after(async () => {
    await stack.close();
    delete process.env.ROUTING_TEST_VLLM_KEY;
  });
  const last = (n = 1) => stack.emulator.requests.slice(-n);

  test("the first location serves when it is healthy, and the answer says where it was served", async () => {
    const { response, headers } = await withHeaders(stack, userRequest("hi"));
    assert.deepEqual(
      [response.servedBy?.upstream, response.servedBy?.location, response.servedBy?.upstreamModel],
      ["vertex", "us-central1", "google/gemini-2.5-flash"],
    );
    assert.equal(headers.get("x-vertexchat-location"), "us-central1");
    assert.equal(headers.get("x-vertexchat-upstream"), "vertex");
    assert.deepEqual(
      last().map((r) => [r.project, r.location, r.endpointId]),
      [["team-a", "us-central1", "openapi"]],
    );
  });

  for (const fault of ["status=429", "status=503", "status=500", "drop"]) {
    test(`${fault} at the first location fails over to the next, before anything reached the caller`, async () => {
      const { response, headers } = await withHeaders(
        stack,
        userRequest(`failover ${fault} [[emulate ${fault} fail_location=us-central1]]`),
      );
      assert.equal(response.servedBy?.location, "us-east4");
      assert.equal(headers.get("x-vertexchat-location"), "us-east4");
      assert.deepEqual(
        last(2).map((r) => r.location),
        ["us-central1", "us-east4"],
      );
    });
  }

  test("a stream fails over too, and its started event names the location that served it", async () => {
    const events = [];
    for await (const e of stack
      .client("grpc")
      .streamChatCompletion(userRequest("s [[emulate status=429 fail_location=us-central1]]")))
      events.push(e);
    const started = events[0]?.event.case === "started" ? events[0].event.value : undefined;
    assert.equal(started?.servedBy?.location, "us-east4");
    assert.equal(events.at(-1)?.event.case, "finished");
  });

  test("a 400 is never failed over: the next location would refuse the same request", async () => {
    const before = stack.emulator.requests.length;
    const err = await rejection(
      stack.client().createChatCompletion(userRequest("[[emulate status=400 fail_location=us-central1]]")),
    );
    assert.equal(err.code, Code.InvalidArgument);
    assert.equal(stack.emulator.requests.length - before, 1);
    assert.equal(err.findDetails(ErrorInfoSchema)[0]?.metadata.location, "us-central1");
  });

  test("when every location fails, the caller gets the last failure, naming its location", async () => {
    const err = await rejection(stack.client().createChatCompletion(userRequest("[[emulate status=503]]")));
    assert.equal(err.code, Code.Unavailable);
    assert.deepEqual(
      last(3).map((r) => r.location),
      ["us-central1", "us-east4", "europe-west4"],
    );
    assert.equal(err.findDetails(ErrorInfoSchema)[0]?.metadata.location, "europe-west4");
  });

  test("a model that exists only at global goes there directly", async () => {
    const res = await stack
      .client()
      .createChatCompletion(userRequest("g3", { model: "google/gemini-3.1-pro-preview" }));
    assert.equal(res.servedBy?.location, "global");
    assert.deepEqual(
      last().map((r) => r.location),
      ["global"],
    );
  });

  test("a request with cached content stays in its cache's region, even when that region fails", async () => {
    const cachedContent = "projects/team-a/locations/europe-west4/cachedContents/123";
    const res = await stack.client().createChatCompletion(userRequest("cached", { google: { cachedContent } }));
    assert.equal(res.servedBy?.location, "europe-west4");
    const before = stack.emulator.requests.length;
    const err = await rejection(
      stack
        .client()
        .createChatCompletion(
          userRequest("[[emulate status=503 fail_location=europe-west4]]", { google: { cachedContent } }),
        ),
    );
    assert.equal(err.code, Code.Unavailable);
    assert.ok(stack.emulator.requests.slice(before).every((r) => r.location === "europe-west4"));
  });

  test("an alias reaches its model on its upstream", async () => {
    const res = await stack.client().createChatCompletion(userRequest("quick", { model: "fast" }));
    assert.equal(res.servedBy?.upstreamModel, "google/gemini-2.5-flash");
    assert.equal(last()[0]?.body?.model, "google/gemini-2.5-flash");
  });

  test("unmatched models go to the default OpenAI-compatible upstream with its own API key and OpenAI usage converted", async () => {
    const res = await stack
      .client()
      .createChatCompletion(
        userRequest("think", { model: "local/qwen3-8b", google: { thinkingConfig: { includeThoughts: true } } }),
      );
    assert.equal(res.servedBy?.upstream, "vllm");
    assert.equal(res.servedBy?.location, "");
    const seen = last()[0];
    assert.equal(seen?.token, "sk-local-vllm");
    assert.equal(seen?.apiVersion, "v1");
    // The emulator counts like OpenAI on this path (completion includes reasoning); the contract does not:
    // completion_tokens is the answer's 4 words only.
    assert.ok((res.usage?.reasoningTokens ?? 0) > 0);
    assert.equal(res.usage?.completionTokens, 4);
    assert.equal(
      res.usage?.totalTokens,
      (res.usage?.promptTokens ?? 0) + (res.usage?.completionTokens ?? 0) + (res.usage?.reasoningTokens ?? 0),
    );
  });

  test("a shared-DNS Model Garden endpoint serves unary calls with no model named", async () => {
    const res = await stack.client().createChatCompletion(userRequest("garden", { model: "llama-shared" }));
    assert.equal(res.servedBy?.upstream, "garden");
    const seen = last()[0];
    assert.equal(seen?.endpointId, "4455");
    assert.equal(seen?.body?.model, undefined);
    assert.match(String(res.choices[0]?.message?.content[0]?.kind.value), /says: garden$/);
  });

  test("a streaming call to a shared-DNS endpoint is FAILED_PRECONDITION naming the fix", async () => {
    const before = stack.emulator.requests.length;
    const err = await rejection(
      (async () => {
        for await (const _ of stack.client("grpc").streamChatCompletion(userRequest("x", { model: "llama-shared" }))) {
          assert.fail("no event expected");
        }
      })(),
    );
    assert.equal(err.code, Code.FailedPrecondition);
    assert.match(err.rawMessage, /shared-DNS Model Garden endpoint, which cannot stream; call CreateChatCompletion/);
    assert.equal(stack.emulator.requests.length, before);
  });

  test("with sharedDnsStreaming: unary a streaming call is served from one unary call", async () => {
    const events = [];
    for await (const e of stack.client("grpc").streamChatCompletion(userRequest("u", { model: "llama-unary" })))
      events.push(e);
    assert.deepEqual(
      events.map((e) => e.event.case),
      ["started", "delta", "finished"],
    );
    const seen = last()[0];
    assert.equal(seen?.body?.stream, undefined);
    assert.equal(seen?.body?.model, "llama-3-8b");
  });

  test("a dedicated endpoint is called with the project number in its path", async () => {
    await stack.client().createChatCompletion(userRequest("d", { model: "llama-dedicated" }));
    assert.deepEqual(
      last().map((r) => [r.project, r.location, r.endpointId]),
      [["987654321", "us-central1", "7788"]],
    );
  });

  test("ListModels shows every route with its upstream, locations and capabilities, and aliases on their model", async () => {
    const { models } = await stack.client().listModels({});
    const byName = new Map(models.map((m) => [m.name, m]));
    assert.deepEqual(byName.get("google/*")?.locations, ["us-central1", "us-east4", "europe-west4"]);
    assert.equal(byName.get("fast")?.upstreamModel, "google/gemini-2.5-flash");
    assert.equal(byName.get("llama-shared")?.capabilities?.streaming, false);
    assert.equal(byName.get("llama-unary")?.upstreamModel, "llama-3-8b");
    assert.equal(byName.get("llama-dedicated")?.capabilities?.tools, false);
    assert.deepEqual(
      models.map((m) => m.name),
      [...models.map((m) => m.name)].sort(),
    );
  });
});

async function withHeaders(stack: Stack, request: ReturnType<typeof userRequest>) {
  let headers = new Headers();
  const response = await stack.client().createChatCompletion(request, { onHeader: (h) => (headers = h) });
  return { response, headers };
}

describe("a bad routing file", () => {
  test("stops the process with exit code 2 and one line naming the file, the path and the fix", async () => {
    const { spawnSync } = await import("node:child_process");
    const { mkdtempSync, writeFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tmpdir } = await import("node:os");
    const file = join(mkdtempSync(join(tmpdir(), "vertexchat-bad-")), "routes.yaml");
    writeFileSync(
      file,
      "upstreams:\n  v:\n    kind: vertex\n    project: p\n    locations: [global]\nroutes:\n  - match: google/*\n    upstream: vertx\n",
    );
    const run = spawnSync(process.execPath, [new URL("../src/main.ts", import.meta.url).pathname], {
      env: { PATH: process.env.PATH ?? "", VERTEXCHAT_CONFIG: file, VERTEXCHAT_LISTEN: "127.0.0.1:0" },
      encoding: "utf8",
      timeout: 20_000,
    });
    assert.equal(run.status, 2);
    assert.equal(
      run.stderr.trim(),
      `vertexchat: configuration error: ${file}: routes[0].upstream: no upstream is named "vertx"; use one of: v`,
    );
  });
});

describe("the README's example routing file", () => {
  test("parses, with all three upstream kinds", async () => {
    const { loadRoutingFile } = await import("../src/config/routing-file.ts");
    const routing = loadRoutingFile(new URL("../examples/routing/routing.yaml", import.meta.url).pathname, {
      OPENAI_API_KEY: "sk-example",
    });
    assert.deepEqual(
      [...routing.upstreams.values()].map((u) => u.kind),
      ["vertex", "vertex-endpoint", "openai-compatible"],
    );
    assert.equal(routing.routes.length, 5);
  });
});
