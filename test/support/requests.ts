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
