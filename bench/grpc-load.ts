/** The gRPC side of the load generator: a generated Connect client over one HTTP/2 connection, closed loop. */
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ChatService } from "../gen/vertexchat/v1/chat_service_pb.ts";
import { Role } from "../gen/vertexchat/v1/content_pb.ts";
import { holdOpen, run, type UnaryResult, unaryResult } from "./load.ts";

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
  let recording = false;
  const one = async () => {
    const t0 = performance.now();
    try {
      await client.createChatCompletion(request);
      if (recording) latencies.push(performance.now() - t0);
    } catch {
      if (recording) errors++;
    }
  };
  await run(concurrency, 300, one);
  recording = true;
  return unaryResult(latencies, await run(concurrency, durationMs, one), errors);
}

/**
 * Opens `count` server streams spread over `connections` HTTP/2 connections (as gRPC callers do: a few connections,
 * many streams) and keeps them open until close(); resolves when every stream has delivered its first message.
 */
export async function holdGrpcStreams(
  baseUrl: string,
  text: string,
  count: number,
  connections: number,
): Promise<{ started: number; close(): Promise<void> }> {
  const clients = Array.from({ length: connections }, () =>
    createClient(ChatService, createGrpcTransport({ baseUrl })),
  );
  const request = {
    model: "google/gemini-2.5-flash",
    messages: [{ role: Role.USER, content: [{ kind: { case: "text" as const, value: text } }] }],
  };
  return holdOpen(count, (i, signal) =>
    (clients[i % connections] as (typeof clients)[number]).streamChatCompletion(request, { signal }),
  );
}
