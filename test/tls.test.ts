import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { ChatService } from "../gen/vertexchat/v1/chat_service_pb.ts";
import { userRequest } from "./support/requests.ts";
import { type Stack, startStack } from "./support/stack.ts";

describe("TLS offers h2 and http/1.1 on the same port", () => {
  let stack: Stack;
  let ca: Buffer;
  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), "vertexchat-tls-"));
    const [cert, key] = [join(dir, "cert.pem"), join(dir, "key.pem")];
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=localhost",
        "-addext",
        "subjectAltName=IP:127.0.0.1,DNS:localhost",
        "-keyout",
        key,
        "-out",
        cert,
      ],
      { stdio: "ignore" },
    );
    ca = readFileSync(cert);
    stack = await startStack({ VERTEXCHAT_TLS_CERT: cert, VERTEXCHAT_TLS_KEY: key });
  });
  after(() => stack.close());

  test("the listener reports an https URL", () => {
    assert.match(stack.gateway.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  });

  const transports = {
    "gRPC over h2": () => createGrpcTransport({ baseUrl: stack.gateway.url, nodeOptions: { ca } }),
    "Connect over http/1.1": () =>
      createConnectTransport({ baseUrl: stack.gateway.url, httpVersion: "1.1", nodeOptions: { ca } }),
    "Connect over h2": () =>
      createConnectTransport({ baseUrl: stack.gateway.url, httpVersion: "2", nodeOptions: { ca } }),
    "gRPC-Web over http/1.1": () =>
      createGrpcWebTransport({ baseUrl: stack.gateway.url, httpVersion: "1.1", nodeOptions: { ca } }),
  };
  for (const [name, transport] of Object.entries(transports)) {
    test(`${name}: unary and streaming calls succeed`, async () => {
      const client = createClient(ChatService, transport());
      const res = await client.createChatCompletion(userRequest(`secure ${name}`));
      assert.equal(
        res.choices[0]?.message?.content[0]?.kind.value,
        `Emulated google/gemini-2.5-flash says: secure ${name}`,
      );
      let text = "";
      for await (const e of client.streamChatCompletion(userRequest(`secure ${name}`))) {
        if (e.event.case === "delta" && e.event.value.delta.case === "text") text += e.event.value.delta.value;
      }
      assert.equal(text, `Emulated google/gemini-2.5-flash says: secure ${name}`);
    });
  }
});
