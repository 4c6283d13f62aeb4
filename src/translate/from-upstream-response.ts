/**
 * Vertex wire response → contract. Pure. A whole response is read as a stream of one chunk through the same state
 * machine as a real stream, so unary answers and rebuilt streams agree exactly.
 */
import type { ChatCompletionResponse, ServedBy } from "../../gen/vertexchat/v1/chat_service_pb.ts";
import type { WireChunk, WireResponse } from "../wire/vertex-wire.ts";
import { StreamTranslator } from "./from-upstream-stream.ts";
import { ResponseBuilder } from "./response-builder.ts";
import type { UsageSemantics } from "./usage.ts";

export function fromUpstreamResponse(
  response: WireResponse,
  opts: { thoughtMarker: string | undefined; servedBy: ServedBy; usageSemantics?: UsageSemantics },
): ChatCompletionResponse {
  const translator = new StreamTranslator({ ...opts, wholeResponse: true });
  const builder = new ResponseBuilder();
  const chunk = responseAsChunk(response);
  for (const event of translator.push(chunk)) builder.add(event);
  for (const event of translator.finish()) builder.add(event);
  return builder.build();
}

/** A whole response as the one chunk of a stream (a safety block's `content: null` is skipped downstream). */
export function responseAsChunk(response: WireResponse): WireChunk {
  return {
    id: response.id ?? null,
    object: "chat.completion.chunk",
    created: response.created ?? null,
    model: response.model ?? null,
    choices: response.choices.map((choice) => ({
      ...(choice.index === undefined ? {} : { index: choice.index }),
      finish_reason: choice.finish_reason ?? null,
      delta: choice.message ?? {},
    })),
    usage: response.usage ?? null,
  };
}
