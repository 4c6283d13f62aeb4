import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { ServedBySchema } from "../../gen/vertexchat/v1/chat_service_pb.ts";
import { StreamTranslator } from "../translate/from-upstream-stream.ts";
import { UpstreamError } from "./upstream-failure.ts";
import { checkChunk, checkResponse } from "./wire-shape.ts";

const malformed = (fn: () => unknown, path: RegExp) =>
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof UpstreamError && err.failure.kind === "malformed", String(err));
    assert.match(err.message, path);
    return true;
  });

describe("upstream bodies are checked for what the wire types declare", () => {
  test("generated media without its data is refused, not decoded from undefined", () => {
    malformed(
      () => checkResponse({ choices: [{ index: 0, message: { audio: { extra_content: {} } } }] }),
      /choices\[0\]\.message\.audio\.data is not a string/,
    );
  });

  test("usage details of the wrong type are refused with their path", () => {
    malformed(
      () => checkChunk({ choices: [], usage: { prompt_tokens_details: { cached_tokens: "9" } } }),
      /usage\.prompt_tokens_details\.cached_tokens is not a number/,
    );
    malformed(
      () => checkChunk({ choices: [], usage: { extra_properties: { google: "ON_DEMAND" } } }),
      /usage\.extra_properties\.google is not an object/,
    );
  });

  test("what may be null is null-safe all the way to the translation", () => {
    const chunk = checkChunk({
      id: null,
      model: null,
      created: null,
      choices: [
        {
          index: 0,
          delta: {
            content: null,
            extra_content: { google: { thought_signature: null } },
            tool_calls: [{ index: null, id: "c1", function: { name: "f", arguments: null }, extra_content: null }],
          },
        },
      ],
      usage: { prompt_tokens: null, prompt_tokens_details: null, completion_tokens_details: null },
    });
    const translator = new StreamTranslator({
      thoughtMarker: undefined,
      servedBy: create(ServedBySchema, {}),
      usageSemantics: "vertex",
    });
    const events = translator.pushBatch([chunk]);
    const toolCall = events.find((e) => e.event.case === "delta" && e.event.value.delta.case === "toolCall");
    assert.ok(toolCall, "the tool call came through");
  });
});
