/**
 * Gemini's options in the OpenAI-compatible body (`extra_body.google`, Vertex's documented place) and the Priority
 * PayGo header → the contract's GoogleOptions. Pure.
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import { type GoogleOptionsSchema, TrafficTier } from "../../gen/vertexchat/v1/options_pb.ts";
import {
  toEnum,
  wireHarmBlockThreshold,
  wireHarmCategory,
  wireMediaResolution,
  wireThinkingLevel,
} from "../translate/enum-maps.ts";
import { SHARED_REQUEST_TYPE_HEADER, VERTEX_GOOGLE_OPTION_KEYS } from "../wire/vertex-wire.ts";
import { boolean, fail, given, integer, type JsonRecord, list, oneOf, onlyKeys, record, text } from "./json-reader.ts";

export type GoogleInit = MessageInitShape<typeof GoogleOptionsSchema>;

/** Request headers the translation reads (lower-case names). */
export type RestHeaders = { get(name: string): string | null };

/** `extra_body.google` (Vertex's documented place for Gemini's options), and the Priority PayGo header. */
export function googleOptions(extraBody: unknown, headers: RestHeaders): GoogleInit | undefined {
  const out: GoogleInit = {};
  const tier = headers.get(SHARED_REQUEST_TYPE_HEADER);
  if (tier !== null) {
    if (tier !== "priority") {
      fail(
        SHARED_REQUEST_TYPE_HEADER,
        `${JSON.stringify(tier)} is not a tier; use priority, or send no header`,
        "UNKNOWN_VALUE",
      );
    }
    out.trafficTier = TrafficTier.PRIORITY;
  }
  if (given(extraBody)) {
    const extra = record(extraBody, "extra_body");
    onlyKeys(extra, "extra_body", ["google"]);
    if (given(extra.google)) readGoogle(record(extra.google, "extra_body.google"), out);
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function readGoogle(g: JsonRecord, out: GoogleInit): void {
  const at = "extra_body.google";
  if (given(g.tools)) {
    fail(
      `${at}.tools`,
      "native Gemini tool objects have no place in the contract; declare functions in tools (google_search: web_search_options)",
      "UNSUPPORTED",
    );
  }
  onlyKeys(
    g,
    at,
    VERTEX_GOOGLE_OPTION_KEYS.filter((key) => key !== "tools"),
  );
  if (given(g.thinking_config)) {
    const t = record(g.thinking_config, `${at}.thinking_config`);
    onlyKeys(t, `${at}.thinking_config`, ["thinking_budget", "thinking_level", "include_thoughts"]);
    out.thinkingConfig = {
      ...(given(t.thinking_budget)
        ? { thinkingBudget: integer(t.thinking_budget, `${at}.thinking_config.thinking_budget`) }
        : {}),
      ...(given(t.thinking_level)
        ? {
            thinkingLevel: toEnum(
              wireThinkingLevel,
              oneOf(String(t.thinking_level).toUpperCase(), `${at}.thinking_config.thinking_level`, [
                "MINIMAL",
                "LOW",
                "MEDIUM",
                "HIGH",
              ]),
            ),
          }
        : {}),
      ...(given(t.include_thoughts)
        ? { includeThoughts: boolean(t.include_thoughts, `${at}.thinking_config.include_thoughts`) }
        : {}),
    };
  }
  if (given(g.safety_settings)) {
    out.safetySettings = list(g.safety_settings, `${at}.safety_settings`).map((s, i) => {
      const where = `${at}.safety_settings[${i}]`;
      const setting = record(s, where);
      onlyKeys(setting, where, ["category", "threshold"]);
      const categories = Object.values(wireHarmCategory).filter((v) => v !== undefined);
      const thresholds = Object.values(wireHarmBlockThreshold).filter((v) => v !== undefined);
      return {
        category: toEnum(wireHarmCategory, oneOf(setting.category, `${where}.category`, categories)),
        threshold: toEnum(wireHarmBlockThreshold, oneOf(setting.threshold, `${where}.threshold`, thresholds)),
      };
    });
  }
  if (given(g.cached_content)) out.cachedContent = text(g.cached_content, `${at}.cached_content`);
  if (given(g.thought_tag_marker)) out.thoughtTagMarker = text(g.thought_tag_marker, `${at}.thought_tag_marker`);
  if (given(g.stream_function_call_arguments)) {
    out.streamFunctionCallArguments = boolean(g.stream_function_call_arguments, `${at}.stream_function_call_arguments`);
  }
  if (given(g.media_resolution)) {
    const names = Object.values(wireMediaResolution).filter((v) => v !== undefined);
    out.mediaResolution = toEnum(wireMediaResolution, oneOf(g.media_resolution, `${at}.media_resolution`, names));
  }
}
