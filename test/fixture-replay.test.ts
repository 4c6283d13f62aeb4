import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { ErrorInfoSchema } from "../gen/google/rpc/error_details_pb.ts";
import { FinishReason } from "../gen/vertexchat/v1/chat_service_pb.ts";
import { ResponseBuilder } from "../src/translate/response-builder.ts";
import { fixture05Request } from "./fixtures/fixture-05.ts";
import { loadJsonFixture, loadSseFixture } from "./fixtures/load-fixture.ts";
import { type ReplayUpstream, startReplayUpstream } from "./support/replay-upstream.ts";
import { userRequest } from "./support/requests.ts";
import { PROTOCOLS, type Stack, startStack } from "./support/stack.ts";

const json = (name: string, at = 0) => ({
  status: 200,
  contentType: "application/json",
  body: JSON.stringify(loadJsonFixture(name)[at]),
});

describe("every recorded Vertex answer, replayed through the real server", () => {
  let upstream: ReplayUpstream;
  let stack: Stack;
  before(async () => {
    upstream = await startReplayUpstream();
    stack = await startStack({}, { upstreamOrigin: upstream.origin });
  });
  after(async () => {
    await stack.close();
    await upstream.close();
  });

  for (const protocol of PROTOCOLS) {
    test(`${protocol}: fixture 01 (partner model answer)`, async () => {
      upstream.next = json("01_grok_maas_chat_completion_response_from_vertex_docs.json");
      const res = await stack
        .client(protocol)
        .createChatCompletion(userRequest("compare", { model: "xai/grok-4.1-fast-reasoning" }));
      assert.match(
        String(res.choices[0]?.message?.content[0]?.kind.value),
        /Boston has a higher temperature than New Delhi/,
      );
      assert.deepEqual([res.usage?.promptTokens, res.usage?.completionTokens, res.usage?.totalTokens], [217, 66, 283]);
    });
  }

  test("fixture 02: the message signature and Vertex usage arrive intact", async () => {
    upstream.next = json("02_gemini31pro_response_via_proxy_with_thought_signature.json5");
    const res = await stack
      .client("grpc")
      .createChatCompletion(userRequest("feelings?", { model: "google/gemini-3.1-pro-preview" }));
    assert.match(Buffer.from(res.choices[0]?.message?.thoughtSignature ?? []).toString("utf8"), /^CoMeAY89a18L.*c\+F$/);
    assert.deepEqual(
      [res.usage?.completionTokens, res.usage?.reasoningTokens, res.usage?.totalTokens],
      [566, 946, 1521],
    );
  });

  test("fixture 03: the recorded stream rebuilds two tool calls keyed by id despite Vertex's index quirk", async () => {
    const frames = loadSseFixture("03_gemini31pro_streaming_tool_calls_stream_function_call_arguments.sse");
    upstream.next = {
      status: 200,
      contentType: "text/event-stream",
      body: frames.map((d) => `data: ${d}\n\n`).join(""),
    };
    const builder = new ResponseBuilder();
    for await (const e of stack
      .client("grpc-web")
      .streamChatCompletion(userRequest("weather", { model: "google/gemini-3.1-pro-preview" }))) {
      builder.add(e);
    }
    const res = builder.build();
    assert.deepEqual(
      res.choices[0]?.message?.toolCalls.map((c) => JSON.parse(c.arguments)),
      [
        { location: "Boston, MA", unit: "celsius" },
        { location: "New Delhi, India", unit: "celsius" },
      ],
    );
    assert.equal(res.choices[0]?.finishReason, FinishReason.TOOL_CALLS);
    assert.equal(res.usage?.trafficType, "PROVISIONED_THROUGHPUT");
  });

  test("text chunks that reach the gateway together go to the caller as one delta, rebuilding the same answer", async () => {
    const words = ["Chunks ", "sent ", "in ", "one ", "write ", "arrive ", "together."];
    const frames = words.map((content, i) =>
      JSON.stringify({
        id: "r",
        created: 1,
        model: "google/gemini-2.5-flash",
        choices: [{ index: 0, delta: { role: "assistant", content }, ...(i === 6 ? { finish_reason: "stop" } : {}) }],
      }),
    );
    // One write of a small body: one network read at the gateway.
    upstream.next = {
      status: 200,
      contentType: "text/event-stream",
      body: `${frames.map((d) => `data: ${d}\n\n`).join("")}data: [DONE]\n\n`,
    };
    const events = [];
    for await (const e of stack.client("connect").streamChatCompletion(userRequest("together"))) events.push(e);
    assert.deepEqual(
      events.map((e) => e.event.case),
      ["started", "delta", "finished"],
    );
    const builder = new ResponseBuilder();
    for (const e of events) builder.add(e);
    assert.equal(builder.build().choices[0]?.message?.content[0]?.kind.value, words.join(""));
  });

  test("fixture 04: a generated image arrives as an image part", async () => {
    upstream.next = json("04_gemini3_pro_image_generation_response.json");
    const res = await stack
      .client("connect")
      .createChatCompletion(userRequest("a cat", { model: "google/gemini-3-pro-image-preview" }));
    const part = res.choices[0]?.message?.content[0];
    assert.equal(part?.kind.case, "image");
    assert.equal(part?.kind.case === "image" ? part.kind.value.mimeType : "", "image/png");
  });

  test("fixture 05: the recorded request is what the gateway sends; the answer comes back", async () => {
    upstream.next = json("05_multimodal_function_response_request_and_response.json", 1);
    const { request, expectedWire } = fixture05Request();
    const res = await stack.client("grpc").createChatCompletion(request);
    assert.equal(res.choices[0]?.message?.content[0]?.kind.value, "Here is the image of the green shirt you ordered.");
    assert.deepEqual(upstream.received.at(-1), expectedWire);
  });

  test("fixture 06: Vertex's array error body becomes FAILED_PRECONDITION with Google's message", async () => {
    upstream.next = {
      status: 400,
      contentType: "application/json",
      body: JSON.stringify(loadJsonFixture("06_error_bodies_vertex_openai_endpoint.txt")[0]),
    };
    const err = await stack
      .client("grpc")
      .createChatCompletion(userRequest("hi", { model: "xai/grok-4.1-fast-non-reasoning" }))
      .then(
        () => assert.fail("expected an error"),
        (e: unknown) => ConnectError.from(e),
      );
    assert.equal(err.code, Code.FailedPrecondition);
    assert.match(
      err.rawMessage,
      /Publisher model 'xai\/grok-4.1-fast-non-reasoning' in region 'us-central1' is only available via global endpoint\./,
    );
    assert.equal(err.findDetails(ErrorInfoSchema)[0]?.metadata.google_status, "FAILED_PRECONDITION");
  });
});
