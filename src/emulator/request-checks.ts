/**
 * What Vertex refuses before it generates anything, reproduced with Vertex's status, message and error shape.
 */
import { SHARED_REQUEST_TYPE_HEADER, VERTEX_REQUEST_KEYS, type WireRequest } from "../wire/vertex-wire.ts";
import { type EmulatedError, googleError } from "./google-errors.ts";
import type { EmulatedModel } from "./model-catalog.ts";
import { callSignature, SKIP_VALIDATOR } from "./signatures.ts";
import { checkValues } from "./value-checks.ts";

/** Where a request was sent and how: its location, and the capacity tier its header asked for. */
export interface RequestContext {
  location: string;
  /** `X-Vertex-AI-LLM-Shared-Request-Type`, if sent. */
  tier: string | undefined;
}

export function checkRequest(
  body: WireRequest,
  model: EmulatedModel,
  where: RequestContext,
): EmulatedError | undefined {
  const { location } = where;
  for (const key of Object.keys(body)) {
    if (!VERTEX_REQUEST_KEYS.has(key)) {
      return googleError(400, `Invalid JSON payload received. Unknown name "${key}": Cannot find field.`);
    }
  }
  if (model.globalOnly && location !== "global") {
    return googleError(
      400,
      `Publisher model '${model.name}' in region '${location}' is only available via global endpoint.`,
      "FAILED_PRECONDITION",
    );
  }
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    return googleError(400, "Unable to submit request because it has an empty contents field.");
  }
  const invalid = checkValues(body, model, location);
  if (invalid) return invalid;
  if (where.tier !== undefined) {
    const refused = checkTier(where.tier, model, location);
    if (refused) return refused;
  }
  if (body.n !== undefined && body.n > 1 && model.requiresSignatures) {
    return googleError(
      400,
      `Unable to submit request because candidateCount must be 1 but the entered value was ${body.n}. Update the candidateCount value and try again.`,
    );
  }
  if (model.requiresSignatures) return checkSignatures(body);
  return undefined;
}

/** The one tier a header can ask for is Priority PayGo, served on the global endpoint only, for the models that offer it. */
function checkTier(tier: string, model: EmulatedModel, location: string): EmulatedError | undefined {
  if (tier !== "priority") {
    return googleError(
      400,
      `Invalid value for header ${SHARED_REQUEST_TYPE_HEADER} (${JSON.stringify(tier)}): use priority, or send no header for standard on-demand traffic.`,
    );
  }
  if (location !== "global") {
    return googleError(
      400,
      `Priority PayGo (X-Vertex-AI-LLM-Shared-Request-Type: priority) is only available on the global endpoint, not in region '${location}'.`,
      "FAILED_PRECONDITION",
    );
  }
  if (!model.priority) {
    return googleError(
      400,
      `Priority PayGo (X-Vertex-AI-LLM-Shared-Request-Type: priority) is not available for ${model.name}.`,
      "FAILED_PRECONDITION",
    );
  }
  return undefined;
}

/** Gemini 3 rejects a function-calling turn whose first call lost its signature or came back altered. */
function checkSignatures(body: WireRequest): EmulatedError | undefined {
  for (const [position, message] of body.messages.entries()) {
    const first = message.role === "assistant" ? message.tool_calls?.[0] : undefined;
    if (!first) continue;
    const given = first.extra_content?.google?.thought_signature;
    if (given === SKIP_VALIDATOR) continue;
    if (!given) {
      return googleError(
        400,
        `Unable to submit request because function call \`${first.function.name}\` in the ${position + 1}. content block is missing a \`thought_signature\`. Learn more: https://docs.cloud.google.com/vertex-ai/generative-ai/docs/thought-signatures`,
      );
    }
    if (given !== callSignature(first.function.name, first.function.arguments)) {
      return googleError(400, "Corrupted thought signature.");
    }
  }
  return undefined;
}
