/**
 * A real gateway on a real port in front of a real emulator on another, for end-to-end tests, with a generated
 * Connect client per protocol.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Client, createClient } from "@connectrpc/connect";
import { createConnectTransport, createGrpcTransport, createGrpcWebTransport } from "@connectrpc/connect-node";
import { pino } from "pino";
import { ChatService } from "../../gen/vertexchat/v1/chat_service_pb.ts";
import { type Config, loadConfig } from "../../src/config/load-config.ts";
import { type EmulatorOptions, type RunningEmulator, startEmulator } from "../../src/emulator/emulator-server.ts";
import { type RunningGateway, startGateway } from "../../src/server/gateway.ts";

export type Protocol = "grpc" | "grpc-web" | "connect";
export const PROTOCOLS: Protocol[] = ["grpc", "grpc-web", "connect"];

export interface Stack {
  emulator: RunningEmulator;
  gateway: RunningGateway;
  config: Config;
  /** The gateway's log lines, with `captureLogs`. */
  logs: Record<string, unknown>[];
  client(protocol?: Protocol, httpVersion?: "1.1" | "2"): Client<typeof ChatService>;
  close(): Promise<void>;
}

export interface StackOptions {
  emulator?: EmulatorOptions;
  /** Send the environment's upstream calls here instead of to the emulator (which still runs). */
  upstreamOrigin?: string;
  /** A routing file to write and use, made from the emulator's origin. */
  routing?: (emulatorOrigin: string) => object;
  /** Keep the gateway's JSON log lines (info and above) in `Stack.logs`. */
  captureLogs?: boolean;
}

export async function startStack(env: Record<string, string> = {}, options: StackOptions = {}): Promise<Stack> {
  const emulator = await startEmulator(options.emulator ?? {});
  if (options.routing) {
    const file = join(mkdtempSync(join(tmpdir(), "vertexchat-routing-")), "routing.json");
    writeFileSync(file, JSON.stringify(options.routing(emulator.origin)));
    env = { VERTEXCHAT_CONFIG: file, ...env };
  }
  const upstreamOrigin = options.upstreamOrigin;
  const config = loadConfig({
    VERTEXCHAT_LISTEN: "127.0.0.1:0",
    VERTEXCHAT_LOG_LEVEL: "silent",
    VERTEXCHAT_ADMIN_LISTEN: "127.0.0.1:0",
    // Real backoff shapes, test-sized waits.
    VERTEXCHAT_RETRY_INITIAL_BACKOFF_MS: "20",
    VERTEXCHAT_RETRY_MAX_BACKOFF_MS: "100",
    ...env,
  });
  const logs: Record<string, unknown>[] = [];
  const logger = options.captureLogs
    ? pino({ level: "info" }, { write: (line: string) => void logs.push(JSON.parse(line) as Record<string, unknown>) })
    : pino({ level: "silent" });
  const gateway = await startGateway(config, {
    logger,
    emulator: { origin: upstreamOrigin ?? emulator.origin, token: "test-token" },
  });
  return {
    emulator,
    gateway,
    config,
    logs,
    client: (protocol = "connect", httpVersion = protocol === "grpc" ? "2" : "1.1") =>
      createClient(ChatService, transportFor(gateway.url, protocol, httpVersion)),
    async close() {
      await gateway.close();
      await emulator.close();
    },
  };
}

export function transportFor(baseUrl: string, protocol: Protocol, httpVersion: "1.1" | "2") {
  switch (protocol) {
    case "grpc":
      return createGrpcTransport({ baseUrl });
    case "grpc-web":
      return createGrpcWebTransport({ baseUrl, httpVersion });
    case "connect":
      return createConnectTransport({ baseUrl, httpVersion });
  }
}

/** The per-RPC log line of a request (captureLogs), once written: the line can follow the answer by a tick. */
export async function rpcLogLine(stack: Stack, requestId: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 100; i++) {
    const line = stack.logs.find((l) => l.msg === "rpc" && l.request_id === requestId);
    if (line) return line;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`no rpc log line for ${requestId}: ${JSON.stringify(stack.logs.slice(-5))}`);
}
