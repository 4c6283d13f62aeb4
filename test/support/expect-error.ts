import assert from "node:assert/strict";
import { ConnectError } from "@connectrpc/connect";
import type { ChatCompletionStreamResponse } from "../../gen/vertexchat/v1/chat_service_pb.ts";

/** The error a call failed with; fails the test if it succeeded. */
export async function rejection(promise: Promise<unknown>): Promise<ConnectError> {
  try {
    await promise;
  } catch (err) {
    return ConnectError.from(err);
  }
  assert.fail("expected the call to fail");
}

/** Drains a stream; returns the events received before it failed, and the error. */
export async function streamFailure(
  stream: AsyncIterable<ChatCompletionStreamResponse>,
): Promise<{ events: ChatCompletionStreamResponse[]; error: ConnectError }> {
  const events: ChatCompletionStreamResponse[] = [];
  const error = await rejection(
    (async () => {
      for await (const event of stream) events.push(event);
    })(),
  );
  return { events, error };
}
