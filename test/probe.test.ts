/**
 * `npm run probe` compares an upstream with the built-in emulator. Google is never called here: an emulator stands
 * in for Vertex (no differences), then a deliberately different upstream (each difference found and named), and a
 * recording the probe wrote is replayed through the gateway as a fixture.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { ResponseBuilder } from "vertexchat/client";
import { type RunningEmulator, startEmulator } from "../src/emulator/emulator-server.ts";
import { PROBE_CASES } from "../src/probe/probe-cases.ts";
import { loadProbeRecording } from "./fixtures/load-fixture.ts";
import { type ReplayUpstream, startReplayUpstream } from "./support/replay-upstream.ts";
import { userRequest } from "./support/requests.ts";
import { type Stack, startStack } from "./support/stack.ts";

const root = new URL("..", import.meta.url).pathname;
const TOKEN = "ya29.secret-probe-token";
const PROJECT = "probe-project-4711";

async function probe(vertexOrigin: string): Promise<{ code: number; stdout: string; out: string }> {
  const out = mkdtempSync(join(tmpdir(), "vertexchat-probe-"));
  const args = ["src/probe/main.ts", "--project", PROJECT, "--vertex-origin", vertexOrigin, "--token", TOKEN];
  const run = promisify(execFile)(process.execPath, [...args, "--out", out], { cwd: root });
  const result = await run.then(
    (r) => ({ code: 0, stdout: r.stdout }),
    (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout + e.stderr }),
  );
  return { ...result, out };
}

/** An upstream unlike Vertex in five named ways, in front of an emulator for everything else. */
async function startDifferentUpstream(emulatorOrigin: string): Promise<{ origin: string; close(): Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    const parts: Buffer[] = [];
    for await (const part of req) parts.push(part as Buffer);
    const upstream = await fetch(`${emulatorOrigin}${req.url}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: req.headers.authorization ?? "" },
      body: Buffer.concat(parts),
    });
    const type = upstream.headers.get("content-type") ?? "";
    let body = await upstream.text();
    let status = upstream.status;
    if (status === 404) status = 400; // 1. a missing model as a 400
    if (status >= 400 && body.startsWith("[")) body = JSON.stringify((JSON.parse(body) as unknown[])[0]); // 2. {error}
    if (type.includes("event-stream"))
      body = body.replace("data: [DONE]\n\n", ""); // 3. no [DONE]
    else if (status === 200) {
      const answer = JSON.parse(body) as Record<string, unknown>;
      answer.id = "chatcmpl-0b9e7c3e-0000-4000-8000-000000000000"; // 4. OpenAI's id form
      answer.service_tier = "default"; // 5. a key Vertex does not send
      body = JSON.stringify(answer);
    }
    res.writeHead(status, { "content-type": type }).end(body);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: async () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

describe("npm run probe", () => {
  let standIn: RunningEmulator;
  let same: Awaited<ReturnType<typeof probe>>;
  before(async () => {
    standIn = await startEmulator();
    same = await probe(standIn.origin);
  });
  after(() => standIn.close());

  test("against an emulator standing in for Vertex it finds no differences and exits 0", () => {
    assert.equal(same.code, 0, same.stdout);
    assert.match(same.stdout, new RegExp(`${PROBE_CASES.length} cases, 0 with differences`));
    const report = readFileSync(join(same.out, "report.md"), "utf8");
    assert.match(report, /No differences\./);
    assert.ok(PROBE_CASES.length >= 20);
  });

  test("it sent the whole battery, the second tool turn carrying the first turn's signature", () => {
    const bodies = standIn.requests.map((r) => r.body);
    assert.equal(bodies.length, PROBE_CASES.length);
    const second = bodies.find((b) => b?.messages.some((m) => m.role === "tool")) as unknown as {
      messages: { tool_calls?: { extra_content?: { google?: { thought_signature?: string } } }[] }[];
    };
    const call = second.messages.find((m) => m.tool_calls)?.tool_calls?.[0];
    assert.equal(typeof call?.extra_content?.google?.thought_signature, "string");
    assert.ok(standIn.requests.every((r) => r.token === TOKEN));
  });

  test("its recordings cover every case of both sides and hold neither the token nor the project", () => {
    for (const side of ["vertex", "emulator"]) {
      const files = readdirSync(join(same.out, "recordings", side));
      assert.deepEqual(files.sort(), PROBE_CASES.map((c) => `${c.name}.json`).sort());
      for (const file of files) {
        const text = readFileSync(join(same.out, "recordings", side, file), "utf8");
        assert.ok(!text.includes("secret-probe-token") && !text.includes(PROJECT), file);
      }
    }
  });

  test("against a different upstream it names each difference and exits 1", async () => {
    const different = await startDifferentUpstream(standIn.origin);
    try {
      const result = await probe(different.origin);
      assert.equal(result.code, 1, result.stdout);
      const report = readFileSync(join(result.out, "report.md"), "utf8");
      const section = (name: string) => report.slice(report.indexOf(`## ${name}\n`)).split("\n## ")[0] ?? "";
      assert.match(section("error-unknown-model"), /\| status \| `HTTP status` \| 400 \| 404 \|/);
      assert.match(
        section("error-unknown-key"),
        /\| body form \| `body form` \| json-object-error \| json-array-error \|/,
      );
      assert.match(section("text-stream"), /\| stream \| `done` \| false \| true \|/);
      assert.match(section("text"), /\| id form \| `id` \| chatcmpl-uuid \| token\(16–31 chars\) \|/);
      assert.match(section("text"), /\| key \| `service_tier` \| string \| absent \|/);
      assert.match(section("error-unknown-key"), /Vertex said: Invalid JSON payload received/);
    } finally {
      await different.close();
    }
  });
});

describe("a probe recording is a fixture", () => {
  let standIn: RunningEmulator;
  let upstream: ReplayUpstream;
  let stack: Stack;
  let out: string;
  before(async () => {
    standIn = await startEmulator();
    out = (await probe(standIn.origin)).out;
    upstream = await startReplayUpstream();
    stack = await startStack({}, { upstreamOrigin: upstream.origin });
  });
  after(async () => {
    await stack.close();
    await upstream.close();
    await standIn.close();
  });

  const recorded = (name: string) => join(out, "recordings", "vertex", `${name}.json`);

  test("a recorded answer replays through the gateway", async () => {
    upstream.next = loadProbeRecording(recorded("thinking-effort"));
    const wire = JSON.parse(upstream.next.body) as { choices: { message: { content: string } }[] };
    const res = await stack.client().createChatCompletion(userRequest("replayed"));
    assert.equal(res.choices[0]?.message?.content[0]?.kind.value, wire.choices[0]?.message.content);
    assert.ok((res.usage?.reasoningTokens ?? 0) > 0);
  });

  test("a recorded stream replays through the gateway", async () => {
    upstream.next = loadProbeRecording(recorded("text-stream"));
    const builder = new ResponseBuilder();
    for await (const event of stack.client().streamChatCompletion(userRequest("replayed"))) builder.add(event);
    assert.match(String(builder.build().choices[0]?.message?.content[0]?.kind.value), /says: Say hello/);
  });
});
