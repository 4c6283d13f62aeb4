/**
 * A synthetic answer written the way Vertex writes it: a `chat.completion` body, or `chat.completion.chunk` frames
 * with every chunk repeating id, created, model and delta.role, usage on the last chunk, and streamed tool-call
 * fragments that repeat id, type and name with Vertex's inconsistent `index`.
 */
import type { WireChunk, WireDelta, WireResponse, WireResponseMessage } from "../wire/vertex-wire.ts";
import type { SyntheticAnswer, SyntheticChoice } from "./synthetic-answer.ts";

export interface EncodingOptions {
  /** Wrap thoughts in `<marker>…</marker>`; without one (and without flags) thoughts leak into the text. */
  thoughtMarker: string | undefined;
  /** Stream thoughts as deltas flagged `extra_content.google.thought` instead. */
  thoughtFlag: boolean;
  /** Stream tool-call arguments in fragments. */
  streamArguments: boolean;
  /** Split text every N characters (default: by word). */
  chunkChars: number | undefined;
}

export function encodeResponse(answer: SyntheticAnswer, opts: EncodingOptions): WireResponse {
  return {
    id: answer.id,
    object: "chat.completion",
    created: answer.created,
    model: answer.model,
    system_fingerprint: "",
    choices: answer.choices.map((choice, index) => {
      const message: WireResponseMessage = { role: "assistant", content: visibleText(choice, opts) };
      if (choice.toolCalls.length > 0) {
        message.tool_calls = choice.toolCalls.map((call) => ({
          id: call.id,
          type: "function" as const,
          function: { name: call.name, arguments: call.arguments },
          ...(call.signature ? { extra_content: { google: { thought_signature: call.signature } } } : {}),
        }));
      }
      if (choice.image) {
        message.audio = { data: choice.image.data, extra_content: { google: { mime_type: choice.image.mimeType } } };
      }
      if (choice.signature) message.extra_content = { google: { thought_signature: choice.signature } };
      return { index, finish_reason: choice.finishReason, logprobs: null, message };
    }),
    usage: answer.usage,
  };
}

/** The content string of a whole answer: thoughts first (tagged or leaked), then the answer. */
function visibleText(choice: SyntheticChoice, opts: EncodingOptions): string | null {
  if (!choice.thoughts) return choice.text;
  const thoughts = opts.thoughtMarker
    ? `<${opts.thoughtMarker}>${choice.thoughts}</${opts.thoughtMarker}>`
    : choice.thoughts;
  return `${thoughts}${choice.text ?? ""}`;
}

export function encodeChunks(answer: SyntheticAnswer, opts: EncodingOptions): WireChunk[] {
  const chunks: WireChunk[] = [];
  const push = (index: number, delta: Omit<WireDelta, "role">, finish?: string) => {
    chunks.push({
      id: answer.id,
      object: "chat.completion.chunk",
      created: answer.created,
      model: answer.model,
      system_fingerprint: "",
      choices: [
        { index, delta: { role: "assistant", ...delta }, logprobs: null, ...(finish ? { finish_reason: finish } : {}) },
      ],
    });
  };
  answer.choices.forEach((choice, index) => {
    if (choice.thoughts && opts.thoughtFlag) {
      for (const piece of split(choice.thoughts, opts.chunkChars)) {
        push(index, { content: piece, extra_content: { google: { thought: true } } });
      }
      for (const piece of split(choice.text ?? "", opts.chunkChars)) push(index, { content: piece });
    } else {
      for (const piece of split(visibleText(choice, opts) ?? "", opts.chunkChars)) push(index, { content: piece });
    }
    choice.toolCalls.forEach((call, position) => {
      const google = call.signature ? { extra_content: { google: { thought_signature: call.signature } } } : {};
      const fragments = opts.streamArguments ? ["", ...split(call.arguments, 12)] : [call.arguments];
      fragments.forEach((fragment, i) => {
        // Vertex's index quirk (fixture 03): the first fragment of call k has index 1-k, the rest index k.
        const quirkyIndex = i === 0 ? (position === 0 ? 1 : 0) : position;
        push(index, {
          tool_calls: [
            {
              index: opts.streamArguments ? quirkyIndex : position,
              id: call.id,
              type: "function",
              function: { name: call.name, arguments: fragment },
              ...(i === 0 ? google : {}),
            },
          ],
        });
      });
    });
    if (choice.image) {
      push(index, {
        audio: { data: choice.image.data, extra_content: { google: { mime_type: choice.image.mimeType } } },
      });
    }
    const last: Omit<WireDelta, "role"> = choice.signature
      ? { content: "", extra_content: { google: { thought_signature: choice.signature } } }
      : { content: "" };
    push(index, last, choice.finishReason);
  });
  const final = chunks.at(-1);
  if (final) final.usage = answer.usage;
  return chunks;
}

function split(text: string, every: number | undefined): string[] {
  if (text === "") return [];
  if (every && every > 0) {
    const out: string[] = [];
    for (let i = 0; i < text.length; i += every) out.push(text.slice(i, i + every));
    return out;
  }
  return text.match(/\S+\s*|\s+/g) ?? [text];
}
