import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";
import { loadRoutingFile, parseRouting } from "./routing-file.ts";
import { ConfigError } from "./settings.ts";

const ENV = { LOCAL_VLLM_KEY: "sk-local" };
const upstreams = {
  vertex: { kind: "vertex", project: "p", locations: ["us-central1", "global"] },
  vllm: { kind: "openai-compatible", baseUrl: "http://127.0.0.1:8000/v1", apiKeyEnv: "LOCAL_VLLM_KEY" },
};

describe("routing file", () => {
  test("a complete file with all three upstream kinds parses", () => {
    const routing = parseRouting(
      {
        upstreams: {
          ...upstreams,
          garden: {
            kind: "vertex-endpoint",
            project: "p",
            location: "us-central1",
            endpointId: "123",
            dns: "shared",
            sharedDnsStreaming: "unary",
          },
        },
        routes: [
          { match: "google/*", upstream: "vertex" },
          { match: "fast", upstream: "vertex", model: "google/gemini-2.5-flash" },
          { match: "llama", upstream: "garden" },
        ],
        default: "vllm",
      },
      "routes.yaml",
      ENV,
    );
    assert.deepEqual([...routing.upstreams.keys()], ["vertex", "vllm", "garden"]);
    assert.equal(routing.defaultUpstream, "vllm");
    assert.deepEqual(routing.upstreams.get("vllm")?.credentials, {
      type: "api_key",
      env: "LOCAL_VLLM_KEY",
      value: "sk-local",
    });
    assert.deepEqual(routing.routes[1], {
      match: "fast",
      upstream: "vertex",
      model: "google/gemini-2.5-flash",
      capabilities: undefined,
    });
  });

  const bad: [string, unknown, RegExp][] = [
    [
      "an unknown upstream kind",
      { upstreams: { x: { kind: "bedrock" } }, default: "x" },
      /^routes\.yaml: upstreams\.x\.kind: "bedrock" is not an upstream kind; use vertex, vertex-endpoint, openai-compatible$/,
    ],
    [
      "a malformed URL",
      {
        upstreams: { x: { kind: "openai-compatible", baseUrl: "localhost:8000", apiKeyEnv: "LOCAL_VLLM_KEY" } },
        default: "x",
      },
      /upstreams\.x\.baseUrl: "localhost:8000" is not an http\(s\) URL; write it like https:\/\/api\.openai\.com\/v1/,
    ],
    [
      "a route to an undefined upstream",
      { upstreams, routes: [{ match: "a", upstream: "nowhere" }] },
      /routes\[0\]\.upstream: no upstream is named "nowhere"; use one of: vertex, vllm/,
    ],
    [
      "a duplicate alias",
      {
        upstreams,
        routes: [
          { match: "fast", upstream: "vertex", model: "m1" },
          { match: "fast", upstream: "vllm", model: "m2" },
        ],
      },
      /routes\[1\]\.match: "fast" is already routed by routes\[0\]; remove one of them/,
    ],
    [
      "a missing API key variable",
      {
        upstreams: {
          x: { kind: "openai-compatible", baseUrl: "https://api.openai.com/v1", apiKeyEnv: "OPENAI_API_KEY" },
        },
        default: "x",
      },
      /upstreams\.x\.apiKeyEnv: the environment variable OPENAI_API_KEY is not set; export it/,
    ],
    [
      "an unknown key",
      { upstreams: { x: { kind: "vertex", project: "p", locaton: "global" } } },
      /upstreams\.x\.locaton: unknown key; the keys here are kind, project, locations/,
    ],
    [
      "a bad location",
      { upstreams: { x: { kind: "vertex", project: "p", locations: ["Iowa"] } }, default: "x" },
      /upstreams\.x\.locations\[0\]: "Iowa" is not a location; use global or a region like us-central1/,
    ],
    [
      "a dedicated endpoint without project number",
      {
        upstreams: { g: { kind: "vertex-endpoint", project: "p", location: "us-central1", endpointId: "1" } },
        default: "g",
      },
      /upstreams\.g\.projectNumber: a dedicated DNS name needs the project number/,
    ],
    [
      "a prefix route that renames",
      { upstreams, routes: [{ match: "google/*", upstream: "vertex", model: "x" }] },
      /routes\[0\]\.model: a prefix route cannot rename models/,
    ],
    ["no routes and no default", { upstreams }, /routes: no route and no default/],
    [
      "a default that is not an upstream",
      { upstreams, default: "vertx" },
      /default: no upstream is named "vertx"; use one of: vertex, vllm/,
    ],
  ];
  for (const [what, doc, message] of bad) {
    test(`${what} stops start-up naming the file, the path and the fix`, () => {
      assert.throws(
        () => parseRouting(doc, "routes.yaml", ENV),
        (err: unknown) => {
          assert.ok(err instanceof ConfigError);
          assert.match(err.message, message);
          assert.ok(err.message.startsWith("routes.yaml: "));
          return true;
        },
      );
    });
  }

  test("YAML files are read, and a syntax error names the file", () => {
    const dir = mkdtempSync(join(tmpdir(), "vertexchat-routing-"));
    const good = join(dir, "good.yaml");
    writeFileSync(good, "upstreams:\n  v:\n    kind: vertex\n    project: p\n    locations: [global]\ndefault: v\n");
    assert.equal(loadRoutingFile(good, {}).defaultUpstream, "v");
    const broken = join(dir, "broken.yaml");
    writeFileSync(broken, "upstreams: [unclosed\n");
    assert.throws(() => loadRoutingFile(broken, {}), new RegExp(`^ConfigError: ${broken}: not valid YAML or JSON`));
    assert.throws(() => loadRoutingFile(join(dir, "missing.yaml"), {}), /cannot read the routing file \(ENOENT\)/);
  });
});
