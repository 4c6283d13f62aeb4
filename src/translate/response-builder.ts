/**
 * Rebuilds a whole ChatCompletionResponse from stream events, by the rule documented on
 * ChatCompletionStreamResponse. The unary path uses it too, so a unary answer and a rebuilt stream have the same
 * shape by construction; clients in TypeScript can reuse it as is.
 */
import { create } from "@bufbuild/protobuf";
import {
  type ChatCompletionResponse,
  ChatCompletionResponseSchema,
  type ChatCompletionStreamResponse,
  type Choice,
  type ChoiceDelta,
  ChoiceSchema,
} from "../../gen/vertexchat/v1/chat_service_pb.ts";
import { ContentPartSchema, MessageSchema, Role, ToolCallSchema } from "../../gen/vertexchat/v1/content_pb.ts";

export class ResponseBuilder {
  readonly #response: ChatCompletionResponse = create(ChatCompletionResponseSchema);
  #finished = false;

  /** Applies one event. */
  add(event: ChatCompletionStreamResponse): void {
    switch (event.event.case) {
      case "started": {
        const { id, model, created, servedBy } = event.event.value;
        Object.assign(this.#response, { id, model, created });
        if (servedBy) this.#response.servedBy = servedBy;
        break;
      }
      case "delta":
        applyDelta(this.#choice(event.event.value.choiceIndex), event.event.value);
        break;
      case "finished":
        for (const finish of event.event.value.choices) {
          const choice = this.#choice(finish.index);
          choice.finishReason = finish.finishReason;
          choice.upstreamFinishReason = finish.upstreamFinishReason;
        }
        if (event.event.value.usage) this.#response.usage = event.event.value.usage;
        this.#finished = true;
        break;
    }
  }

  /** The rebuilt response; throws if the stream did not end with a `finished` event. */
  build(): ChatCompletionResponse {
    if (!this.#finished) throw new Error("the stream ended without a finished event: the answer is incomplete");
    this.#response.choices.sort((a, b) => a.index - b.index);
    return this.#response;
  }

  #choice(index: number): Choice {
    let choice = this.#response.choices.find((c) => c.index === index);
    if (!choice) {
      choice = create(ChoiceSchema, { index, message: { role: Role.ASSISTANT } });
      this.#response.choices.push(choice);
    }
    return choice;
  }
}

function applyDelta(choice: Choice, { delta }: ChoiceDelta): void {
  const message = choice.message ?? create(MessageSchema, { role: Role.ASSISTANT });
  choice.message = message;
  switch (delta.case) {
    case "text":
    case "thought": {
      const thought = delta.case === "thought";
      const last = message.content.at(-1);
      if (last?.kind.case === "text" && last.thought === thought) last.kind.value += delta.value;
      else message.content.push(create(ContentPartSchema, { kind: { case: "text", value: delta.value }, thought }));
      break;
    }
    case "part":
      message.content.push(delta.value);
      break;
    case "toolCall": {
      const piece = delta.value;
      let call = message.toolCalls[piece.callIndex];
      if (!call) {
        call = create(ToolCallSchema);
        message.toolCalls[piece.callIndex] = call;
      }
      if (piece.id) call.id = piece.id;
      if (piece.name) call.name = piece.name;
      if (piece.thoughtSignature.length > 0) call.thoughtSignature = piece.thoughtSignature;
      call.arguments += piece.arguments;
      break;
    }
    case "thoughtSignature":
      message.thoughtSignature = delta.value;
      break;
  }
}
