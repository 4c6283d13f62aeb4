/** The gRPC side of the load generator: a generated Connect client over one HTTP/2 connection, closed loop. */
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ChatService } from "../gen/vertexchat/v1/chat_service_pb.ts";
import { Role } from "../gen/vertexchat/v1/content_pb.ts";
import type { UnaryResult } from "./load.ts";
import { percentile } from "./stats.ts";

export async function grpcUnaryLoad(
  baseUrl: string,
  text: string,
  concurrency: number,
  durationMs: number,
): Promise<UnaryResult> {
  const client = createClient(ChatService, createGrpcTransport({ baseUrl }));
  const request = {
    model: "google/gemini-2.5-flash",
    messages: [{ role: Role.USER, content: [{ kind: { case: "text" as const, value: text } }] }],
  };
  const latencies: number[] = [];
  let errors = 0;
  const loop = async (until: number, record: boolean) => {
    while (performance.now() < until) {
      const t0 = performance.now();
      try {
        await client.createChatCompletion(request);
        if (record) latencies.push(performance.now() - t0);
      } catch {
        if (record) errors++;
      }
    }
  };
  const warm = performance.now() + 300;
  await Promise.all(Array.from({ length: concurrency }, () => loop(warm, false)));
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, () => loop(started + durationMs, true)));
  const elapsed = performance.now() - started;
  latencies.sort((a, b) => a - b);
  return {
    rps: (latencies.length / elapsed) * 1000,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    requests: latencies.length,
    errors,
  };
}
