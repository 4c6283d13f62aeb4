import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { APIConnectionError } from "openai";
import { toUpstreamError } from "./upstream-failure.ts";

const withCode = (message: string, code: string, cause?: unknown) =>
  Object.assign(new Error(message, { cause }), { code });

describe("upstream failures are classified by the whole cause chain", () => {
  test("a socket error three causes deep is a connection failure, named by its code", () => {
    const socket = withCode("other side closed", "UND_ERR_SOCKET");
    const wrapped = new TypeError("terminated", { cause: new Error("body read failed", { cause: socket }) });
    assert.deepEqual(toUpstreamError(wrapped).failure, {
      kind: "connection",
      message: "other side closed (UND_ERR_SOCKET)",
    });
  });

  test("a connection error of the openai client names the innermost cause and its code", () => {
    const refused = withCode("connect ECONNREFUSED 127.0.0.1:1", "ECONNREFUSED");
    const err = new APIConnectionError({ cause: new Error("fetch failed", { cause: refused }) });
    assert.deepEqual(toUpstreamError(err).failure, {
      kind: "connection",
      message: "could not reach the upstream: connect ECONNREFUSED 127.0.0.1:1",
    });
  });

  test("a cause chain that loops ends the walk", () => {
    const a = new Error("a");
    const b = new Error("b", { cause: a });
    Object.assign(a, { cause: b });
    assert.equal(toUpstreamError(a).failure.kind, "stream");
  });
});
