import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Code, ConnectError } from "@connectrpc/connect";
import { ChatCompletionRequestSchema } from "../../gen/vertexchat/v1/chat_service_pb.ts";
import { explainInPlace } from "./json-decode-hints.ts";

const explained = (message: string) => {
  const error = new ConnectError(message, Code.InvalidArgument);
  explainInPlace(error, ChatCompletionRequestSchema);
  return error;
};

describe("JSON decoding hints", () => {
  test("a value the decoder quotes that is not a JSON string keeps the decoder's message, never throws", () => {
    // Found by the fuzz test: a body with a bad escape reached JSON.parse inside the request gate, uncaught.
    for (const message of [
      'cannot decode message vertexchat.v1.ToolChoice from JSON: "\\q"',
      "cannot decode enum vertexchat.v1.Role from JSON: 7",
      'cannot decode enum vertexchat.v1.Role from JSON: "\\u12"',
    ]) {
      const error = explained(message);
      assert.ok(error.rawMessage.includes(message.split(": ")[0] ?? ""), error.rawMessage);
    }
  });

  test("the explanation replaces the text and keeps Connect's code prefix", () => {
    const error = explained('cannot decode enum vertexchat.v1.Role from JSON: "user"');
    assert.match(
      error.rawMessage,
      /^"user" is not a value of vertexchat\.v1\.Role: the contract spells it "role":"ROLE_USER"/,
    );
    assert.match(error.message, /^\[invalid_argument\] "user" is not a value/);
  });
});
