import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { parseRouting } from "../config/routing-file.ts";
import { ChatUpstream } from "../upstream/chat-upstream.ts";
import { UpstreamHttp } from "../upstream/lean-fetch.ts";
import { staticTokenSource } from "../upstream/token-source.ts";
import { createRouter } from "./model-router.ts";

const routing = parseRouting(
  {
    upstreams: {
      vertex: {
        kind: "vertex",
        project: "p",
        locations: ["us-central1", "europe-west4"],
        origin: "http://127.0.0.1:1",
      },
      shared: {
        kind: "vertex-endpoint",
        project: "p",
        location: "us-east1",
        endpointId: "1",
        dns: "shared",
        origin: "http://127.0.0.1:1",
      },
      unary: {
        kind: "vertex-endpoint",
        project: "p",
        location: "us-east1",
        endpointId: "2",
        dns: "shared",
        sharedDnsStreaming: "unary",
        origin: "http://127.0.0.1:1",
      },
    },
    routes: [
      { match: "google/*", upstream: "vertex" },
      { match: "google/gemini-3-pro-preview", upstream: "vertex" },
      { match: "llama", upstream: "shared" },
      { match: "llama-unary", upstream: "unary" },
    ],
  },
  "routing.json",
  {},
);
const http = new UpstreamHttp();
const built: string[] = [];
const router = createRouter(routing, (upstream, location) => {
  built.push(`${upstream.name}@${location}`);
  return new ChatUpstream({
    baseUrl: `http://127.0.0.1:1/${location}`,
    tokens: staticTokenSource("t"),
    fetch: http.fetch,
  });
});
const entry = (name: string) => router.catalog().find((m) => m.name === name);

describe("model router", () => {
  test("a model fails over through the upstream's locations in order; ListModels lists the same", () => {
    const route = router.route("google/gemini-2.5-flash");
    assert.deepEqual(
      route?.targets.map((t) => t.location),
      ["us-central1", "europe-west4"],
    );
    assert.deepEqual(entry("google/*")?.locations, ["us-central1", "europe-west4"]);
  });

  test("a global-only model goes to global only, in routing and in ListModels", () => {
    assert.deepEqual(
      router.route("google/gemini-3-pro-preview")?.targets.map((t) => t.location),
      ["global"],
    );
    assert.deepEqual(entry("google/gemini-3-pro-preview")?.locations, ["global"]);
  });

  test("a context cache pins the call to the cache's region", () => {
    const route = router.route("google/gemini-2.5-flash", {
      cachedContent: "projects/p/locations/europe-west4/cachedContents/c1",
    });
    assert.deepEqual(
      route?.targets.map((t) => t.location),
      ["europe-west4"],
    );
  });

  test("shared-DNS endpoints: streaming refused or answered unary, and ListModels' capability agrees", () => {
    assert.equal(router.route("llama")?.streaming, "reject");
    assert.equal(entry("llama")?.capabilities?.streaming, false);
    assert.equal(router.route("llama-unary")?.streaming, "unary");
    assert.equal(entry("llama-unary")?.capabilities?.streaming, true);
  });

  test("the most specific route wins, and every configured location has its client from the start", () => {
    assert.equal(router.route("google/gemini-3-pro-preview")?.upstreamModel, "google/gemini-3-pro-preview");
    assert.ok(built.includes("vertex@us-central1") && built.includes("vertex@europe-west4"));
    assert.equal(router.route("nothing-routes-here"), undefined);
  });
});
