/** The gRPC side of the load generator: a generated Connect client over one HTTP/2 connection, closed loop. */
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ChatService } from "../gen/vertexchat/v1/chat_service_pb.ts";
import { Role } from "../gen/vertexchat/v1/content_pb.ts";
import { closedLoop, holdOpen, type UnaryResult } from "./load.ts";

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
  return closedLoop(concurrency, durationMs, 300, async () => {
    await client.createChatCompletion(request);
    return true;
  });
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
