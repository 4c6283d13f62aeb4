/**
 * The gRPC side of the load generator, closed loop: a generated Connect client over one HTTP/2 connection (what a
 * caller runs), and a raw HTTP/2 client that sends one pre-encoded request and only checks the status (what the
 * gateway costs, without the generated client's own encoding and decoding in the generator's share of the cores).
 */
import http2 from "node:http2";
import { toBinary } from "@bufbuild/protobuf";
import { createClient } from "@connectrpc/connect";
import { createGrpcTransport } from "@connectrpc/connect-node";
import { ChatCompletionRequestSchema, ChatService } from "../gen/vertexchat/v1/chat_service_pb.ts";
import { userRequest } from "../test/support/requests.ts";
import { closedLoop, type HeldStreams, holdOpen, LOAD_WARMUP_MS, type UnaryResult } from "./load.ts";

export async function grpcUnaryLoad(
  baseUrl: string,
  text: string,
  concurrency: number,
  durationMs: number,
): Promise<UnaryResult> {
  const client = createClient(ChatService, createGrpcTransport({ baseUrl }));
  const request = userRequest(text);
  return closedLoop(concurrency, durationMs, LOAD_WARMUP_MS, async () => {
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
): Promise<HeldStreams> {
  const clients = Array.from({ length: connections }, () =>
    createClient(ChatService, createGrpcTransport({ baseUrl })),
  );
  const request = userRequest(text);
  return holdOpen(count, (i, signal) =>
    (clients[i % connections] as (typeof clients)[number]).streamChatCompletion(request, { signal }),
  );
}

/** Unary gRPC calls over one HTTP/2 session with a pre-encoded request; a call counts when grpc-status is 0. */
export async function rawGrpcUnaryLoad(
  baseUrl: string,
  text: string,
  concurrency: number,
  durationMs: number,
): Promise<UnaryResult> {
  const message = toBinary(ChatCompletionRequestSchema, userRequest(text));
  const frame = Buffer.alloc(5 + message.length);
  frame.writeUInt32BE(message.length, 1);
  frame.set(message, 5);
  const session = http2.connect(baseUrl);
  session.on("error", () => undefined);
  const headers = {
    ":method": "POST",
    ":path": "/vertexchat.v1.ChatService/CreateChatCompletion",
    "content-type": "application/grpc",
    te: "trailers",
  };
  const call = () =>
    new Promise<boolean>((resolve) => {
      const stream = session.request(headers);
      let status: string | undefined;
      stream.on("trailers", (trailers) => {
        status = String(trailers["grpc-status"]);
      });
      stream.on("data", () => undefined);
      stream.on("end", () => resolve(status === "0"));
      stream.on("error", () => resolve(false));
      stream.end(frame);
    });
  try {
    return await closedLoop(concurrency, durationMs, LOAD_WARMUP_MS, call);
  } finally {
    session.close();
  }
}
