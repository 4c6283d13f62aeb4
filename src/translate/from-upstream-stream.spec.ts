import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { create } from "@bufbuild/protobuf";
import fc from "fast-check";
import { FinishReason, ServedBySchema } from "../../gen/vertexchat/v1/chat_service_pb.ts";
import { loadSseFixture } from "../../test/fixtures/load-fixture.ts";
import type { WireChunk, WireDelta } from "../wire/vertex-wire.ts";
import { IncompleteStreamError, StreamTranslator } from "./from-upstream-stream.ts";
import { ResponseBuilder } from "./response-builder.ts";

const servedBy = create(ServedBySchema, { upstream: "vertex", location: "global", upstreamModel: "m" });

function rebuild(chunks: WireChunk[], thoughtMarker?: string) {
  const translator = new StreamTranslator({ thoughtMarker, servedBy });
  const builder = new ResponseBuilder();
  for (const chunk of chunks) for (const event of translator.push(chunk)) builder.add(event);
  for (const event of translator.finish()) builder.add(event);
  return builder.build();
}

function chunk(delta: WireDelta, finish?: string): WireChunk {
  return {
    id: "r1",
    object: "chat.completion.chunk",
    created: 7,
    model: "m",
    choices: [{ index: 0, delta: { role: "assistant", ...delta }, ...(finish ? { finish_reason: finish } : {}) }],
  };
}

describe("Vertex stream → contract events", () => {
  test("fixture 03: parallel tool calls with inconsistent indexes are accumulated by id, usage from the last chunk", () => {
    const chunks = loadSseFixture("03_gemini31pro_streaming_tool_calls_stream_function_call_arguments.sse")
      .filter((data) => data !== "[DONE]")
      .map((data) => JSON.parse(data) as WireChunk);
    const res = rebuild(chunks);
    const calls = res.choices[0]?.message?.toolCalls ?? [];
    assert.deepEqual(
      calls.map((c) => [c.id, c.name, c.arguments]),
      [
        [
          "function-call-c855348a-459a-46a4-a8ad-aa0a4e7c3563",
          "get_current_weather",
          '{"location":"Boston, MA","unit":"celsius"}',
        ],
        [
          "function-call-df0d087c-ad74-46f1-ba4a-9353cbf288a8",
          "get_current_weather",
          '{"location":"New Delhi, India","unit":"celsius"}',
        ],
      ],
    );
    // Only the first call carries a signature (the recorded one is a placeholder, kept as its UTF-8 bytes).
    assert.equal(Buffer.from(calls[0]?.thoughtSignature ?? []).toString("utf8"), "...");
    assert.equal(calls[1]?.thoughtSignature.length, 0);
    assert.equal(res.choices[0]?.finishReason, FinishReason.TOOL_CALLS);
    assert.deepEqual(
      [
        res.usage?.promptTokens,
        res.usage?.completionTokens,
        res.usage?.reasoningTokens,
        res.usage?.totalTokens,
        res.usage?.trafficType,
      ],
      [27, 45, 504, 576, "PROVISIONED_THROUGHPUT"],
    );
    assert.equal(res.id, "nQiNafGyF5rw998PstqooAY");
  });

  test("the first event is started and the last is finished", () => {
    const translator = new StreamTranslator({ thoughtMarker: undefined, servedBy });
    const first = translator.push(chunk({ content: "a" }));
    assert.equal(first[0]?.event.case, "started");
    translator.push(chunk({ content: "" }, "stop"));
    assert.equal(translator.finish().at(-1)?.event.case, "finished");
  });

  test("a stream that ends before a finish reason is incomplete, not a clean end", () => {
    const translator = new StreamTranslator({ thoughtMarker: undefined, servedBy });
    translator.push(chunk({ content: "half an ans" }));
    assert.throws(() => translator.finish(), IncompleteStreamError);
    assert.throws(() => new StreamTranslator({ thoughtMarker: undefined, servedBy }).finish(), IncompleteStreamError);
  });

  test("usage: the last non-empty usage wins", () => {
    const a = chunk({ content: "x" });
    a.usage = { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 };
    const b = chunk({ content: "" }, "stop");
    b.usage = { prompt_tokens: 5, completion_tokens: 6, total_tokens: 11 };
    const c = chunk({});
    c.usage = { prompt_tokens: 0, completion_tokens: 0, total_tokens: 0 };
    assert.equal(rebuild([a, b, c]).usage?.totalTokens, 11);
  });

  test("thoughts flagged on deltas become thought parts", () => {
    const res = rebuild([
      chunk({ content: "hmm ", extra_content: { google: { thought: true } } }),
      chunk({ content: "ok", extra_content: { google: { thought: true } } }),
      chunk({ content: "Answer" }, "stop"),
    ]);
    assert.deepEqual(
      res.choices[0]?.message?.content.map((p) => [p.thought, p.kind.value]),
      [
        [true, "hmm ok"],
        [false, "Answer"],
      ],
    );
  });

  test("property: any split of the text into chunks rebuilds the same response", () => {
    const text = "<t>I think, therefore</t>The <answer> is 42. <t>again</t>Done <t";
    const whole = rebuild([chunk({ content: text }, "stop")], "t");
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: text.length - 1 }), { maxLength: 20 }), (cuts) => {
        const bounds = [0, ...cuts.sort((x, y) => x - y), text.length];
        const pieces = bounds.slice(1).map((end, i) => text.slice(bounds[i], end));
        const chunks = pieces.map((piece, i) =>
          chunk({ content: piece }, i === pieces.length - 1 ? "stop" : undefined),
        );
        assert.deepEqual(rebuild(chunks, "t"), whole);
      }),
    );
    assert.deepEqual(
      whole.choices[0]?.message?.content.map((p) => [p.thought, p.kind.value]),
      [
        [true, "I think, therefore"],
        [false, "The <answer> is 42. "],
        [true, "again"],
        [false, "Done <t"],
      ],
    );
  });

  test("property: any split of tool-call arguments into fragments rebuilds the same arguments", () => {
    fc.assert(
      fc.property(fc.json(), fc.array(fc.nat(), { maxLength: 10 }), (json, cutSeeds) => {
        const args = JSON.stringify({ v: JSON.parse(json) });
        const cuts = [...new Set(cutSeeds.map((s) => s % args.length))].sort((x, y) => x - y);
        const bounds = [0, ...cuts, args.length];
        const fragments = ["", ...bounds.slice(1).map((end, i) => args.slice(bounds[i], end))];
        const chunks = fragments.map((fragment, i) =>
          chunk(
            {
              tool_calls: [
                {
                  index: i === 0 ? 1 : 0,
                  id: "function-call-1",
                  type: "function",
                  function: { name: "f", arguments: fragment },
                },
              ],
            },
            i === fragments.length - 1 ? "tool_calls" : undefined,
          ),
        );
        const calls = rebuild(chunks).choices[0]?.message?.toolCalls ?? [];
        assert.equal(calls.length, 1);
        assert.equal(calls[0]?.arguments, args);
      }),
    );
  });

  test("property: random bytes survive as thought signatures", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 512 }), (bytes) => {
        const signature = Buffer.from(bytes).toString("base64");
        const res = rebuild([
          chunk({ content: "", extra_content: { google: { thought_signature: signature } } }, "stop"),
        ]);
        assert.deepEqual([...(res.choices[0]?.message?.thoughtSignature ?? [])], [...bytes]);
      }),
    );
  });

  test("chunks that arrived together: consecutive text of one choice is one delta, thoughts and tool calls apart", () => {
    const translator = new StreamTranslator({ thoughtMarker: undefined, servedBy });
    const events = translator.pushBatch([
      chunk({ content: "hmm ", extra_content: { google: { thought: true } } }),
      chunk({ content: "ok", extra_content: { google: { thought: true } } }),
      chunk({ content: "The " }),
      chunk({ content: "answer" }),
      chunk({ tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }] }),
      chunk({ content: " is 42" }),
      { ...chunk({ content: "second choice" }), choices: [{ index: 1, delta: { content: "second choice" } }] },
      chunk({ content: "." }, "stop"),
    ]);
    assert.deepEqual(
      events.map((e) =>
        e.event.case === "delta"
          ? [
              e.event.value.choiceIndex,
              e.event.value.delta.case,
              // A tool-call piece is checked field by field below; here only its place in the order.
              e.event.value.delta.case === "toolCall" ? "TOOL_CALL" : e.event.value.delta.value,
            ]
          : [],
      ),
      [
        [],
        [0, "thought", "hmm ok"],
        [0, "text", "The answer"],
        [0, "toolCall", "TOOL_CALL"],
        [0, "text", " is 42"],
        [1, "text", "second choice"],
        [0, "text", "."],
      ],
    );
    const piece = events[3]?.event.case === "delta" ? events[3].event.value.delta : undefined;
    assert.equal(piece?.case, "toolCall");
    assert.deepEqual(
      piece?.case === "toolCall"
        ? [piece.value.callIndex, piece.value.id, piece.value.name, piece.value.arguments]
        : [],
      [0, "c1", "f", "{}"],
    );
  });

  test("property: any grouping of chunks into batches rebuilds the same response", () => {
    const text = "<t>I think, therefore</t>The <answer> is 42. <t>again</t>Done";
    const words = text.split(/(?<= )/);
    const chunks = words.map((w, i) => chunk({ content: w }, i === words.length - 1 ? "stop" : undefined));
    const whole = rebuild(chunks, "t");
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: chunks.length - 1 }), { maxLength: 8 }), (cuts) => {
        const bounds = [0, ...cuts.sort((x, y) => x - y), chunks.length];
        const translator = new StreamTranslator({ thoughtMarker: "t", servedBy });
        const builder = new ResponseBuilder();
        for (const [i, end] of bounds.slice(1).entries()) {
          for (const event of translator.pushBatch(chunks.slice(bounds[i], end))) builder.add(event);
        }
        for (const event of translator.finish()) builder.add(event);
        assert.deepEqual(builder.build(), whole);
      }),
    );
  });
});
