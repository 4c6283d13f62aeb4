import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { idForm, observe, usageIdentity } from "./observation.ts";

describe("idForm", () => {
  test("Vertex's response ids of 22 and 23 characters share one form, whatever characters chance gave them", () => {
    assert.equal(idForm("hAmNaZb8BZOX4_UPlNXoEA"), idForm("nQiNafGyF5rw998PstqooAY"));
    assert.equal(idForm("ab-NacCPKoae_9MPsNCn6Qc"), "token(16–31 chars)");
  });

  test("a prefix before a structured rest is kept", () => {
    assert.equal(idForm("function-call-a350228d-0283-4792-8bfa-40da064fb959"), "function-call-uuid");
    assert.equal(idForm("call_0123456789abcdef0123"), "call_hex20");
    assert.equal(idForm("get_weather"), "token(1–15 chars)");
  });
});

describe("usageIdentity", () => {
  const usage = (prompt: number, completion: number, total: number, reasoning?: number) => ({
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: total,
    ...(reasoning === undefined ? {} : { completion_tokens_details: { reasoning_tokens: reasoning } }),
  });

  test("tells Vertex's counting (reasoning outside completion) from OpenAI's (inside)", () => {
    assert.equal(usageIdentity(usage(10, 5, 35, 20)), "total = prompt + completion + reasoning");
    assert.equal(usageIdentity(usage(10, 25, 35, 20)), "total = prompt + completion (reasoning inside)");
    assert.equal(usageIdentity(usage(10, 5, 15)), "total = prompt + completion");
    assert.equal(usageIdentity(usage(10, 5, 99)), "none of the identities holds");
    assert.equal(usageIdentity({ prompt_tokens: 1 }), "incomplete (prompt, completion or total missing)");
  });
});

describe("observe", () => {
  const sse = (...events: string[]) => ({
    status: 200,
    contentType: "text/event-stream",
    body: events.map((e) => `data: ${e}\n\n`).join(""),
  });
  const chunk = (delta: object, extra: object = {}) =>
    JSON.stringify({ id: "x", created: 1, model: "m", choices: [{ index: 0, delta, ...extra }] });

  test("reads a stream's framing: [DONE], usage placement, role, where finish_reason came", () => {
    const { stream } = observe(
      sse(
        chunk({ role: "assistant", content: "Hi" }),
        chunk({ content: "!" }, { finish_reason: "stop" }),
        JSON.stringify({ id: "x", created: 1, model: "m", choices: [], usage: { prompt_tokens: 1 } }),
        "[DONE]",
      ),
    );
    assert.deepEqual(stream, {
      done: true,
      usageAt: "last",
      sameIdEverywhere: true,
      roleInFirstChunk: true,
      finishAt: "with-content",
      errorFrame: false,
    });
  });

  test("tells Vertex's JSON-array error body from an object one, and keeps the message for the report", () => {
    const error = { error: { code: 400, message: "bad", status: "INVALID_ARGUMENT" } };
    const array = observe({ status: 400, contentType: "application/json", body: JSON.stringify([error]) });
    const object = observe({ status: 400, contentType: "application/json", body: JSON.stringify(error) });
    assert.equal(array.form, "json-array-error");
    assert.equal(object.form, "json-object-error");
    assert.equal(array.values["[].error.status"], "INVALID_ARGUMENT");
    assert.equal(array.errorMessage, "bad");
  });

  test("records key paths with their types, arrays as []", () => {
    const { shape } = observe({
      status: 200,
      contentType: "application/json",
      body: JSON.stringify({ choices: [{ message: { content: null } }, { message: { content: "a" } }] }),
    });
    assert.equal(shape["choices[].message.content"], "null|string");
  });
});
