/**
 * Property-based robustness: malformed protobuf and JSON from callers, and random, truncated and hostile answers
 * from the upstream. Whatever arrives, the process stays up, answers with a proper status, and leaks no stream.
 */
import assert from "node:assert/strict";
import http2 from "node:http2";
import { after, before, describe, test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import fc from "fast-check";
import { ErrorInfoSchema } from "../gen/google/rpc/error_details_pb.ts";
import { ResponseBuilder } from "../src/translate/response-builder.ts";
import { type ReplayUpstream, startReplayUpstream } from "./support/replay-upstream.ts";
import { userRequest } from "./support/requests.ts";
import { type Stack, startStack } from "./support/stack.ts";

const METHODS = ["CreateChatCompletion", "StreamChatCompletion", "ListModels"];
const RUNS = Number(process.env.VERTEXCHAT_FUZZ_RUNS ?? 40);

/** A failure from the upstream path always names its reason; never a bare "internal error". */
function assertExplained(err: unknown) {
  const e = ConnectError.from(err);
  assert.notEqual(e.code, Code.Unknown, e.rawMessage);
  assert.notEqual(e.rawMessage.toLowerCase(), "internal error");
  assert.equal(e.findDetails(ErrorInfoSchema)[0]?.domain, "vertexchat", `${Code[e.code]}: ${e.rawMessage}`);
}

async function assertHealthy(stack: Stack) {
  const res = await stack.client("grpc").createChatCompletion(userRequest("still alive?"));
  assert.match(String(res.choices[0]?.message?.content[0]?.kind.value), /still alive\?$/);
  for (let i = 0; i < 50 && stack.gateway.streams.active > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(stack.gateway.streams.active, 0, "no stream left open");
}

describe("malformed requests from callers", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  test("random bytes as Connect protobuf and random text as Connect JSON get a proper error status", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...METHODS),
        fc.oneof(
          fc.uint8Array({ maxLength: 300 }).map((b) => ["application/proto", b] as const),
          fc.string({ maxLength: 300 }).map((s) => ["application/json", new TextEncoder().encode(s)] as const),
          fc.json().map((s) => ["application/json", new TextEncoder().encode(s)] as const),
        ),
        async (method, [contentType, body]) => {
          const streaming = method === "StreamChatCompletion";
          const res = await fetch(`${stack.gateway.url}/vertexchat.v1.ChatService/${method}`, {
            method: "POST",
            headers: {
              "content-type": streaming ? contentType.replace("application/", "application/connect+") : contentType,
            },
            body,
          });
          const text = await res.text();
          if (streaming) {
            // Connect streams always answer 200 and put the error in the end-of-stream message.
            assert.equal(res.status, 200);
          } else if (res.status !== 200) {
            assert.ok([400, 404, 408, 412, 415, 429, 500, 503].includes(res.status), `status ${res.status}`);
            const parsed = JSON.parse(text) as { code?: string; message?: string };
            assert.ok(parsed.code && parsed.code !== "unknown", text);
          }
        },
      ),
      { numRuns: RUNS },
    );
    await assertHealthy(stack);
  });

  test("random gRPC frames over HTTP/2 get a grpc-status, never a hang or a crash", async () => {
    const session = http2.connect(stack.gateway.url);
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...METHODS),
          fc.uint8Array({ maxLength: 200 }),
          fc.boolean(),
          async (method, payload, framed) => {
            const frame = framed
              ? Buffer.concat([Buffer.from([0, 0, 0, 0, 0]), Buffer.from(payload)])
              : Buffer.from(payload);
            if (framed) frame.writeUInt32BE(payload.length, 1);
            const status = await new Promise<string>((resolve, reject) => {
              const stream = session.request({
                ":method": "POST",
                ":path": `/vertexchat.v1.ChatService/${method}`,
                "content-type": "application/grpc",
                te: "trailers",
              });
              let grpcStatus = "";
              stream.on("response", (headers) => {
                grpcStatus = String(headers["grpc-status"] ?? grpcStatus);
              });
              stream.on("trailers", (trailers) => {
                grpcStatus = String(trailers["grpc-status"] ?? grpcStatus);
              });
              stream.on("data", () => undefined);
              stream.on("end", () => resolve(grpcStatus));
              stream.on("error", reject);
              stream.setTimeout(5000, () => reject(new Error("hang")));
              stream.end(frame);
            });
            assert.match(status, /^\d+$/, "a grpc-status was sent");
          },
        ),
        { numRuns: RUNS },
      );
    } finally {
      session.close();
    }
    await assertHealthy(stack);
  });
});

describe("random, truncated and hostile upstream answers", () => {
  let upstream: ReplayUpstream;
  let stack: Stack;
  before(async () => {
    upstream = await startReplayUpstream();
    stack = await startStack({ VERTEXCHAT_RETRY_MAX_ATTEMPTS: "1" }, { upstreamOrigin: upstream.origin });
  });
  after(async () => {
    await stack.close();
    await upstream.close();
  });

  const validChunk = (content: string, finish?: string) =>
    JSON.stringify({
      id: "x",
      object: "chat.completion.chunk",
      created: 1,
      model: "m",
      choices: [{ index: 0, delta: { role: "assistant", content }, ...(finish ? { finish_reason: finish } : {}) }],
    });
  const hostileFrame = fc.oneof(
    fc.string({ maxLength: 40 }).map((s) => validChunk(s)),
    fc.constant(validChunk("", "stop")),
    fc.json({ maxDepth: 3 }),
    fc.string({ maxLength: 60 }),
    fc.constant("[DONE]"),
    fc.constant('{"error":{"code":500,"message":"boom","status":"INTERNAL"}}'),
    fc.constant('{"choices":[{"index":0,"delta":{"tool_calls":[{"id":null,"function":{"arguments":7}}]}}]}'),
    fc.constant('{"choices":[{"index":-1,"delta":{"content":{"not":"text"}},"finish_reason":5}],"usage":"lots"}'),
  );

  test("streams: whatever the frames, the caller gets a complete answer or an error status", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(hostileFrame, { maxLength: 12 }), fc.nat(400), async (frames, cut) => {
        const sse = frames.map((f) => `data: ${f}\n\n`).join("");
        upstream.next = {
          status: 200,
          contentType: "text/event-stream",
          body: sse.slice(0, sse.length - (cut % (sse.length + 1))),
        };
        const builder = new ResponseBuilder();
        try {
          for await (const e of stack.client("grpc").streamChatCompletion(userRequest("x"))) builder.add(e);
          builder.build();
        } catch (err) {
          assertExplained(err);
        }
      }),
      { numRuns: RUNS },
    );
    assert.equal(stack.gateway.streams.active, 0);
    // The gateway that took the hostile frames still answers a well-formed one.
    upstream.next = {
      status: 200,
      contentType: "application/json",
      body: JSON.stringify({
        id: "ok",
        object: "chat.completion",
        created: 1,
        model: "m",
        choices: [{ index: 0, message: { role: "assistant", content: "still alive" }, finish_reason: "stop" }],
      }),
    };
    const res = await stack.client("grpc").createChatCompletion(userRequest("x"));
    assert.equal(res.choices[0]?.message?.content[0]?.kind.value, "still alive");
  });

  test("unary: random JSON and text bodies with any status give a proper status", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(200, 200, 400, 401, 404, 429, 500, 502, 503),
        fc.oneof(fc.json({ maxDepth: 4 }), fc.string({ maxLength: 100 })),
        async (status, body) => {
          upstream.next = { status, contentType: "application/json", body };
          try {
            await stack.client("connect").createChatCompletion(userRequest("x"));
          } catch (err) {
            assertExplained(err);
          }
        },
      ),
      { numRuns: RUNS },
    );
    const res = await fetch(`${stack.gateway.url}/vertexchat.v1.ChatService/ListModels`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(res.status, 200, "the gateway still answers");
  });
});
