/**
 * The start-up warm-up (src/server/warm-up.ts) sends its calls through the gateway's own code against a canned
 * loopback upstream: it must leave no trace a caller or an operator could see — no call at the configured
 * upstream, no log line of a call, no count in the metrics — and the gateway serves the same with it off. What
 * does reach each HTTPS upstream is a connection, opened before listening so that the first call finds it.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { freePort } from "../bench/servers.ts";
import { issue, makeCa } from "./support/certs.ts";
import { userRequest } from "./support/requests.ts";
import { startStack } from "./support/stack.ts";

/** A gateway in front of the emulator over TLS offering h2, as Google's front end, with the warm-up on or off. */
function stackOverTls(warmUp: "on" | "off") {
  const ca = makeCa(`warm-up-${warmUp}-upstream-ca`);
  const server = issue(ca, `warm-up-${warmUp}-upstream`);
  return startStack(
    { VERTEXCHAT_WARM_UP: warmUp, VERTEXCHAT_UPSTREAM_CA: ca.certFile },
    { emulator: { tls: { key: server.key, cert: server.cert } } },
  );
}

describe("the start-up warm-up", () => {
  test("reaches no configured upstream, logs no call and counts none", async () => {
    const stack = await startStack({ VERTEXCHAT_WARM_UP: "on" }, { captureLogs: true });
    try {
      assert.equal(stack.emulator.requests.length, 0);
      assert.deepEqual(
        stack.logs.filter((l) => l.msg === "rpc"),
        [],
      );
      assert.ok(!stack.logs.some((l) => /warm-up failed/.test(String(l.msg))), "the warm-up ran without failing");
      const metrics = await (await fetch(`${stack.gateway.adminUrl}/metrics`)).text();
      assert.doesNotMatch(metrics, /grpc_server_started_total\{/);
      assert.doesNotMatch(metrics, /vertexchat_upstream_request_seconds_count\{/);
      const answer = await stack.client().createChatCompletion(userRequest("after the warm-up"));
      assert.match(String(answer.choices[0]?.message?.content[0]?.kind.value), /after the warm-up$/);
      assert.equal(stack.emulator.requests.length, 1);
    } finally {
      await stack.close();
    }
  });

  test("VERTEXCHAT_WARM_UP=off: the gateway serves the same", async () => {
    const stack = await startStack({ VERTEXCHAT_WARM_UP: "off" });
    try {
      const answer = await stack.client("grpc").createChatCompletion(userRequest("no warm-up"));
      assert.match(String(answer.choices[0]?.message?.content[0]?.kind.value), /no warm-up$/);
    } finally {
      await stack.close();
    }
  });

  test("a plain-HTTP upstream gets no connection ahead: nothing reaches it before the first call", async () => {
    const stack = await startStack({ VERTEXCHAT_WARM_UP: "on" });
    try {
      assert.equal(stack.emulator.connections, 0);
    } finally {
      await stack.close();
    }
  });

  test("over TLS with HTTP/2, as Google's front end: the first call needs no handshake", async () => {
    const stack = await stackOverTls("on");
    try {
      assert.equal(stack.emulator.connections, 1, "one TLS connection (one handshake) before any call");
      await stack.client("grpc").createChatCompletion(userRequest("first call over h2"));
      assert.equal(stack.emulator.connections, 1);
      assert.equal(stack.emulator.requests.at(-1)?.httpVersion, "2.0");
    } finally {
      await stack.close();
    }
  });

  test("an upstream that cannot be reached: start-up goes on, with a warning naming it", async () => {
    const closed = `https://127.0.0.1:${await freePort()}`;
    const stack = await startStack({ VERTEXCHAT_WARM_UP: "on" }, { upstreamOrigin: closed, captureLogs: true });
    try {
      const warning = stack.logs.find((l) => /could not open a connection to an upstream/.test(String(l.msg)));
      assert.equal(warning?.level, 40);
      assert.deepEqual(
        ((warning?.upstreams ?? []) as { origin: string }[]).map((u) => u.origin),
        [closed],
      );
    } finally {
      await stack.close();
    }
  });

  test("VERTEXCHAT_WARM_UP=off opens no connection ahead", async () => {
    const stack = await stackOverTls("off");
    try {
      assert.equal(stack.emulator.connections, 0);
    } finally {
      await stack.close();
    }
  });
});
