import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { ThoughtSplitter } from "./thought-splitter.ts";

describe("ThoughtSplitter", () => {
  test("holds back a tag cut between chunks until the next chunk decides it", () => {
    const splitter = new ThoughtSplitter("think");
    assert.deepEqual(splitter.push("<thi"), []);
    assert.deepEqual(splitter.push("nk>idea</th"), [{ thought: true, text: "idea" }]);
    assert.deepEqual(splitter.push("ink>ans"), [{ thought: false, text: "ans" }]);
    assert.deepEqual(splitter.flush(), []);
  });

  test("text that only looked like a tag start is released as text", () => {
    const splitter = new ThoughtSplitter("think");
    assert.deepEqual(splitter.push("a <th"), [{ thought: false, text: "a " }]);
    assert.deepEqual(splitter.push("e end"), [{ thought: false, text: "<the end" }]);
    assert.deepEqual(splitter.push("x <"), [{ thought: false, text: "x " }]);
    assert.deepEqual(splitter.flush(), [{ thought: false, text: "<" }]);
  });
});
