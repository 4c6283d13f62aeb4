/**
 * Gives each upstream tool-call fragment a stable position in the message's tool_calls.
 *
 * Vertex repeats `id`, `type` and `function.name` on every fragment of a streamed call, and its `index` values are
 * inconsistent (fixture 03), so fragments are matched by id, never by index. Older Gemini models use the function
 * name as the id, so two whole calls can share an id: a fragment only continues a call whose arguments are not yet
 * a complete JSON value. A fragment without an id (OpenAI-style upstreams such as vLLM) continues the call last
 * seen at its index.
 */
import type { WireToolCallDelta } from "../wire/vertex-wire.ts";

interface OpenCall {
  id: string;
  arguments: string;
  closed: boolean;
}

export interface ToolCallPiece {
  callIndex: number;
  /** Set on the first piece of a call. */
  id: string;
  name: string;
  arguments: string;
  thoughtSignature: string | undefined;
}

export class ToolCallAccumulator {
  readonly #calls: OpenCall[] = [];
  readonly #byUpstreamIndex = new Map<number, number>();

  push(fragment: WireToolCallDelta): ToolCallPiece {
    const args = fragment.function?.arguments ?? "";
    const signature = fragment.extra_content?.google?.thought_signature ?? undefined;
    const existing = this.#continues(fragment);
    if (existing !== undefined) {
      const call = this.#calls[existing] as OpenCall;
      call.arguments += args;
      return { callIndex: existing, id: "", name: "", arguments: args, thoughtSignature: signature };
    }
    const callIndex = this.#calls.length;
    this.#calls.push({ id: fragment.id ?? "", arguments: args, closed: false });
    if (fragment.index != null) this.#byUpstreamIndex.set(fragment.index, callIndex);
    return {
      callIndex,
      id: fragment.id ?? "",
      name: fragment.function?.name ?? "",
      arguments: args,
      thoughtSignature: signature,
    };
  }

  #continues(fragment: WireToolCallDelta): number | undefined {
    if (!fragment.id) {
      if (fragment.index != null) return this.#byUpstreamIndex.get(fragment.index);
      return this.#calls.length > 0 ? this.#calls.length - 1 : undefined;
    }
    for (let i = this.#calls.length - 1; i >= 0; i--) {
      const call = this.#calls[i] as OpenCall;
      if (call.id !== fragment.id) continue;
      if (call.closed) return undefined;
      if (isCompleteJson(call.arguments)) {
        call.closed = true;
        return undefined;
      }
      return i;
    }
    return undefined;
  }
}

function isCompleteJson(text: string): boolean {
  if (text.trim() === "") return false;
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
