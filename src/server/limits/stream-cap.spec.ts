import assert from "node:assert/strict";
import { test } from "node:test";
import { streamCapFor } from "./stream-cap.ts";

const MiB = 2 ** 20;
const GiB = 2 ** 30;
const machine = { totalBytes: 24 * GiB, constrainedBytes: 2 ** 64, openFiles: 1_000_000 };

test("the heap limit decides on a large machine: three quarters of it, less 48 MiB idle, at 64 KiB a stream", () => {
  assert.deepEqual(streamCapFor({ ...machine, heapLimitBytes: 4288 * MiB }), {
    cap: ((4288 * 0.75 - 48) * MiB) / (64 * 1024),
    by: "heap",
    limit: 4288 * MiB,
  });
});

test("a heap capped for a small container gives a small cap", () => {
  assert.deepEqual(streamCapFor({ ...machine, heapLimitBytes: 152 * MiB }), {
    cap: 1056,
    by: "heap",
    limit: 152 * MiB,
  });
});

test("a container memory limit below the heap limit decides", () => {
  assert.deepEqual(streamCapFor({ ...machine, heapLimitBytes: 4288 * MiB, constrainedBytes: 256 * MiB }), {
    cap: 2304,
    by: "container memory",
    limit: 256 * MiB,
  });
});

test("no container limit (0, or more than the machine has) leaves the heap to decide", () => {
  for (const constrainedBytes of [0, 2 ** 64, 48 * GiB]) {
    assert.equal(streamCapFor({ ...machine, heapLimitBytes: 152 * MiB, constrainedBytes }).by, "heap");
  }
});

test("the open-files limit decides when two sockets a stream would run out first", () => {
  assert.deepEqual(streamCapFor({ ...machine, heapLimitBytes: 4288 * MiB, openFiles: 20_000 }), {
    cap: 9968,
    by: "open files",
    limit: 20_000,
  });
  assert.equal(streamCapFor({ ...machine, heapLimitBytes: 4288 * MiB, openFiles: undefined }).by, "heap");
});

test("a process too small for ordinary load still serves 16 streams, and says why", () => {
  assert.deepEqual(streamCapFor({ ...machine, heapLimitBytes: 40 * MiB }), { cap: 16, by: "minimum", limit: 40 * MiB });
});
