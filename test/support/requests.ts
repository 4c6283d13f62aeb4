import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { type ChatCompletionRequest, ChatCompletionRequestSchema } from "../../gen/vertexchat/v1/chat_service_pb.ts";
import { Role } from "../../gen/vertexchat/v1/content_pb.ts";

/** A one-message user request, with any other fields given. */
export function userRequest(
  text: string,
  extra: Omit<MessageInitShape<typeof ChatCompletionRequestSchema>, "messages"> & {
    messages?: MessageInitShape<typeof ChatCompletionRequestSchema>["messages"];
  } = {},
): ChatCompletionRequest {
  return create(ChatCompletionRequestSchema, {
    model: "google/gemini-2.5-flash",
    ...extra,
    messages: [...(extra.messages ?? []), { role: Role.USER, content: [{ kind: { case: "text", value: text } }] }],
  });
}
