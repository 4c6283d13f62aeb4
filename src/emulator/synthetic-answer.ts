/**
 * The emulator's "model": a deterministic answer derived from the request, so tests can assert on exact text,
 * tool calls, signatures and token counts. Pure.
 */
import { createHash, randomBytes } from "node:crypto";
import type { WireMessage, WireRequest, WireTool, WireUsage } from "../wire/vertex-wire.ts";
import type { Directives } from "./directives.ts";
import { stripDirectives } from "./directives.ts";
import { jsonAnswer } from "./json-answer.ts";
import type { EmulatedModel } from "./model-catalog.ts";
import { callSignature, signatureFor } from "./signatures.ts";
import { reasoningTokens, thinkingBudget } from "./thinking.ts";

export interface SyntheticToolCall {
  id: string;
  name: string;
  arguments: string;
  signature: string | undefined;
}

export interface SyntheticChoice {
  thoughts: string;
  /** null: Vertex's `content: null` (safety block, image-only answer, tool calls only). */
  text: string | null;
  toolCalls: SyntheticToolCall[];
  image: { data: string; mimeType: string } | undefined;
  signature: string | undefined;
  finishReason: string;
}

export interface SyntheticAnswer {
  id: string;
  model: string;
  created: number;
  choices: SyntheticChoice[];
  usage: WireUsage;
}

/** A 1×1 transparent PNG: the emulator's generated image. */
const EMULATED_PNG_BASE64 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==";

export interface SynthesisOptions {
  /**
   * The upstream's counting: Vertex's completion_tokens excludes reasoning tokens, OpenAI-style servers (vLLM,
   * OpenAI) include them and send no traffic type.
   */
  counting: "vertex" | "openai";
  /** Vertex's `traffic_type` for the request's tier (ON_DEMAND, ON_DEMAND_PRIORITY). */
  trafficType: string;
}

/** Tokens a context cache holds: counted in prompt_tokens and reported as cached. */
export const EMULATED_CACHE_TOKENS = 1024;

export function synthesize(
  body: WireRequest,
  model: EmulatedModel,
  directives: Directives,
  opts: SynthesisOptions = { counting: "vertex", trafficType: "ON_DEMAND" },
): SyntheticAnswer {
  const userText = stripDirectives(lastText(body.messages, "user"));
  const google = body.extra_body?.google;
  const budget = thinkingBudget(body, model, Boolean(directives.thoughts));
  const showThoughts = budget > 0 && Boolean(google?.thinking_config?.include_thoughts || directives.thoughts);
  const choices: SyntheticChoice[] = [];
  for (let i = 0; i < Math.max(1, body.n ?? 1); i++) {
    choices.push(choose(body, model, directives, { userText, index: i, showThoughts, thinks: budget > 0 }));
  }
  const reasoning = choices.reduce((sum, c) => sum + reasoningTokens(budget, words(c.thoughts)), 0);
  const completion = choices.reduce(
    (sum, c) =>
      sum + words(c.text ?? "") + c.toolCalls.reduce((s, t) => s + words(t.arguments) + 1, 0) + (c.image ? 258 : 0),
    0,
  );
  const cached = typeof google?.cached_content === "string" ? EMULATED_CACHE_TOKENS : 0;
  const prompt = cached + body.messages.reduce((sum, m) => sum + words(messageText(m)) + 1, 0);
  return {
    id: responseId(),
    model: body.model ?? model.name,
    created: Math.floor(Date.now() / 1000),
    choices,
    usage: {
      prompt_tokens: prompt,
      completion_tokens: opts.counting === "openai" ? completion + reasoning : completion,
      total_tokens: prompt + completion + reasoning,
      ...(cached > 0 ? { prompt_tokens_details: { cached_tokens: cached } } : {}),
      ...(reasoning > 0 ? { completion_tokens_details: { reasoning_tokens: reasoning } } : {}),
      ...(opts.counting === "vertex" ? { extra_properties: { google: { traffic_type: opts.trafficType } } } : {}),
    },
  };
}

interface ChoiceContext {
  userText: string;
  index: number;
  showThoughts: boolean;
  /** The model thinks in this turn (2.5 models then sign their first tool call). */
  thinks: boolean;
}

function choose(body: WireRequest, model: EmulatedModel, directives: Directives, turn: ChoiceContext): SyntheticChoice {
  const { userText, index } = turn;
  const thoughts = turn.showThoughts ? `Thinking about "${userText}" (choice ${index}).` : "";
  if (directives.safetyBlock) {
    return {
      thoughts: "",
      text: null,
      toolCalls: [],
      image: undefined,
      signature: undefined,
      finishReason: "content_filter",
    };
  }
  const toolCalls = plannedToolCalls(body, model, directives, turn);
  if (toolCalls.length > 0) {
    return {
      thoughts,
      text: null,
      toolCalls,
      image: undefined,
      signature: undefined,
      finishReason: directives.finish ?? "tool_calls",
    };
  }
  const image =
    directives.image || (model.imageOutput && body.modalities?.includes("image"))
      ? { data: EMULATED_PNG_BASE64, mimeType: "image/png" }
      : undefined;
  let text: string | null = image ? null : answerText(body, model, directives, userText, index);
  let finishReason = directives.finish ?? "stop";
  const limit = body.max_completion_tokens ?? body.max_tokens;
  if (text !== null && limit !== undefined && words(text) > limit) {
    text = text.split(" ").slice(0, limit).join(" ");
    finishReason = "length";
  }
  const signature = model.signs === "always" ? signatureFor("text", text ?? image?.data ?? "") : undefined;
  return { thoughts, text, toolCalls: [], image, signature, finishReason };
}

function answerText(
  body: WireRequest,
  model: EmulatedModel,
  directives: Directives,
  userText: string,
  index: number,
): string {
  if (directives.words !== undefined) {
    return Array.from({ length: directives.words }, (_, i) => `w${i + 1}`).join(" ");
  }
  const json = jsonAnswer(body.response_format, userText);
  if (json !== undefined) return json;
  const last = body.messages.at(-1);
  if (last?.role === "tool") {
    const results = body.messages.filter((m) => m.role === "tool").map((m) => messageText(m));
    return `Tool results: ${results.join(" | ")}`;
  }
  const suffix = index > 0 ? ` (choice ${index})` : "";
  return `Emulated ${model.name} says: ${userText}${suffix}`;
}

/**
 * Calls tools when tools are offered and the choice allows it: after a user message, the first offered tool (or
 * `tools=N` of them); after tool results, the next offered tool no earlier turn has called, so two- and
 * three-step agent loops can be exercised; once every offered tool was called, it answers with text.
 */
function plannedToolCalls(
  body: WireRequest,
  model: EmulatedModel,
  directives: Directives,
  turn: ChoiceContext,
): SyntheticToolCall[] {
  const tools = body.tools ?? [];
  const last = body.messages.at(-1)?.role;
  if (tools.length === 0 || body.tool_choice === "none" || (last !== "user" && last !== "tool")) return [];
  const forced = typeof body.tool_choice === "object" ? body.tool_choice.function.name : undefined;
  let candidates = forced ? tools.filter((t) => t.function.name === forced) : tools;
  if (last === "tool") {
    const called = new Set(body.messages.flatMap((m) => m.tool_calls ?? []).map((c) => c.function.name));
    candidates = candidates.filter((t) => !called.has(t.function.name));
  }
  const count = Math.max(1, directives.tools ?? 1);
  const calls: SyntheticToolCall[] = [];
  const step = body.messages.filter((m) => m.role === "assistant" && m.tool_calls?.length).length;
  for (let i = 0; i < count && candidates.length > 0; i++) {
    const tool = candidates[i % candidates.length] as WireTool;
    const name = tool.function.name;
    const args = JSON.stringify(argumentsFor(tool, turn.userText, i));
    const id =
      directives.nameAsId || model.signs !== "always" ? name : `function-call-${uuidFrom(`${name}${args}${i}${step}`)}`;
    // Only the first of parallel calls carries a signature; Gemini 2.5 signs only when it thought.
    const signs = model.signs === "always" || (model.signs === "tool-calls-when-thinking" && turn.thinks);
    const signature = signs && i === 0 ? callSignature(name, args) : undefined;
    calls.push({ id, name, arguments: args, signature });
  }
  return calls;
}

function argumentsFor(tool: WireTool, userText: string, position: number): Record<string, unknown> {
  const properties = (tool.function.parameters?.properties ?? {}) as Record<
    string,
    { type?: string; enum?: unknown[] }
  >;
  const args: Record<string, unknown> = {};
  for (const [key, schema] of Object.entries(properties)) {
    if (schema.enum && schema.enum.length > 0) args[key] = schema.enum[0];
    else if (schema.type === "number" || schema.type === "integer") args[key] = position + 1;
    else if (schema.type === "boolean") args[key] = true;
    else if (schema.type === "string" || schema.type === undefined)
      args[key] = position > 0 ? `${userText} #${position + 1}` : userText;
  }
  return args;
}

function lastText(messages: readonly WireMessage[], role: string): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i] as WireMessage;
    if (message.role === role) return messageText(message);
  }
  return "";
}

export function messageText(message: WireMessage): string {
  if (typeof message.content === "string") return message.content;
  if (!Array.isArray(message.content)) return "";
  return message.content.map((p) => (p.type === "text" ? p.text : "")).join(" ");
}

function words(text: string): number {
  const trimmed = text.trim();
  return trimmed === "" ? 0 : trimmed.split(/\s+/).length;
}

/** Unique per response, as Vertex's ids are (the answer's text stays deterministic). */
function responseId(): string {
  return randomBytes(18).toString("base64url").slice(0, 23);
}

function uuidFrom(seed: string): string {
  const hex = createHash("sha256").update(seed).digest("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
