/**
 * The contract's answers → the JSON Vertex's OpenAI-compatible endpoint returns (`chat.completion`, and
 * `chat.completion.chunk` frames for a stream), the reverse of translate/from-upstream-*.ts. Thoughts never go into
 * the answer's `content`: they come back tagged inside the caller's `thought_tag_marker` when it set one (as Vertex
 * writes them), else as `reasoning_content` (vLLM's and DeepSeek's convention). Pure.
 */
import {
  type ChatCompletionResponse,
  type ChatCompletionStreamResponse,
  type ChoiceDelta,
  FinishReason,
  type Usage,
} from "../../gen/vertexchat/v1/chat_service_pb.ts";
import type { ContentPart, Media, Message, ToolCall } from "../../gen/vertexchat/v1/content_pb.ts";
import { signatureToWire } from "../translate/signature.ts";
import type { WireUsage } from "../wire/vertex-wire.ts";

export interface RestView {
  /** The caller's `thought_tag_marker`, if it set one. */
  thoughtMarker: string | undefined;
}

type Json = Record<string, unknown>;

const FINISH: Record<FinishReason, string | null> = {
  [FinishReason.UNSPECIFIED]: null,
  [FinishReason.STOP]: "stop",
  [FinishReason.LENGTH]: "length",
  [FinishReason.TOOL_CALLS]: "tool_calls",
  [FinishReason.CONTENT_FILTER]: "content_filter",
  [FinishReason.OTHER]: null,
};

/** Vertex's own reason verbatim where it gave one (MALFORMED_FUNCTION_CALL stays that), else the contract's. */
function finishReason(reason: FinishReason, upstream: string): string | null {
  return upstream || (FINISH[reason] ?? null);
}

export function responseToRest(res: ChatCompletionResponse, view: RestView): Json {
  return {
    id: res.id,
    object: "chat.completion",
    created: Number(res.created),
    model: res.model,
    system_fingerprint: "",
    choices: res.choices.map((choice) => ({
      index: choice.index,
      finish_reason: finishReason(choice.finishReason, choice.upstreamFinishReason),
      logprobs: null,
      message: messageToRest(choice.message, view),
    })),
    ...(res.usage ? { usage: usageToRest(res.usage) } : {}),
  };
}

function messageToRest(message: Message | undefined, view: RestView): Json {
  const parts = message?.content ?? [];
  const answer = textOf(parts, false);
  const thoughts = textOf(parts, true);
  const out: Json = { role: "assistant" };
  if (thoughts !== undefined && view.thoughtMarker) {
    out.content = `${tag(view.thoughtMarker, thoughts)}${answer ?? ""}`;
  } else {
    out.content = answer ?? null;
    if (thoughts !== undefined) out.reasoning_content = thoughts;
  }
  if (message && message.toolCalls.length > 0) out.tool_calls = message.toolCalls.map(toolCallToRest);
  const media = parts.find((p) => p.kind.case !== "text" && p.kind.case !== undefined);
  if (media) out.audio = generatedMedia(media.kind.value as Media);
  if (message && message.thoughtSignature.length > 0) out.extra_content = signature(message.thoughtSignature);
  return out;
}

function textOf(parts: ContentPart[], thought: boolean): string | undefined {
  const texts = parts.filter((p) => p.kind.case === "text" && p.thought === thought);
  return texts.length > 0 ? texts.map((p) => p.kind.value as string).join("") : undefined;
}

const tag = (marker: string, thoughts: string) => `<${marker}>${thoughts}</${marker}>`;

function toolCallToRest(call: ToolCall): Json {
  return {
    id: call.id,
    type: "function",
    function: { name: call.name, arguments: call.arguments },
    ...(call.thoughtSignature.length > 0 ? { extra_content: signature(call.thoughtSignature) } : {}),
  };
}

/** Vertex reuses OpenAI's `audio` field for generated images. */
function generatedMedia(media: Media): Json {
  const data = media.source.case === "data" ? Buffer.from(media.source.value).toString("base64") : "";
  return { data, extra_content: { google: { mime_type: media.mimeType } } };
}

function signature(bytes: Uint8Array): Json {
  return { google: { thought_signature: signatureToWire(bytes) } };
}

/** Usage with Vertex's semantics, in Vertex's layout. */
export function usageToRest(usage: Usage): WireUsage {
  return {
    prompt_tokens: usage.promptTokens,
    completion_tokens: usage.completionTokens,
    total_tokens: usage.totalTokens,
    ...(usage.cachedTokens !== undefined ? { prompt_tokens_details: { cached_tokens: usage.cachedTokens } } : {}),
    ...(usage.reasoningTokens > 0 ? { completion_tokens_details: { reasoning_tokens: usage.reasoningTokens } } : {}),
    ...(usage.trafficType ? { extra_properties: { google: { traffic_type: usage.trafficType } } } : {}),
  };
}

/**
 * A stream's events → `chat.completion.chunk` objects, one per answer event, each repeating id, created, model and
 * `delta.role` as Vertex's do; the finish reasons and usage come on the last chunks.
 */
export class RestChunkWriter {
  readonly #view: RestView;
  #head = { id: "", created: 0, model: "" };
  /** Choices whose tagged thoughts are open (a `<marker>` written, its close not yet). */
  readonly #openThought = new Set<number>();

  constructor(view: RestView) {
    this.#view = view;
  }

  chunks(event: ChatCompletionStreamResponse): Json[] {
    switch (event.event.case) {
      case "started": {
        const { id, created, model } = event.event.value;
        this.#head = { id, created: Number(created), model };
        return [];
      }
      case "delta":
        return [this.#chunk(event.event.value.choiceIndex, this.#delta(event.event.value))];
      case "finished": {
        const { choices, usage } = event.event.value;
        const out = choices.map((finish) =>
          this.#chunk(
            finish.index,
            { content: this.#closeThought(finish.index) },
            finishReason(finish.finishReason, finish.upstreamFinishReason),
          ),
        );
        const last = out.at(-1);
        if (last && usage) last.usage = usageToRest(usage);
        return out;
      }
      default:
        return [];
    }
  }

  #chunk(index: number, delta: Json, finish?: string | null): Json {
    const choice: Json = { index, delta: { role: "assistant", ...delta }, logprobs: null };
    if (finish !== undefined) choice.finish_reason = finish;
    const { id, created, model } = this.#head;
    return { id, object: "chat.completion.chunk", created, model, system_fingerprint: "", choices: [choice] };
  }

  #delta({ choiceIndex, delta }: ChoiceDelta): Json {
    switch (delta.case) {
      case "text":
        return { content: this.#closeThought(choiceIndex) + delta.value };
      case "thought": {
        const marker = this.#view.thoughtMarker;
        if (!marker) return { reasoning_content: delta.value };
        const open = this.#openThought.has(choiceIndex) ? "" : `<${marker}>`;
        this.#openThought.add(choiceIndex);
        return { content: open + delta.value };
      }
      case "toolCall": {
        const piece = delta.value;
        const fn: Json = { arguments: piece.arguments };
        if (piece.name) fn.name = piece.name;
        return {
          tool_calls: [
            {
              index: piece.callIndex,
              ...(piece.id ? { id: piece.id } : {}),
              type: "function",
              function: fn,
              ...(piece.thoughtSignature.length > 0 ? { extra_content: signature(piece.thoughtSignature) } : {}),
            },
          ],
        };
      }
      case "part":
        return { audio: generatedMedia(delta.value.kind.value as Media) };
      case "thoughtSignature":
        return { content: "", extra_content: signature(delta.value) };
      default:
        return {};
    }
  }

  /** The close tag of a choice's open tagged thoughts, once; "" when none is open. */
  #closeThought(index: number): string {
    if (!this.#openThought.delete(index)) return "";
    return `</${this.#view.thoughtMarker}>`;
  }
}
