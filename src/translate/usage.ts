import { create } from "@bufbuild/protobuf";
import { type Usage, UsageSchema } from "../../gen/vertexchat/v1/chat_service_pb.ts";
import type { WireUsage } from "../wire/vertex-wire.ts";

/**
 * Vertex's usage, kept with Vertex's semantics: completion_tokens excludes reasoning tokens and
 * total = prompt + completion + reasoning. Nothing is recomputed, so the caller bills what Vertex billed.
 */
export function usageFromWire(usage: WireUsage): Usage {
  const out = create(UsageSchema, {
    promptTokens: usage.prompt_tokens ?? 0,
    completionTokens: usage.completion_tokens ?? 0,
    reasoningTokens: usage.completion_tokens_details?.reasoning_tokens ?? 0,
    totalTokens: usage.total_tokens ?? 0,
    trafficType: usage.extra_properties?.google?.traffic_type ?? "",
  });
  const cached = usage.prompt_tokens_details?.cached_tokens;
  if (cached !== undefined) out.cachedTokens = cached;
  return out;
}

/** A usage object that counts nothing (Vertex sends `usage` on every chunk of some streams, mostly empty). */
export function isEmptyUsage(usage: WireUsage | null | undefined): boolean {
  return !usage || (!usage.prompt_tokens && !usage.completion_tokens && !usage.total_tokens);
}
