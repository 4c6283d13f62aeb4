/** The gRPC side of the load generator: a generated Connect client over one HTTP/2 connection, closed loop. */
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ChatService } from "../gen/vertexchat/v1/chat_service_pb.ts";
import { Role } from "../gen/vertexchat/v1/content_pb.ts";
import { run, type UnaryResult, unaryResult } from "./load.ts";

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
  const controller = new AbortController();
  const request = {
    model: "google/gemini-2.5-flash",
    messages: [{ role: Role.USER, content: [{ kind: { case: "text" as const, value: text } }] }],
  };
  let started = 0;
  const firstMessages: Promise<void>[] = [];
  const done: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    let markStarted: () => void = () => undefined;
    firstMessages.push(new Promise<void>((resolve) => (markStarted = resolve)));
    const client = clients[i % connections] as (typeof clients)[number];
    done.push(
      (async () => {
        try {
          let first = true;
          for await (const _ of client.streamChatCompletion(request, { signal: controller.signal })) {
            if (first) {
              first = false;
              started++;
              markStarted();
            }
          }
        } catch {
          // aborted at the end, or refused
        } finally {
          markStarted();
        }
      })(),
    );
  }
  await Promise.race([Promise.all(firstMessages), new Promise((r) => setTimeout(r, 60_000))]);
  return {
    started,
    close: async () => {
      controller.abort();
      await Promise.allSettled(done);
    },
  };
}
