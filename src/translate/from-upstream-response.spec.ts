import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { create } from "@bufbuild/protobuf";
import { FinishReason, FinishReasonSchema, ServedBySchema } from "../../gen/vertexchat/v1/chat_service_pb.ts";
import { loadJsonFixture } from "../../test/fixtures/load-fixture.ts";
import type { WireResponse } from "../wire/vertex-wire.ts";
import { fromUpstreamResponse } from "./from-upstream-response.ts";

const servedBy = create(ServedBySchema, { upstream: "vertex", location: "global", upstreamModel: "m" });
const fixture = (name: string, at = 0) => loadJsonFixture(name)[at] as WireResponse;
const translate = (response: WireResponse, thoughtMarker?: string) =>
  fromUpstreamResponse(response, { thoughtMarker, servedBy });

describe("Vertex response → contract", () => {
  test("fixture 01 (partner model, no Gemini fields): text, finish reason, usage, id and model verbatim", () => {
    const res = translate(fixture("01_grok_maas_chat_completion_response_from_vertex_docs.json"));
    assert.equal(res.id, "2025-06-20|13:11:29.240295-07|6.230.75.101|-987540014");
    assert.equal(res.model, "xai/grok-4.1-fast-reasoning");
    assert.equal(res.created, 1750450289n);
    const message = res.choices[0]?.message;
    assert.equal(message?.content.length, 1);
    assert.match(
      String(message?.content[0]?.kind.value),
      /^Based on the current weather data:\n\n- \*\*Boston, MA\*\*/,
    );
    assert.equal(res.choices[0]?.finishReason, FinishReason.STOP);
    assert.deepEqual(
      [
        res.usage?.promptTokens,
        res.usage?.completionTokens,
        res.usage?.reasoningTokens,
        res.usage?.totalTokens,
        res.usage?.cachedTokens,
      ],
      [217, 66, 0, 283, undefined],
    );
  });

  test("fixture 02: message thought signature kept, usage with Vertex semantics (completion excludes reasoning)", () => {
    const wire = fixture("02_gemini31pro_response_via_proxy_with_thought_signature.json5");
    const res = translate(wire);
    const signature = wire.choices[0]?.message?.extra_content?.google?.thought_signature ?? "";
    // The recorded signature was truncated by its publisher ("...[truncated]..."), so it is not base64: its bytes
    // are kept as UTF-8 rather than dropped.
    assert.equal(Buffer.from(res.choices[0]?.message?.thoughtSignature ?? []).toString("utf8"), signature);
    assert.deepEqual(
      [res.usage?.promptTokens, res.usage?.completionTokens, res.usage?.reasoningTokens, res.usage?.totalTokens],
      [9, 566, 946, 1521],
    );
    assert.equal(res.usage?.trafficType, "ON_DEMAND");
  });

  test("fixture 04: a generated image in message.audio becomes an image part; content null is no text", () => {
    const wire = fixture("04_gemini3_pro_image_generation_response.json");
    const audio = wire.choices[0]?.message?.audio;
    assert.ok(audio);
    audio.data = "iVBORw0KGgo="; // the recorded body has a placeholder
    const res = translate(wire);
    const parts = res.choices[0]?.message?.content ?? [];
    assert.equal(parts.length, 1);
    assert.equal(parts[0]?.kind.case, "image");
    const media = parts[0]?.kind.case === "image" ? parts[0].kind.value : undefined;
    assert.equal(media?.mimeType, "image/png");
    assert.deepEqual(Buffer.from(media?.source.value as Uint8Array), Buffer.from("iVBORw0KGgo=", "base64"));
    assert.equal(res.usage?.reasoningTokens, 251);
  });

  test("fixture 05's response: plain answer, usage without reasoning", () => {
    const res = translate(fixture("05_multimodal_function_response_request_and_response.json", 1));
    assert.equal(res.choices[0]?.message?.content[0]?.kind.value, "Here is the image of the green shirt you ordered.");
    assert.deepEqual([res.usage?.promptTokens, res.usage?.completionTokens, res.usage?.totalTokens], [1139, 16, 1155]);
  });

  test("splits tagged thoughts from the answer into parts flagged thought", () => {
    const res = translate(
      {
        id: "x",
        object: "chat.completion",
        created: 1,
        model: "m",
        choices: [
          {
            index: 0,
            finish_reason: "stop",
            message: { role: "assistant", content: "<think>plan it</think>The answer." },
          },
        ],
      },
      "think",
    );
    assert.deepEqual(
      res.choices[0]?.message?.content.map((p) => [p.thought, p.kind.value]),
      [
        [true, "plan it"],
        [false, "The answer."],
      ],
    );
  });

  test("a message flagged thought is all thought", () => {
    const res = translate({
      id: "x",
      object: "chat.completion",
      created: 1,
      model: "m",
      choices: [
        {
          index: 0,
          finish_reason: "stop",
          message: { content: "musing", extra_content: { google: { thought: true } } },
        },
      ],
    });
    assert.equal(res.choices[0]?.message?.content[0]?.thought, true);
  });

  const finishCases: [string | null, FinishReason][] = [
    ["stop", FinishReason.STOP],
    ["length", FinishReason.LENGTH],
    ["tool_calls", FinishReason.TOOL_CALLS],
    ["content_filter", FinishReason.CONTENT_FILTER],
    ["MALFORMED_FUNCTION_CALL", FinishReason.OTHER],
    [null, FinishReason.UNSPECIFIED],
  ];
  for (const [wire, expected] of finishCases) {
    test(`finish reason ${JSON.stringify(wire)} → ${FinishReasonSchema.values.find((v) => v.number === expected)?.name}, verbatim string kept`, () => {
      const res = translate({
        id: "x",
        object: "chat.completion",
        created: 1,
        model: "m",
        choices: [{ index: 0, finish_reason: wire, message: { content: null } }],
      });
      assert.equal(res.choices[0]?.finishReason, expected);
      assert.equal(res.choices[0]?.upstreamFinishReason, wire ?? "");
      assert.deepEqual(res.choices[0]?.message?.content, []);
    });
  }

  test("tool calls keep ids, names, exact arguments and the first call's signature; repeated ids stay apart", () => {
    const res = translate({
      id: "x",
      object: "chat.completion",
      created: 1,
      model: "m",
      choices: [
        {
          index: 0,
          finish_reason: "tool_calls",
          message: {
            content: null,
            tool_calls: [
              {
                id: "get_weather",
                type: "function",
                function: { name: "get_weather", arguments: '{"city": "Oslo"}' },
                extra_content: { google: { thought_signature: "AAEC" } },
              },
              { id: "get_weather", type: "function", function: { name: "get_weather", arguments: '{"city":"Rome"}' } },
            ],
          },
        },
      ],
    });
    const calls = res.choices[0]?.message?.toolCalls ?? [];
    assert.deepEqual(
      calls.map((c) => [c.id, c.name, c.arguments, [...c.thoughtSignature]]),
      [
        ["get_weather", "get_weather", '{"city": "Oslo"}', [0, 1, 2]],
        ["get_weather", "get_weather", '{"city":"Rome"}', []],
      ],
    );
  });
});
