import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { create, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { Code, createClient } from "@connectrpc/connect";
import { createAsyncIterable } from "@connectrpc/connect/protocol";
import { Health, HealthCheckResponse_ServingStatus as Status } from "../gen/grpc/health/v1/health_pb.ts";
import {
  ServerReflection as ReflectionV1,
  ServerReflectionRequestSchema,
  type ServerReflectionResponse,
} from "../gen/grpc/reflection/v1/reflection_pb.ts";
import { ServerReflection as ReflectionV1alpha } from "../gen/grpc/reflection/v1alpha/reflection_pb.ts";
import { rejection } from "./support/expect-error.ts";
import { type Stack, startStack, transportFor } from "./support/stack.ts";

describe("grpc.health.v1.Health follows the server's life", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  test("Check answers SERVING for the server and ChatService, NOT_FOUND for an unknown service", async () => {
    const health = createClient(Health, transportFor(stack.gateway.url, "grpc", "2"));
    assert.equal((await health.check({ service: "" })).status, Status.SERVING);
    assert.equal((await health.check({ service: "vertexchat.v1.ChatService" })).status, Status.SERVING);
    const err = await rejection(health.check({ service: "nope.v1.Nothing" }));
    assert.equal(err.code, Code.NotFound);
    const list = await health.list({});
    assert.deepEqual(Object.keys(list.statuses).sort(), ["", "grpc.health.v1.Health", "vertexchat.v1.ChatService"]);
  });

  test("Watch sends the current status at once, then every change (NOT_SERVING at shutdown)", async () => {
    const own = await startStack();
    const health = createClient(Health, transportFor(own.gateway.url, "grpc", "2"));
    const controller = new AbortController();
    const seen: Status[] = [];
    const watching = (async () => {
      for await (const res of health.watch({ service: "vertexchat.v1.ChatService" }, { signal: controller.signal })) {
        seen.push(res.status);
        if (seen.length === 1) own.gateway.health.setAll(Status.NOT_SERVING);
        if (seen.length === 2) controller.abort();
      }
    })().catch(() => undefined);
    await watching;
    assert.deepEqual(seen, [Status.SERVING, Status.NOT_SERVING]);
    const unknown = health.watch({ service: "nope.v1.Nothing" });
    for await (const res of unknown) {
      assert.equal(res.status, Status.SERVICE_UNKNOWN);
      break;
    }
    await own.close();
  });
});

describe("gRPC server reflection, v1 and v1alpha", () => {
  let stack: Stack;
  before(async () => {
    stack = await startStack();
  });
  after(() => stack.close());

  for (const [name, service] of [
    ["v1", ReflectionV1],
    ["v1alpha", ReflectionV1alpha],
  ] as const) {
    test(`${name}: lists services, and sends each file with the dependencies not yet sent on the stream`, async () => {
      const client = createClient(service as typeof ReflectionV1, transportFor(stack.gateway.url, "grpc", "2"));
      const requests = [
        { messageRequest: { case: "listServices" as const, value: "*" } },
        { messageRequest: { case: "fileContainingSymbol" as const, value: "vertexchat.v1.ChatService" } },
        {
          messageRequest: {
            case: "fileContainingSymbol" as const,
            value: "vertexchat.v1.ChatService.StreamChatCompletion",
          },
        },
        { messageRequest: { case: "fileByFilename" as const, value: "vertexchat/v1/content.proto" } },
        { messageRequest: { case: "fileContainingSymbol" as const, value: "google.rpc.BadRequest" } },
        { messageRequest: { case: "allExtensionNumbersOfType" as const, value: "google.protobuf.FieldOptions" } },
        {
          messageRequest: {
            case: "fileContainingExtension" as const,
            value: { containingType: "google.protobuf.FieldOptions", extensionNumber: 1159 },
          },
        },
        { messageRequest: { case: "fileContainingSymbol" as const, value: "no.such.Symbol" } },
      ].map((r) => create(ServerReflectionRequestSchema, r));
      const answers: ServerReflectionResponse["messageResponse"][] = [];
      for await (const res of client.serverReflectionInfo(createAsyncIterable(requests)))
        answers.push(res.messageResponse);
      const fileNames = (i: number) => {
        const a = answers[i];
        return a?.case === "fileDescriptorResponse"
          ? a.value.fileDescriptorProto.map((b) => fromBinary(FileDescriptorProtoSchema, b).name)
          : [];
      };
      assert.deepEqual(answers[0]?.case === "listServicesResponse" ? answers[0].value.service.map((s) => s.name) : [], [
        "vertexchat.v1.ChatService",
        "grpc.health.v1.Health",
        "grpc.reflection.v1.ServerReflection",
        "grpc.reflection.v1alpha.ServerReflection",
      ]);
      const first = fileNames(1);
      assert.equal(first[0], "vertexchat/v1/chat_service.proto");
      for (const dep of [
        "vertexchat/v1/content.proto",
        "vertexchat/v1/options.proto",
        "vertexchat/v1/tools.proto",
        "buf/validate/validate.proto",
        "google/protobuf/descriptor.proto",
        "google/protobuf/struct.proto",
      ]) {
        assert.ok(first.includes(dep), `${dep} in ${first.join(", ")}`);
      }
      // Already sent on this stream: only the file asked for comes again, without its dependencies.
      assert.deepEqual(fileNames(2), ["vertexchat/v1/chat_service.proto"]);
      assert.deepEqual(fileNames(3), ["vertexchat/v1/content.proto"]);
      assert.deepEqual(fileNames(4), ["google/rpc/error_details.proto", "google/protobuf/duration.proto"]);
      assert.deepEqual(
        answers[5]?.case === "allExtensionNumbersResponse" ? answers[5].value.extensionNumber : [],
        [1159],
      );
      assert.deepEqual(fileNames(6), ["buf/validate/validate.proto"]);
      assert.equal(answers[7]?.case === "errorResponse" ? answers[7].value.errorCode : 0, Code.NotFound);
    });
  }

  test("can be switched off", async () => {
    const off = await startStack({ VERTEXCHAT_REFLECTION: "off" });
    try {
      const client = createClient(ReflectionV1, transportFor(off.gateway.url, "grpc", "2"));
      const err = await rejection(
        (async () => {
          for await (const _ of client.serverReflectionInfo(
            createAsyncIterable([
              create(ServerReflectionRequestSchema, { messageRequest: { case: "listServices", value: "" } }),
            ]),
          )) {
            // no answer expected
          }
        })(),
      );
      assert.equal(err.code, Code.Unimplemented);
    } finally {
      await off.close();
    }
  });
});
