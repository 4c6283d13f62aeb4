/**
 * How much a model thinks for a request, and which thinking options Vertex refuses for it. Pure.
 *
 * Budgets follow Google's thinking page: `reasoning_effort` low/medium/high are 1,024 / 8,192 / 24,576 tokens,
 * a budget of -1 is dynamic (the model's default), 0 turns thinking off where the model allows it. The emulator
 * spends a sixteenth of the budget, so every setting gives a different, ordered reasoning-token count.
 */
import type { WireRequest } from "../wire/vertex-wire.ts";
import { type EmulatedError, googleError } from "./google-errors.ts";
import type { EmulatedModel } from "./model-catalog.ts";

const EFFORT_BUDGETS: Record<string, number> = { none: 0, low: 1_024, medium: 8_192, high: 24_576 };
const LEVEL_BUDGETS: Record<string, number> = { MINIMAL: 128, LOW: 1_024, MEDIUM: 8_192, HIGH: 24_576 };
const THINKING_CONFIG_KEYS = new Set(["thinking_budget", "thinking_level", "include_thoughts"]);

/** The thinking budget the request leaves the model (0: no thinking). Assumes checkThinking passed. */
export function thinkingBudget(body: WireRequest, model: EmulatedModel, forced: boolean): number {
  const profile = model.thinking;
  if (!profile) return 0;
  const config = body.extra_body?.google?.thinking_config;
  let budget = profile.byDefault ? profile.defaultBudget : 0;
  if (body.reasoning_effort) budget = clamp(EFFORT_BUDGETS[body.reasoning_effort] ?? 0, profile);
  else if (config?.thinking_level) budget = LEVEL_BUDGETS[config.thinking_level] ?? budget;
  else if (config?.thinking_budget === -1) budget = profile.defaultBudget;
  else if (config?.thinking_budget !== undefined) budget = config.thinking_budget;
  else if (config?.include_thoughts) budget = profile.defaultBudget;
  return forced ? Math.max(budget, profile.defaultBudget) : budget;
}

/** Reasoning tokens spent for a budget: ordered with the budget, at least the shown thoughts. */
export function reasoningTokens(budget: number, thoughtWords: number): number {
  return budget > 0 ? Math.max(Math.ceil(budget / 16), thoughtWords + 1) : 0;
}

function clamp(budget: number, profile: NonNullable<EmulatedModel["thinking"]>): number {
  return budget === 0 ? 0 : Math.min(Math.max(budget, profile.minBudget), profile.maxBudget);
}

export function checkThinking(body: WireRequest, model: EmulatedModel): EmulatedError | undefined {
  const effort: unknown = body.reasoning_effort;
  const config = body.extra_body?.google?.thinking_config as Record<string, unknown> | undefined;
  if (effort !== undefined && (typeof effort !== "string" || !(effort in EFFORT_BUDGETS))) {
    return googleError(
      400,
      `Invalid value at 'reasoning_effort' (${JSON.stringify(effort)}): use one of none, low, medium, high.`,
    );
  }
  if (effort !== undefined && config !== undefined) {
    return googleError(400, "reasoning_effort and thinking_config cannot both be set.");
  }
  if (config !== undefined) {
    const refused = checkConfig(config, model);
    if (refused) return refused;
  }
  const profile = model.thinking;
  const asksThinking = (effort !== undefined && effort !== "none") || config !== undefined;
  if (!profile && asksThinking) {
    return googleError(
      400,
      `Unable to submit request because thinking is not supported by ${model.name}. Remove reasoning_effort and thinking_config and try again.`,
    );
  }
  if (effort === "none" && profile && !profile.canStop) {
    return googleError(
      400,
      `Unable to submit request because thinking can't be turned off for ${model.name}. Use a reasoning_effort of low, medium or high.`,
    );
  }
  return undefined;
}

function checkConfig(config: Record<string, unknown>, model: EmulatedModel): EmulatedError | undefined {
  const path = "extra_body.google.thinking_config";
  for (const key of Object.keys(config)) {
    if (!THINKING_CONFIG_KEYS.has(key)) {
      return googleError(400, `Invalid JSON payload received. Unknown name "${key}" at '${path}': Cannot find field.`);
    }
  }
  const { thinking_budget: budget, thinking_level: level, include_thoughts: include } = config;
  if (include !== undefined && typeof include !== "boolean") {
    return googleError(400, `Invalid value at '${path}.include_thoughts' (${JSON.stringify(include)}): a boolean.`);
  }
  if (budget !== undefined && level !== undefined) {
    return googleError(
      400,
      "Unable to submit request because thinking_budget and thinking_level are both set. Use one of them.",
    );
  }
  const profile = model.thinking;
  if (!profile) return undefined; // refused by the caller with the model's name
  if (budget !== undefined) {
    if (typeof budget !== "number" || !Number.isInteger(budget)) {
      return googleError(400, `Invalid value at '${path}.thinking_budget' (${JSON.stringify(budget)}): an integer.`);
    }
    if (budget === 0 && !profile.canStop) {
      return googleError(
        400,
        `Unable to submit request because thinking can't be turned off for ${model.name}: the thinking_budget must be from ${profile.minBudget} to ${profile.maxBudget}, or -1 for dynamic thinking.`,
      );
    }
    if (budget !== -1 && budget !== 0 && (budget < profile.minBudget || budget > profile.maxBudget)) {
      return googleError(
        400,
        `Unable to submit request because it has a thinking_budget of ${budget} but the supported range for ${model.name} is from ${profile.minBudget} to ${profile.maxBudget}${profile.canStop ? " (0 turns thinking off)" : ""}, or -1 for dynamic thinking.`,
      );
    }
  }
  if (level !== undefined) {
    if (profile.levels.length === 0) {
      return googleError(
        400,
        `Unable to submit request because thinking_level is not supported by ${model.name}; use thinking_budget.`,
      );
    }
    if (typeof level !== "string" || !profile.levels.includes(level)) {
      return googleError(
        400,
        `Invalid value at '${path}.thinking_level' (${JSON.stringify(level)}): use one of ${profile.levels.join(", ")}.`,
      );
    }
  }
  return undefined;
}
