/**
 * The start-up warm-up (src/server/warm-up.ts) sends its calls through the gateway's own code against a canned
 * loopback upstream: it must leave no trace a caller or an operator could see — no request at the configured
 * upstream, no log line of a call, no count in the metrics — and the gateway serves the same with it off.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { userRequest } from "./support/requests.ts";
import { startStack } from "./support/stack.ts";

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
});
