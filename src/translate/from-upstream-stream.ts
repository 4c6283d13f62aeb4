/**
 * Upstream chunks → contract stream events. The streaming state machine: thought tags split across chunks,
 * tool calls accumulated by id, usage last-non-empty-wins, one `finished` event at the end. Pure: the caller feeds
 * parsed chunks and sends what comes out.
 */
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import {
  type ChatCompletionStreamResponse,
  ChatCompletionStreamResponseSchema,
  type ChoiceDeltaSchema,
  type ServedBy,
} from "../../gen/vertexchat/v1/chat_service_pb.ts";
import { type ContentPart, ContentPartSchema } from "../../gen/vertexchat/v1/content_pb.ts";
import type { WireChunk, WireDelta, WireGeneratedMedia, WireUsage } from "../wire/vertex-wire.ts";
import { finishReasonFromWire } from "./enum-maps.ts";
import { signatureFromWire } from "./signature.ts";
import { ThoughtSplitter } from "./thought-splitter.ts";
import { ToolCallAccumulator } from "./tool-call-accumulator.ts";
import { isEmptyUsage, type UsageSemantics, usageFromWire } from "./usage.ts";

export interface StreamTranslatorOptions {
  /** The tag thoughts come wrapped in (from the request translation), if any. */
  thoughtMarker: string | undefined;
  servedBy: ServedBy;
  /** How the upstream counts tokens (default Vertex's). */
  usageSemantics?: UsageSemantics;
  /**
   * True when translating a whole (unary) response: a choice without a finish reason is then reported as
   * UNSPECIFIED instead of as a cut-off stream.
   */
  wholeResponse?: boolean;
}

interface ChoiceState {
  splitter: ThoughtSplitter | undefined;
  toolCalls: ToolCallAccumulator;
  finishReason: string | undefined;
}

/** Thrown when the upstream's stream cannot be a complete answer. */
export class IncompleteStreamError extends Error {
  override name = "IncompleteStreamError";
}

export class StreamTranslator {
  readonly #opts: StreamTranslatorOptions;
  readonly #choices = new Map<number, ChoiceState>();
  #started = false;
  #usage: WireUsage | undefined;

  constructor(opts: StreamTranslatorOptions) {
    this.#opts = opts;
  }

  /** Translates one upstream chunk into zero or more events. */
  push(chunk: WireChunk): ChatCompletionStreamResponse[] {
    const events: ChatCompletionStreamResponse[] = [];
    if (!this.#started) {
      this.#started = true;
      events.push(
        create(ChatCompletionStreamResponseSchema, {
          event: {
            case: "started",
            value: {
              id: chunk.id ?? "",
              model: chunk.model ?? "",
              created: BigInt(Math.trunc(chunk.created ?? 0)),
              servedBy: this.#opts.servedBy,
            },
          },
        }),
      );
    }
    for (const choice of chunk.choices) {
      const state = this.#choice(choice.index ?? 0);
      if (choice.delta) this.#translateDelta(choice.index ?? 0, state, choice.delta, events);
      if (choice.finish_reason) state.finishReason = choice.finish_reason;
    }
    if (!isEmptyUsage(chunk.usage)) this.#usage = chunk.usage ?? undefined;
    return events;
  }

  /**
   * Translates chunks that arrived together. Consecutive text deltas (or thought deltas) of one choice become one
   * event: a caller rebuilds the same message, and under load the gateway sends a fraction of the messages (each
   * costs a frame, a serialisation and a write). Chunks that arrive one by one still go out one by one.
   */
  pushBatch(chunks: WireChunk[]): ChatCompletionStreamResponse[] {
    if (chunks.length === 1) return this.push(chunks[0] as WireChunk);
    const events: ChatCompletionStreamResponse[] = [];
    for (const chunk of chunks) {
      for (const event of this.push(chunk)) appendMerging(events, event);
    }
    return events;
  }

  /**
   * The upstream stream ended. Returns the last events (held-back text, then `finished`), or throws
   * IncompleteStreamError when no choice came to a finish: an answer cut short must not look complete.
   */
  finish(): ChatCompletionStreamResponse[] {
    if (!this.#started) throw new IncompleteStreamError("the upstream stream ended before sending any chunk");
    const events: ChatCompletionStreamResponse[] = [];
    const finishes = [];
    for (const [index, state] of [...this.#choices].sort(([a], [b]) => a - b)) {
      for (const segment of state.splitter?.flush() ?? []) {
        events.push(textDelta(index, segment.text, segment.thought));
      }
      if (!state.finishReason && !this.#opts.wholeResponse) {
        throw new IncompleteStreamError(`the upstream stream ended before choice ${index} had a finish reason`);
      }
      finishes.push({
        index,
        finishReason: finishReasonFromWire(state.finishReason),
        upstreamFinishReason: state.finishReason ?? "",
      });
    }
    if (finishes.length === 0) throw new IncompleteStreamError("the upstream stream ended without any choice");
    events.push(
      create(ChatCompletionStreamResponseSchema, {
        event: {
          case: "finished",
          value: {
            choices: finishes,
            ...(this.#usage ? { usage: usageFromWire(this.#usage, this.#opts.usageSemantics) } : {}),
          },
        },
      }),
    );
    return events;
  }

  #choice(index: number): ChoiceState {
    let state = this.#choices.get(index);
    if (!state) {
      const marker = this.#opts.thoughtMarker;
      state = {
        splitter: marker ? new ThoughtSplitter(marker) : undefined,
        toolCalls: new ToolCallAccumulator(),
        finishReason: undefined,
      };
      this.#choices.set(index, state);
    }
    return state;
  }

  #translateDelta(index: number, state: ChoiceState, wire: WireDelta, events: ChatCompletionStreamResponse[]) {
    const google = wire.extra_content?.google;
    if (typeof wire.content === "string" && wire.content !== "") {
      if (google?.thought) {
        events.push(textDelta(index, wire.content, true));
      } else if (state.splitter) {
        for (const segment of state.splitter.push(wire.content)) {
          events.push(textDelta(index, segment.text, segment.thought));
        }
      } else {
        events.push(textDelta(index, wire.content, false));
      }
    }
    if (wire.audio?.data) events.push(delta(index, { case: "part", value: generatedMediaPart(wire.audio) }));
    for (const fragment of wire.tool_calls ?? []) {
      const piece = state.toolCalls.push(fragment);
      events.push(
        delta(index, {
          case: "toolCall",
          value: {
            callIndex: piece.callIndex,
            id: piece.id,
            name: piece.name,
            arguments: piece.arguments,
            thoughtSignature: piece.thoughtSignature ? signatureFromWire(piece.thoughtSignature) : new Uint8Array(),
          },
        }),
      );
    }
    if (google?.thought_signature) {
      events.push(delta(index, { case: "thoughtSignature", value: signatureFromWire(google.thought_signature) }));
    }
  }
}

/** Appends `event`, or extends the last event with it when both are text (or both thought) of one choice. */
function appendMerging(events: ChatCompletionStreamResponse[], event: ChatCompletionStreamResponse): void {
  const last = events[events.length - 1];
  if (last?.event.case === "delta" && event.event.case === "delta") {
    const before = last.event.value;
    const after = event.event.value;
    if (
      before.choiceIndex === after.choiceIndex &&
      (before.delta.case === "text" || before.delta.case === "thought") &&
      before.delta.case === after.delta.case
    ) {
      events[events.length - 1] = textDelta(
        before.choiceIndex,
        before.delta.value + (after.delta.value as string),
        before.delta.case === "thought",
      );
      return;
    }
  }
  events.push(event);
}

/**
 * A text or thought delta, the event of nearly every chunk, built as the plain object protobuf-es messages are:
 * both messages involved have no field besides those set here, so this equals what create() makes, without its
 * per-field initialisation on the hot path.
 */
function textDelta(choiceIndex: number, text: string, thought: boolean): ChatCompletionStreamResponse {
  return {
    $typeName: "vertexchat.v1.ChatCompletionStreamResponse",
    event: {
      case: "delta",
      value: {
        $typeName: "vertexchat.v1.ChoiceDelta",
        choiceIndex,
        delta: thought ? { case: "thought", value: text } : { case: "text", value: text },
      },
    },
  };
}

function delta(
  choiceIndex: number,
  value: NonNullable<MessageInitShape<typeof ChoiceDeltaSchema>["delta"]>,
): ChatCompletionStreamResponse {
  return create(ChatCompletionStreamResponseSchema, {
    event: { case: "delta", value: { choiceIndex, delta: value } },
  });
}

/** Vertex returns generated images (and audio) in OpenAI's `audio` field, with the MIME type beside it. */
function generatedMediaPart(media: WireGeneratedMedia): ContentPart {
  const mimeType = media.extra_content?.google?.mime_type ?? "audio/wav";
  const value = { source: { case: "data" as const, value: Buffer.from(media.data, "base64") }, mimeType };
  const kind = mimeType.startsWith("image/")
    ? { case: "image" as const, value }
    : mimeType.startsWith("video/")
      ? { case: "video" as const, value }
      : { case: "audio" as const, value };
  const part = create(ContentPartSchema, { kind });
  const signature = media.extra_content?.google?.thought_signature;
  if (signature) part.thoughtSignature = signatureFromWire(signature);
  return part;
}
