/**
 * Nothing a Connect JSON caller sends is silently dropped: unknown fields are refused with the nearest known name,
 * and OpenAI's spellings of the contract's fields get a message that shows the contract's spelling.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { type Stack, startStack } from "./support/stack.ts";

const message = (content: string) => `{"role":"ROLE_USER","content":${content}}`;
const request = (extra: string, messages = message('[{"text":"hi"}]')) =>
  `{"model":"google/gemini-2.5-flash","messages":[${messages}]${extra}}`;

async function post(stack: Stack, body: string) {
  const res = await fetch(`${stack.gateway.url}/vertexchat.v1.ChatService/CreateChatCompletion`, {
    method: "POST",
    body,
    headers: { "content-type": "application/json" },
  });
  return {
    status: res.status,
    body: (await res.json()) as { code?: string; message?: string; details?: { debug?: { reason?: string } }[] },
  };
}

describe("Connect JSON: nothing sent is silently ignored", () => {
  let strict: Stack;
  let lenient: Stack;
  before(async () => {
    strict = await startStack();
    lenient = await startStack({ VERTEXCHAT_UNKNOWN_JSON_FIELDS: "ignore" });
  });
  after(async () => {
    await strict.close();
    await lenient.close();
  });

  const cases: [string, string, RegExp][] = [
    [
      "a misspelt top-level field",
      request(',"temprature":0.2'),
      /unknown field "temprature" in vertexchat\.v1\.ChatCompletionRequest: did you mean "temperature"\?/,
    ],
    [
      "a misspelt field of a part",
      request("", message('[{"txt":"hi"}]')),
      /unknown field "txt" in vertexchat\.v1\.ContentPart: did you mean "text"\?/,
    ],
    [
      "OpenAI's role spelling",
      request("", '{"role":"user","content":[{"text":"hi"}]}'),
      /"user" is not a value of vertexchat\.v1\.Role: the contract spells it "role":"ROLE_USER"/,
    ],
    ["OpenAI's string content", request("", message('"hi"')), /write "content":\[\{"text":"hi"\}\]/],
    [
      "OpenAI's string tool_choice",
      request(',"tool_choice":"auto"'),
      /write "tool_choice":\{"mode":"TOOL_CHOICE_MODE_AUTO"\}/,
    ],
    [
      "OpenAI's reasoning_effort spelling",
      request(',"reasoning_effort":"high"'),
      /the contract spells it "reasoning_effort":"REASONING_EFFORT_HIGH"/,
    ],
  ];
  for (const [what, body, expected] of cases) {
    test(`${what} is refused with a message that shows the contract's spelling`, async () => {
      const res = await post(strict, body);
      assert.equal(res.status, 400);
      assert.equal(res.body.code, "invalid_argument");
      assert.match(String(res.body.message), expected);
      assert.deepEqual(
        res.body.details?.map((d) => d.debug?.reason),
        ["REQUEST_UNDECODABLE"],
      );
    });
  }

  test("VERTEXCHAT_UNKNOWN_JSON_FIELDS=ignore drops unknown fields, for clients built from a newer contract", async () => {
    assert.equal((await post(lenient, request(',"temprature":0.2'))).status, 200);
    assert.equal((await post(strict, request(',"temperature":0.2'))).status, 200);
  });
});
