import { create } from "@bufbuild/protobuf";
import { type Usage, UsageSchema } from "../../gen/vertexchat/v1/chat_service_pb.ts";
import type { WireUsage } from "../wire/vertex-wire.ts";

/** How an upstream counts: Vertex's completion_tokens excludes reasoning tokens, OpenAI's (and vLLM's) includes them. */
export type UsageSemantics = "vertex" | "openai";

/**
 * Usage in the contract's (Vertex's) semantics: completion_tokens excludes reasoning tokens and
 * total = prompt + completion + reasoning. Vertex's counts pass through untouched, so the caller bills what Vertex
 * billed; an OpenAI-style count has its reasoning tokens taken out of completion_tokens.
 */
export function usageFromWire(usage: WireUsage, semantics: UsageSemantics = "vertex"): Usage {
  const reasoning = usage.completion_tokens_details?.reasoning_tokens ?? 0;
  const completion = usage.completion_tokens ?? 0;
  const out = create(UsageSchema, {
    promptTokens: usage.prompt_tokens ?? 0,
    completionTokens: semantics === "openai" ? Math.max(0, completion - reasoning) : completion,
    reasoningTokens: reasoning,
    totalTokens: usage.total_tokens ?? 0,
    trafficType: usage.extra_properties?.google?.traffic_type ?? "",
  });
  const cached = usage.prompt_tokens_details?.cached_tokens;
  if (cached != null) out.cachedTokens = cached;
  return out;
}

/** A usage object that counts nothing (Vertex sends `usage` on every chunk of some streams, mostly empty). */
export function isEmptyUsage(usage: WireUsage | null | undefined): boolean {
  return !usage || (!usage.prompt_tokens && !usage.completion_tokens && !usage.total_tokens);
}
