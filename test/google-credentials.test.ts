import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ChatService } from "../gen/vertexchat/v1/chat_service_pb.ts";
import { type RunningEmulator, startEmulator } from "../src/emulator/emulator-server.ts";
import {
  adcGatewayEnv,
  type GatewayProcess,
  isolatedCredentialsEnv,
  startGatewayProcess,
} from "./support/gateway-process.ts";
import { type MetadataServer, startMetadataServer } from "./support/metadata-server.ts";
import { userRequest } from "./support/requests.ts";

describe("the upstream token comes from google-auth-library, per request", () => {
  let metadata: MetadataServer;
  let emulator: RunningEmulator;
  let gateway: GatewayProcess;

  before(async () => {
    // 305 s is 5 s past google-auth-library's 5-minute early-refresh margin: the token goes stale 5 s after issue.
    metadata = await startMetadataServer({ expiresInSeconds: 305 });
    emulator = await startEmulator({ acceptToken: (token) => metadata.isValid(token) });
    gateway = await startGatewayProcess(adcGatewayEnv(emulator.origin, metadata.host));
  });
  after(async () => {
    await gateway.stop();
    await emulator.close();
    await metadata.close();
  });

  test("the `vertexchat listening` line shows each upstream's base URL per location", () => {
    const line = gateway.logs.find((l) => l.includes("vertexchat listening")) ?? "";
    const logged = JSON.parse(line) as { upstreams: Record<string, string[]> };
    assert.deepEqual(Object.values(logged.upstreams), [
      [
        `${emulator.origin}/v1/projects/test-project/locations/us-central1/endpoints/openapi`,
        // Gemini 3 previews are sent to global whatever the configured location.
        `${emulator.origin}/v1/projects/test-project/locations/global/endpoints/openapi`,
      ],
    ]);
  });

  test("uses a cached token, replaces it when it nears expiry, and refreshes once after a 401", async () => {
    const client = createClient(ChatService, createGrpcTransport({ baseUrl: gateway.url }));
    await client.createChatCompletion(userRequest("one"));
    await client.createChatCompletion(userRequest("two"));
    assert.deepEqual(
      emulator.requests.map((r) => r.token),
      ["ya29.test-token-1", "ya29.test-token-1"],
    );
    assert.equal(emulator.requests[0]?.location, "us-central1");
    assert.equal(emulator.requests[0]?.project, "test-project");

    await sleep(5_300);
    await client.createChatCompletion(userRequest("three"));
    assert.equal(emulator.requests.at(-1)?.token, "ya29.test-token-2", "an expiring token was replaced, not reused");

    metadata.revoke("ya29.test-token-2");
    const answer = await client.createChatCompletion(userRequest("four"));
    assert.match(String(answer.choices[0]?.message?.content[0]?.kind.value), /four$/);
    assert.deepEqual(
      emulator.requests.slice(-2).map((r) => [r.token, r.status]),
      [
        ["ya29.test-token-2", 401],
        ["ya29.test-token-3", 200],
      ],
    );
  });
});

describe("without any Google credentials", () => {
  test("a call fails with UNAVAILABLE and a message saying how to provide credentials, not an internal error", async () => {
    const gateway = await startGatewayProcess(
      isolatedCredentialsEnv({
        GOOGLE_CLOUD_PROJECT: "test-project",
        VERTEXCHAT_VERTEX_ORIGIN: "http://127.0.0.1:9",
        // A metadata host that refuses connections: no ADC anywhere.
        GCE_METADATA_HOST: "127.0.0.1:9",
        METADATA_SERVER_DETECTION: "none",
      }),
    );
    try {
      const client = createClient(ChatService, createGrpcTransport({ baseUrl: gateway.url }));
      const err = await client.createChatCompletion(userRequest("hi")).then(
        () => assert.fail("expected a failure"),
        (e: unknown) => ConnectError.from(e),
      );
      assert.equal(err.code, Code.Unavailable);
      assert.match(err.rawMessage, /gcloud auth application-default login/);
      assert.match(err.rawMessage, /GOOGLE_APPLICATION_CREDENTIALS/);
    } finally {
      assert.equal(await gateway.stop(), 0);
    }
  });
});
