import assert from "node:assert/strict";
import { sign } from "node:crypto";
import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, test } from "node:test";
import { Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health } from "../gen/grpc/health/v1/health_pb.ts";
import { ChatService } from "../gen/vertexchat/v1/chat_service_pb.ts";
import { sha256 } from "../src/config/callers-file.ts";
import { issue, makeCa, writeTemp } from "./support/certs.ts";
import { rejection } from "./support/expect-error.ts";
import { userRequest } from "./support/requests.ts";
import { type Stack, startStack } from "./support/stack.ts";

const callersFile = (extra = "") =>
  writeTemp(
    `callers-${Math.random().toString(36).slice(2)}.yaml`,
    `callers:
  billing:
    apiKeys: ["billing-secret-key"]
    serviceAccounts: [billing@team-a.iam.gserviceaccount.com]
    certificateSubjects: [billing.internal]
    models: ["google/gemini-2.5-*"]
  reports:
    apiKeys: ["sha256:${sha256("reports-secret-key").toString("hex")}"]
    methods: [ListModels]
${extra}`,
  );

describe("caller authentication with API keys", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack({ VERTEXCHAT_AUTH: "api_key", VERTEXCHAT_CALLERS_FILE: callersFile() });
  });
  after(() => stack.close());

  const call = (headers: Record<string, string>, model = "google/gemini-2.5-flash") =>
    stack.client("grpc").createChatCompletion(userRequest("hi", { model }), { headers });

  test("no credentials → UNAUTHENTICATED saying what to send, and no upstream call", async () => {
    const before = stack.emulator.requests.length;
    const err = await rejection(call({}));
    assert.equal(err.code, Code.Unauthenticated);
    assert.match(err.rawMessage, /no credentials; send an API key \(Authorization: Bearer <key>, or x-api-key\)/);
    assert.equal(stack.emulator.requests.length, before);
  });

  test("an unknown key → UNAUTHENTICATED", async () => {
    const err = await rejection(call({ authorization: "Bearer not-a-key" }));
    assert.equal(err.code, Code.Unauthenticated);
    assert.match(err.rawMessage, /the API key is not known/);
  });

  test("a known key, as Bearer or x-api-key, is served", async () => {
    await call({ authorization: "Bearer billing-secret-key" });
    await call({ "x-api-key": "billing-secret-key" });
  });

  test("a key stored as a sha256 digest works; a method the caller may not call → PERMISSION_DENIED", async () => {
    const client = stack.client("grpc");
    const models = await client.listModels({}, { headers: { "x-api-key": "reports-secret-key" } });
    assert.ok(models.models.length > 0);
    const err = await rejection(call({ "x-api-key": "reports-secret-key" }));
    assert.equal(err.code, Code.PermissionDenied);
    assert.match(err.rawMessage, /caller reports may not call CreateChatCompletion; allowed: ListModels/);
  });

  test("a model the caller may not use → PERMISSION_DENIED, on streams too", async () => {
    const err = await rejection(call({ "x-api-key": "billing-secret-key" }, "google/gemini-3.1-pro-preview"));
    assert.equal(err.code, Code.PermissionDenied);
    assert.match(err.rawMessage, /may not use model "google\/gemini-3.1-pro-preview"; allowed: google\/gemini-2.5-\*/);
    const streamErr = await rejection(
      (async () => {
        for await (const _ of stack.client("grpc").streamChatCompletion(userRequest("x", { model: "meta/llama" }), {
          headers: { "x-api-key": "billing-secret-key" },
        })) {
          // no event expected
        }
      })(),
    );
    assert.equal(streamErr.code, Code.PermissionDenied);
  });

  test("health and reflection stay open without credentials", async () => {
    const health = createClient(Health, createGrpcTransport({ baseUrl: stack.gateway.url }));
    assert.equal((await health.check({})).status, 1);
  });
});

describe("caller authentication with Google-signed ID tokens", () => {
  const signer = makeCa("google-id-token-signer");
  let certsServer: Server;
  let stack: Stack;
  const audience = "https://vertexchat.internal";

  function idToken(claims: Record<string, unknown>): string {
    const now = Math.floor(Date.now() / 1000);
    const b64 = (v: object) => Buffer.from(JSON.stringify(v)).toString("base64url");
    const body = `${b64({ alg: "RS256", kid: "test-kid", typ: "JWT" })}.${b64({
      iss: "https://accounts.google.com",
      aud: audience,
      iat: now,
      exp: now + 3600,
      email_verified: true,
      ...claims,
    })}`;
    return `${body}.${sign("RSA-SHA256", Buffer.from(body), signer.key).toString("base64url")}`;
  }

  before(async () => {
    certsServer = createServer((_, res) => {
      res.writeHead(200, { "content-type": "application/json", "cache-control": "public, max-age=600" });
      res.end(JSON.stringify({ "test-kid": signer.cert }));
    });
    certsServer.listen(0, "127.0.0.1");
    await once(certsServer, "listening");
    stack = await startStack({
      VERTEXCHAT_AUTH: "id_token,api_key",
      VERTEXCHAT_CALLERS_FILE: callersFile(),
      VERTEXCHAT_ID_TOKEN_AUDIENCE: audience,
      VERTEXCHAT_ID_TOKEN_CERTS_URL: `http://127.0.0.1:${(certsServer.address() as AddressInfo).port}/certs`,
    });
  });
  after(async () => {
    await stack.close();
    certsServer.close();
  });

  const call = (token: string) =>
    stack.client("grpc").createChatCompletion(userRequest("hi"), { headers: { authorization: `Bearer ${token}` } });

  test("a valid token for an allowed service account is served", async () => {
    await call(idToken({ email: "billing@team-a.iam.gserviceaccount.com" }));
  });

  const bad: [string, Record<string, unknown>, RegExp][] = [
    [
      "another audience",
      { email: "billing@team-a.iam.gserviceaccount.com", aud: "https://elsewhere" },
      /the ID token is not valid: .*audience/i,
    ],
    [
      "an expired token",
      { email: "billing@team-a.iam.gserviceaccount.com", iat: 1000, exp: 2000 },
      /the ID token is not valid: .*(expired|too late)/i,
    ],
    [
      "an account that is not a caller",
      { email: "intruder@other.iam.gserviceaccount.com" },
      /intruder@other\.iam\.gserviceaccount\.com is not an allowed caller/,
    ],
  ];
  for (const [what, claims, message] of bad) {
    test(`${what} → UNAUTHENTICATED`, async () => {
      const err = await rejection(call(idToken(claims)));
      assert.equal(err.code, Code.Unauthenticated);
      assert.match(err.rawMessage, message);
    });
  }

  test("a token signed by another key → UNAUTHENTICATED", async () => {
    const token = idToken({ email: "billing@team-a.iam.gserviceaccount.com" });
    const forged = `${token.slice(0, token.lastIndexOf("."))}.${sign("RSA-SHA256", Buffer.from("x"), makeCa("forger").key).toString("base64url")}`;
    const err = await rejection(call(forged));
    assert.equal(err.code, Code.Unauthenticated);
  });

  test("API keys still work beside ID tokens", async () => {
    await call("billing-secret-key");
  });
});

describe("caller authentication with client certificates (mTLS)", () => {
  const ca = makeCa("client-ca");
  const server = issue(ca, "vertexchat-server");
  const billing = issue(ca, "billing.internal");
  const stranger = issue(ca, "stranger.internal");
  const otherCa = makeCa("other-ca");
  const forged = issue(otherCa, "billing.internal");
  let stack: Stack;
  before(async () => {
    stack = await startStack({
      VERTEXCHAT_AUTH: "mtls",
      VERTEXCHAT_CALLERS_FILE: callersFile(),
      VERTEXCHAT_TLS_CERT: server.certFile,
      VERTEXCHAT_TLS_KEY: server.keyFile,
      VERTEXCHAT_TLS_CLIENT_CA: ca.certFile,
    });
  });
  after(() => stack.close());

  const clientWith = (cert?: { cert: string; key: string }) =>
    createClient(
      ChatService,
      createGrpcTransport({
        baseUrl: stack.gateway.url,
        nodeOptions: { ca: ca.cert, ...(cert ? { cert: cert.cert, key: cert.key } : {}) },
      }),
    );

  test("a certificate from the client CA with an allowed subject is served", async () => {
    const res = await clientWith(billing).createChatCompletion(userRequest("over mTLS"));
    assert.match(String(res.choices[0]?.message?.content[0]?.kind.value), /over mTLS$/);
  });

  test("no certificate, an unknown subject, or another CA → UNAUTHENTICATED", async () => {
    for (const [cert, message] of [
      [undefined, /no credentials; send a client certificate/],
      [stranger, /no caller has the client certificate subject CN=stranger\.internal/],
      [forged, /the client certificate is not signed by the configured client CA/],
    ] as const) {
      const err = await rejection(clientWith(cert).createChatCompletion(userRequest("x")));
      assert.equal(err.code, Code.Unauthenticated);
      assert.match(err.rawMessage, message);
    }
  });
});
