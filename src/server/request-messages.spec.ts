import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { encodeEnvelope } from "@connectrpc/connect/protocol";
import { EnvelopeSplitter, requestMessages } from "./request-messages.ts";

/** `bytes` as a body that brings `size` bytes per read. */
async function* inReads(bytes: Uint8Array, size: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.byteLength; at += size) yield bytes.subarray(at, at + size);
}

const reading = { check() {}, readMaxBytes: 64 * 2 ** 20, compression: null, parse: (data: Uint8Array) => data };

describe("requestMessages", () => {
  // Connect's rules and errors are held byte for byte to Connect's handler in test/lean-stream-handler.test.ts.
  test("a 16 MiB message in 200-byte reads (84,000 of them) is assembled once, not copied read by read", {
    timeout: 30_000,
  }, async () => {
    const payload = new Uint8Array(16 * 2 ** 20);
    for (let i = 0; i < payload.byteLength; i += 4096) payload[i] = (i / 4096) % 251;
    const messages: Uint8Array[] = [];
    for await (const m of requestMessages(inReads(encodeEnvelope(0, payload), 200), reading)) messages.push(m);
    assert.equal(messages.length, 1);
    assert.deepEqual(messages[0], payload);
  });

  test("envelopes cut anywhere come out whole, in order, each payload its own copy", () => {
    const bytes = Buffer.concat([
      encodeEnvelope(0, new Uint8Array([1, 2, 3])),
      encodeEnvelope(0, new Uint8Array([])),
      encodeEnvelope(1, new Uint8Array([4, 5])),
    ]);
    for (let size = 1; size <= bytes.byteLength; size++) {
      const splitter = new EnvelopeSplitter(100);
      const out = [];
      for (let at = 0; at < bytes.byteLength; at += size) out.push(...splitter.push(bytes.subarray(at, at + size)));
      assert.deepEqual(
        out.map((e) => [e.flags, [...e.data]]),
        [
          [0, [1, 2, 3]],
          [0, []],
          [1, [4, 5]],
        ],
        `reads of ${size} bytes`,
      );
      assert.equal(splitter.buffered, 0);
      for (const e of out) assert.notEqual(e.data.buffer, bytes.buffer);
    }
  });

  test("an envelope longer than readMaxBytes is refused by its header, before its payload arrives", () => {
    const splitter = new EnvelopeSplitter(10);
    assert.throws(
      () => splitter.push(new Uint8Array([0, 0, 0, 0, 11])),
      /message size 11 is larger than configured readMaxBytes 10/,
    );
  });
});
