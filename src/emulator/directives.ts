/**
 * Per-request switches for the emulator, written into a user message as `[[emulate key=value …]]`. They travel
 * through the gateway unchanged, so an end-to-end test can ask for a fault or a behaviour on one request only.
 */
import type { ErrorBodyShape } from "./google-errors.ts";

export interface Directives {
  /** Answer with this HTTP status and a Google error body. */
  status?: number;
  shape?: ErrorBodyShape;
  /** The Google status name in the error body (default: the one that goes with `status`). */
  googleStatus?: string;
  message?: string;
  /** Apply `status` or `drop` only to the first N requests with these messages; later ones succeed. */
  failFirst?: number;
  /** Apply `status` or `drop` only to requests for this Vertex location. */
  failLocation?: string;
  /** Close the connection without answering (a connection failure). */
  drop?: boolean;
  /** Wait before sending headers. */
  delayMs?: number;
  /** Wait between streamed chunks. */
  pacingMs?: number;
  /** Answer with exactly this many words (one chunk each when streaming). */
  words?: number;
  /** Split streamed text every N characters instead of by word (puts thought tags across chunks). */
  chunkChars?: number;
  /** Stream faults after N chunks. */
  stallAfter?: number;
  resetAfter?: number;
  garbageAfter?: number;
  errorAfter?: number;
  /** End the stream without `data: [DONE]`. */
  noDone?: boolean;
  /** Think even if not asked, and return the thoughts. */
  thoughts?: boolean;
  /** Flag streamed thoughts with `extra_content.google.thought` instead of wrapping them in tags. */
  thoughtFlag?: boolean;
  /** How many parallel tool calls to make when tools are offered. */
  tools?: number;
  /** Use the function name as the tool-call id, as pre-Gemini-3 models do. */
  nameAsId?: boolean;
  /** Report this finish reason. */
  finish?: string;
  /** Block the answer: `content: null`, finish reason `content_filter`. */
  safetyBlock?: boolean;
  /** Return a generated image. */
  image?: boolean;
}

const PATTERN = /\[\[emulate((?:\s+[a-z_]+(?:=(?:"[^"]*"|[^\s\]]*))?)*)\s*\]\]/g;
const PAIR = /([a-z_]+)(?:=("[^"]*"|[^\s\]]*))?/g;

export function parseDirectives(texts: readonly string[]): Directives {
  const raw = new Map<string, string>();
  for (const text of texts) {
    for (const match of text.matchAll(PATTERN)) {
      for (const pair of (match[1] ?? "").matchAll(PAIR)) {
        const value = pair[2] ?? "1";
        raw.set(pair[1] ?? "", value.startsWith('"') ? value.slice(1, -1) : value);
      }
    }
  }
  const num = (key: string) => (raw.has(key) ? Number(raw.get(key)) : undefined);
  const flag = (key: string) => (raw.has(key) ? raw.get(key) !== "0" : undefined);
  const out: Directives = {};
  const assign = <K extends keyof Directives>(key: K, value: Directives[K] | undefined) => {
    if (value !== undefined && !(typeof value === "number" && Number.isNaN(value))) out[key] = value as Directives[K];
  };
  assign("status", num("status"));
  assign("shape", raw.get("shape") as ErrorBodyShape | undefined);
  assign("message", raw.get("message"));
  assign("googleStatus", raw.get("google_status"));
  assign("failFirst", num("fail_first"));
  assign("drop", flag("drop"));
  assign("failLocation", raw.get("fail_location"));
  assign("delayMs", num("delay_ms"));
  assign("pacingMs", num("pacing_ms"));
  assign("words", num("words"));
  assign("chunkChars", num("chunk_chars"));
  assign("stallAfter", num("stall_after"));
  assign("resetAfter", num("reset_after"));
  assign("garbageAfter", num("garbage_after"));
  assign("errorAfter", num("error_after"));
  assign("noDone", flag("no_done"));
  assign("thoughts", flag("thoughts"));
  assign("thoughtFlag", flag("thought_flag"));
  assign("tools", num("tools"));
  assign("nameAsId", flag("name_as_id"));
  assign("finish", raw.get("finish"));
  assign("safetyBlock", flag("safety_block"));
  assign("image", flag("image"));
  return out;
}

/** The user's text without directives, which is what the synthetic answer echoes. */
export function stripDirectives(text: string): string {
  return text.replace(PATTERN, "").replace(/\s+/g, " ").trim();
}
