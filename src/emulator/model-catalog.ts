/** The models the emulator pretends to host, with the rules Vertex applies to each (location, thinking, signatures). */

/** How a model thinks: Google's documented budgets per family (README lists the basis of each). */
export interface ThinkingProfile {
  /** Thinks when the request says nothing about thinking (Gemini 2.5 Flash and Pro, Gemini 3). */
  byDefault: boolean;
  /** Whether a zero budget / `reasoning_effort: "none"` turns thinking off, or is refused. */
  canStop: boolean;
  /** The range of a positive `thinking_budget` (-1, dynamic, is always allowed). */
  minBudget: number;
  maxBudget: number;
  /** The budget a dynamic or default thinking spends. */
  defaultBudget: number;
  /** Gemini 3's `thinking_level` values; empty where the field does not exist. */
  levels: readonly string[];
}

export interface EmulatedModel {
  name: string;
  /** Gemini 3 previews and some partner models exist only at `global`. */
  globalOnly: boolean;
  /** Undefined: the model cannot think, and thinking options are refused. */
  thinking: ThinkingProfile | undefined;
  /**
   * Where the model puts thought signatures: Gemini 3 on every answer and on the first tool call; Gemini 2.5 on
   * the first tool call of a turn it thought in.
   */
  signs: "always" | "tool-calls-when-thinking" | "never";
  /** Gemini 3 rejects a function-calling turn whose signature was lost or altered. */
  requiresSignatures: boolean;
  imageOutput: boolean;
  /** Priority PayGo (`X-Vertex-AI-LLM-Shared-Request-Type: priority`) is offered for this model. */
  priority: boolean;
}

const GEMINI_3_LEVELS = ["MINIMAL", "LOW", "MEDIUM", "HIGH"] as const;

const PRO_2_5: ThinkingProfile = {
  byDefault: true,
  canStop: false,
  minBudget: 128,
  maxBudget: 32_768,
  defaultBudget: 8_192,
  levels: [],
};
const FLASH_2_5: ThinkingProfile = {
  byDefault: true,
  canStop: true,
  minBudget: 1,
  maxBudget: 24_576,
  defaultBudget: 8_192,
  levels: [],
};
const FLASH_LITE_2_5: ThinkingProfile = {
  byDefault: false,
  canStop: true,
  minBudget: 512,
  maxBudget: 24_576,
  defaultBudget: 4_096,
  levels: [],
};
const PRO_3: ThinkingProfile = { ...PRO_2_5, levels: GEMINI_3_LEVELS };
const FLASH_3: ThinkingProfile = { ...FLASH_2_5, levels: GEMINI_3_LEVELS };
/** Partner reasoning models: they think, and take no Gemini thinking options beyond an effort. */
const PARTNER_REASONING: ThinkingProfile = { ...FLASH_2_5, byDefault: true, canStop: false };

/** A self-deployed or OpenAI-compatible model the catalog does not list: thinks when asked, signs nothing. */
const UNLISTED_THINKING: ThinkingProfile = {
  byDefault: false,
  canStop: true,
  minBudget: 1,
  maxBudget: 32_768,
  defaultBudget: 8_192,
  levels: GEMINI_3_LEVELS,
};

function gemini3(name: string, thinking: ThinkingProfile, extra: Partial<EmulatedModel> = {}): EmulatedModel {
  return {
    name,
    globalOnly: true,
    thinking,
    signs: "always",
    requiresSignatures: true,
    imageOutput: false,
    priority: true,
    ...extra,
  };
}

function regional(name: string, thinking: ThinkingProfile | undefined, extra: Partial<EmulatedModel> = {}) {
  return {
    name,
    globalOnly: false,
    thinking,
    signs: thinking ? "tool-calls-when-thinking" : "never",
    requiresSignatures: false,
    imageOutput: false,
    priority: false,
    ...extra,
  } satisfies EmulatedModel;
}

const MODELS: EmulatedModel[] = [
  regional("google/gemini-2.0-flash", undefined),
  regional("google/gemini-2.5-flash", FLASH_2_5),
  regional("google/gemini-2.5-flash-lite", FLASH_LITE_2_5),
  regional("google/gemini-2.5-pro", PRO_2_5, { priority: true }),
  gemini3("google/gemini-3-pro-preview", PRO_3),
  gemini3("google/gemini-3.1-pro-preview", PRO_3),
  gemini3("google/gemini-3-flash-preview", FLASH_3),
  gemini3("google/gemini-3-pro-image-preview", PRO_3, { imageOutput: true, priority: false }),
  regional("meta/llama-4-maverick-17b-128e-instruct-maas", undefined),
  {
    ...regional("xai/grok-4.1-fast-reasoning", PARTNER_REASONING),
    globalOnly: true,
    signs: "never",
  },
];

const byName = new Map(MODELS.map((m) => [m.name, m]));

export function findEmulatedModel(name: string): EmulatedModel | undefined {
  return byName.get(name);
}

/** What the emulator assumes of a model its catalog does not list (self-deployed, OpenAI-compatible). */
export function unlistedModel(name: string): EmulatedModel {
  return {
    name,
    globalOnly: false,
    thinking: UNLISTED_THINKING,
    signs: "never",
    requiresSignatures: false,
    imageOutput: false,
    priority: false,
  };
}
