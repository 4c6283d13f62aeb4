import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import type { Socket } from "node:net";
import { createInterface } from "node:readline";
import { describe, test } from "node:test";
import { Code, createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../gen/grpc/health/v1/health_pb.ts";
import { type ChatCompletionStreamResponse, ChatService } from "../gen/vertexchat/v1/chat_service_pb.ts";
import { rejection } from "./support/expect-error.ts";
import { startGatewayProcess } from "./support/gateway-process.ts";
import { startReplayUpstream } from "./support/replay-upstream.ts";
import { userRequest } from "./support/requests.ts";
import { startStack } from "./support/stack.ts";

describe("graceful shutdown on SIGTERM, end to end", () => {
  test("health goes NOT_SERVING, new calls are refused, a stream in flight finishes, the process exits 0", async () => {
    const gateway = await startGatewayProcess({
      VERTEXCHAT_SHUTDOWN_GRACE_MS: "10000",
      VERTEXCHAT_EMULATOR_PACING_MS: "0",
    });
    const transport = createGrpcTransport({ baseUrl: gateway.url });
    const health = createClient(Health, transport);
    const chat = createClient(ChatService, transport);
    const statuses: Status[] = [];
    const watching = (async () => {
      for await (const res of health.watch({ service: "vertexchat.v1.ChatService" })) statuses.push(res.status);
    })().catch(() => undefined);
    const events: ChatCompletionStreamResponse[] = [];
    let sentSignal = false;
    const exited = once(gateway.child, "exit");
    for await (const event of chat.streamChatCompletion(userRequest("[[emulate words=20 pacing_ms=60]]"))) {
      events.push(event);
      if (!sentSignal) {
        sentSignal = true;
        gateway.child.kill("SIGTERM");
        await new Promise((r) => setTimeout(r, 100));
        // A new call on a new connection finds nobody listening; on this connection it is refused.
        const err = await rejection(chat.createChatCompletion(userRequest("too late")));
        assert.equal(err.code, Code.Unavailable);
      }
    }
    assert.equal(events.at(-1)?.event.case, "finished", "the stream in flight was allowed to finish");
    const [code] = await exited;
    assert.equal(code, 0);
    await watching;
    assert.deepEqual(statuses.slice(0, 2), [Status.SERVING, Status.NOT_SERVING]);
    assert.ok(gateway.logs.some((l) => l.includes('"all_calls_finished":true')));
  });

  test("a stream still running after the grace period ends with UNAVAILABLE, and the process exits 0", async () => {
    const gateway = await startGatewayProcess({ VERTEXCHAT_SHUTDOWN_GRACE_MS: "300" });
    const chat = createClient(ChatService, createGrpcTransport({ baseUrl: gateway.url }));
    const exited = once(gateway.child, "exit");
    let received = 0;
    const started = Date.now();
    const err = await rejection(
      (async () => {
        for await (const _ of chat.streamChatCompletion(userRequest("[[emulate words=200 pacing_ms=50]]"))) {
          if (++received === 2) gateway.child.kill("SIGTERM");
        }
      })(),
    );
    assert.equal(err.code, Code.Unavailable);
    assert.match(err.rawMessage, /shutting down/);
    assert.ok(Date.now() - started < 5000, "ended by the grace period, not by the end of the answer");
    const [code] = await exited;
    assert.equal(code, 0);
  });
});

/**
 * A gateway process that is sent `signals` as soon as the embedded emulator's warning is logged: before the gateway
 * starts (and before it says it listens), the window where a process with no handler yet would die of them.
 */
async function signalledWhileStarting(signals: NodeJS.Signals[]) {
  const child = spawn(process.execPath, [new URL("../src/main.ts", import.meta.url).pathname], {
    env: { PATH: process.env.PATH ?? "", VERTEXCHAT_LISTEN: "127.0.0.1:0", VERTEXCHAT_ADMIN_LISTEN: "127.0.0.1:0" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: string[] = [];
  let signalled = false;
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({ input: stream }).on("line", (line) => {
      logs.push(line);
      if (!signalled && line.includes("SERVING SYNTHETIC ANSWERS")) {
        signalled = true;
        for (const signal of signals) child.kill(signal);
      }
    });
  }
  const [code, signal] = (await once(child, "exit")) as [number | null, NodeJS.Signals | null];
  assert.ok(signalled, `the emulator's warning never came:\n${logs.join("\n")}`);
  assert.equal(signal, null, "the process died of the signal instead of handling it");
  // The log lines' own times (the listening line and the others are not always written in order).
  const at = (text: string) => (JSON.parse(logs.find((l) => l.includes(text)) ?? "{}") as { time?: number }).time;
  return { code, logs, listening: at("vertexchat listening"), stopped: at('"msg":"stopped"') };
}

describe("a signal while the gateway starts", () => {
  test("is kept until the gateway has started, then stops it cleanly (exit 0), not killed mid-start", async () => {
    const { code, logs, listening, stopped } = await signalledWhileStarting(["SIGTERM"]);
    assert.equal(code, 0);
    assert.ok(listening !== undefined && stopped !== undefined && listening <= stopped, logs.join("\n"));
  });

  test("a second one (a start-up that hangs) stops the process at once, exit 1, without serving", async () => {
    // Two different signals, so that the kernel cannot merge them into one.
    const { code, logs, listening } = await signalledWhileStarting(["SIGTERM", "SIGINT"]);
    assert.equal(code, 1);
    assert.equal(listening, undefined, logs.join("\n"));
  });
});

describe("the gateway owns its upstream connections", () => {
  test("a gateway that is closed leaves no keep-alive connection open to its upstream", async () => {
    const upstream = await startReplayUpstream();
    const sockets = new Set<Socket>();
    const stack = await startStack({}, { upstreamOrigin: upstream.origin });
    upstream.next = {
      status: 200,
      contentType: "application/json",
      body: JSON.stringify({
        id: "x",
        object: "chat.completion",
        created: 1,
        model: "m",
        choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
      }),
    };
    try {
      upstream.onConnection = (socket) => {
        sockets.add(socket);
        socket.once("close", () => sockets.delete(socket));
      };
      await stack.client().createChatCompletion(userRequest("x"));
      assert.equal(sockets.size, 1, "the call kept its connection alive for the next one");
      await stack.close();
      for (let i = 0; i < 100 && sockets.size > 0; i++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(sockets.size, 0, "closing the gateway closed its upstream connections");
    } finally {
      await upstream.close();
    }
  });
});
