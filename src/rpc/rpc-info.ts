/**
 * What is learned about one RPC along the way (who called, where it was served, how many upstream attempts it took,
 * how many tokens it used, when the first token came), shared through Connect's context values between the
 * handlers that learn it and the interceptors that log, limit and measure it.
 */
import { createContextKey } from "@connectrpc/connect";
import type { Context } from "@opentelemetry/api";

/** The front door a call came in by: the typed contract (gRPC, gRPC-Web, Connect) or the OpenAI-compatible REST API. */
export type Door = "contract" | "openai";

export interface RpcInfo {
  requestId: string;
  door: Door;
  caller: string;
  /** The model the request named, as the caller spelt it (known before any check, so every log line has it). */
  requestedModel: string;
  /** The model the upstream was asked for (after routing). */
  upstreamModel: string;
  upstream: string;
  location: string;
  attempts: number;
  promptTokens: number;
  completionTokens: number;
  reasoningTokens: number;
  totalTokens: number;
  /** Milliseconds from the call's start to the first answer event sent (streams only). */
  timeToFirstTokenMs: number | undefined;
  /**
   * Called once when the call is over (a stream: at its end or failure), by the one interceptor that watches the
   * response; other interceptors register here instead of each wrapping the stream again.
   */
  onEnd: ((error?: unknown) => void)[];
}

export function newRpcInfo(requestId: string): RpcInfo {
  return {
    requestId,
    door: "contract",
    caller: "anonymous",
    requestedModel: "",
    upstreamModel: "",
    upstream: "",
    location: "",
    attempts: 0,
    promptTokens: 0,
    completionTokens: 0,
    reasoningTokens: 0,
    totalTokens: 0,
    timeToFirstTokenMs: undefined,
    onEnd: [],
  };
}

/** Set by the REST door on the calls it makes; a call without it came in by the contract. */
export const DOOR = createContextKey<Door>("contract", { description: "vertexchat front door" });

export const RPC_INFO = createContextKey<RpcInfo | undefined>(undefined, { description: "vertexchat RPC info" });

/** The OpenTelemetry context of the RPC's server span (set when tracing is on), for the upstream call to continue. */
export const TRACE_CONTEXT = createContextKey<Context | undefined>(undefined, { description: "trace context" });
