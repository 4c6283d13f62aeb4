import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { type ChatCompletionRequest, ChatCompletionRequestSchema } from "../../gen/vertexchat/v1/chat_service_pb.ts";
import { MessageSchema, Role } from "../../gen/vertexchat/v1/content_pb.ts";

/** A request whose last message is a user message with `text`, after any messages and fields given. */
export function userRequest(
  text: string,
  extra: MessageInitShape<typeof ChatCompletionRequestSchema> = {},
): ChatCompletionRequest {
  const request = create(ChatCompletionRequestSchema, extra);
  if (!request.model) request.model = "google/gemini-2.5-flash";
  request.messages.push(create(MessageSchema, { role: Role.USER, content: [{ kind: { case: "text", value: text } }] }));
  return request;
}

/** A ChatCompletionRequest as Connect JSON: a user message with `text` to google/gemini-2.5-flash. */
export function userRequestJson(text: string): string {
  return JSON.stringify({ model: "google/gemini-2.5-flash", messages: [{ role: "ROLE_USER", content: [{ text }] }] });
}

/** One Connect streaming envelope (no flags) around a JSON message, as a streaming request body. */
export function connectEnvelope(json: string): Buffer {
  const payload = Buffer.from(json);
  const frame = Buffer.alloc(5 + payload.length);
  frame.writeUInt32BE(payload.length, 1);
  payload.copy(frame, 5);
  return frame;
}
