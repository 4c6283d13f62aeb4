import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, test } from "node:test";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ErrorInfoSchema, RetryInfoSchema } from "../gen/google/rpc/error_details_pb.ts";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../gen/grpc/health/v1/health_pb.ts";
import { ChatService } from "../gen/vertexchat/v1/chat_service_pb.ts";
import { type RunningEmulator, startEmulator } from "../src/emulator/emulator-server.ts";
import {
  adcGatewayEnv,
  type GatewayProcess,
  isolatedCredentialsEnv,
  startGatewayProcess,
} from "./support/gateway-process.ts";
import { type MetadataFaults, type MetadataServer, startMetadataServer } from "./support/metadata-server.ts";
import { userRequest } from "./support/requests.ts";

/**
 * The gateway's Google credentials heal by themselves: a metadata server that is down, slow or failing when the
 * gateway starts (normal at pod start with GKE Workload Identity) costs readiness until it recovers, never a restart.
 * Each case runs google-auth-library's real ADC path against a stand-in metadata server, in a real gateway process.
 */
describe("credentials that heal: the gateway recovers from a misbehaving metadata server without a restart", () => {
  let metadata: MetadataServer;
  let emulator: RunningEmulator;
  let gateway: GatewayProcess | undefined;
  afterEach(async () => {
    await gateway?.stop();
    gateway = undefined;
    await emulator.close();
    await metadata.close();
  });

  async function start(faults: MetadataFaults, env: Record<string, string> = {}) {
    metadata = await startMetadataServer({ expiresInSeconds: 3600, ...faults });
    emulator = await startEmulator({ acceptToken: (token) => metadata.isValid(token) });
    gateway = await startGatewayProcess(
      adcGatewayEnv(emulator.origin, metadata.host, { VERTEXCHAT_CREDENTIALS_RETRY_MAX_MS: "1000", ...env }),
    );
    const url = gateway.url;
    return {
      chat: createClient(ChatService, createGrpcTransport({ baseUrl: url })),
      health: createClient(Health, createGrpcTransport({ baseUrl: url })),
    };
  }

  /** ChatService's statuses as Health/Watch reports them, until SERVING; with the liveness status seen meanwhile. */
  async function watchUntilServing(health: ReturnType<typeof createClient<typeof Health>>) {
    const seen: Status[] = [];
    const liveness: Status[] = [];
    const signal = AbortSignal.timeout(30_000);
    for await (const res of health.watch({ service: ChatService.typeName }, { signal })) {
      seen.push(res.status);
      liveness.push((await health.check({ service: "" })).status);
      if (res.status === Status.SERVING) break;
    }
    return { seen, liveness, servingAt: Date.now() };
  }

  const cases: [string, MetadataFaults, number][] = [
    // [what, faults, when the stand-in has recovered (ms after its start)]
    ["down (connections reset) for the first 3 s", { downForMs: 3_000 }, 3_000],
    ["first answer only after 4 s (past gcp-metadata's 3 s detection timeout)", { firstAnswerDelayMs: 4_000 }, 4_000],
    ["HTTP 500 for 3 s, then healthy", { errorsForMs: 3_000 }, 3_000],
  ];
  for (const [what, faults, recoveredAfterMs] of cases) {
    test(`metadata server ${what}: NOT_SERVING until a token comes, then SERVING and answering`, async () => {
      const { chat, health } = await start(faults);
      const startedAt = Date.now();
      const { seen, liveness, servingAt } = await watchUntilServing(health);
      assert.equal(seen[0], Status.NOT_SERVING, "ChatService is not ready before the gateway has a token");
      assert.equal(seen.at(-1), Status.SERVING);
      assert.ok(
        liveness.every((s) => s === Status.SERVING),
        "liveness stays SERVING",
      );
      // Not a timing test: this only tells "healed after one backoff (≤ 1 s) and one attempt" from "never healed".
      assert.ok(servingAt - startedAt < recoveredAfterMs + 10_000, `SERVING after ${servingAt - startedAt} ms`);
      const answer = await chat.createChatCompletion(userRequest("healed"));
      assert.match(String(answer.choices[0]?.message?.content[0]?.kind.value), /healed$/);
      assert.equal(emulator.requests.at(-1)?.status, 200);
    });
  }

  test("while no token can be had, calls fail at once with UNAVAILABLE, RetryInfo and the source that was tried", async () => {
    const { chat } = await start({ downForMs: 60_000 });
    // Let the first start-up attempt fail, so the call meets the failing state rather than waiting on it.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const err = await chat.createChatCompletion(userRequest("hi")).then(
      () => assert.fail("expected a failure"),
      (e: unknown) => ConnectError.from(e),
    );
    assert.equal(err.code, Code.Unavailable);
    assert.match(err.rawMessage, new RegExp(`GCE metadata server at ${metadata.host.replace(/\./g, "\\.")}`));
    assert.match(err.rawMessage, /could not be reached|did not answer|answered HTTP/);
    assert.match(err.rawMessage, /tries again by itself/);
    assert.equal(err.findDetails(ErrorInfoSchema)[0]?.reason, "GATEWAY_CREDENTIALS_MISSING");
    const retry = err.findDetails(RetryInfoSchema)[0];
    assert.ok(retry?.retryDelay, "RetryInfo says when to try again");
    assert.equal(emulator.requests.length, 0, "no upstream request without a token");
  });

  test("a slow project-id lookup never delays tokens: the configured project is handed to google-auth-library", async () => {
    // The project comes from the routing file only, so google-auth-library has no environment variable to read it from.
    const file = join(mkdtempSync(join(tmpdir(), "vertexchat-routing-")), "routing.json");
    metadata = await startMetadataServer({ expiresInSeconds: 3600, projectIdDelayMs: 60_000 });
    emulator = await startEmulator({ acceptToken: (token) => metadata.isValid(token) });
    writeFileSync(
      file,
      JSON.stringify({
        upstreams: {
          v: { kind: "vertex", project: "routed-project", locations: ["us-central1"], origin: emulator.origin },
        },
        routes: [{ match: "*", upstream: "v" }],
      }),
    );
    gateway = await startGatewayProcess(
      isolatedCredentialsEnv({ VERTEXCHAT_CONFIG: file, GCE_METADATA_HOST: metadata.host }),
    );
    const chat = createClient(ChatService, createGrpcTransport({ baseUrl: gateway.url }));
    const answer = await chat.createChatCompletion(userRequest("routed"), { timeoutMs: 20_000 });
    assert.match(String(answer.choices[0]?.message?.content[0]?.kind.value), /routed$/);
    assert.equal(emulator.requests.at(-1)?.project, "routed-project");
    assert.ok(!metadata.paths.includes("/computeMetadata/v1/project/project-id"), metadata.paths.join(", "));
  });
});
