import assert from "node:assert/strict";
import { PassThrough, Readable } from "node:stream";
import { describe, test } from "node:test";
import fc from "fast-check";
import { readChunkBatches, SseParser, type StreamEnd } from "./sse-reader.ts";
import { UpstreamError } from "./upstream-failure.ts";

const chunkJson = (text: string) =>
  JSON.stringify({ id: "r", created: 1, model: "m", choices: [{ index: 0, delta: { content: text } }] });

/** A body that brings each part in a network read of its own (a turn of the event loop each). */
function reads(parts: (string | Buffer)[]): Readable {
  const body = new Readable({ read() {} });
  const next = (i: number) =>
    setImmediate(() => {
      if (i === parts.length) {
        body.push(null);
        return;
      }
      body.push(Buffer.from(parts[i] as string));
      next(i + 1);
    });
  next(0);
  return body;
}

async function batches(parts: (string | Buffer)[]): Promise<{ texts: string[][]; end: StreamEnd }> {
  const end: StreamEnd = { sawDone: false };
  const texts: string[][] = [];
  for await (const batch of readChunkBatches(reads(parts), end)) {
    texts.push(batch.map((c) => c.choices?.[0]?.delta?.content ?? ""));
  }
  return { texts, end };
}

describe("SSE framing", () => {
  test("LF, CRLF and CR line endings, comments, multi-line data and event names", () => {
    const parser = new SseParser();
    const events = parser.push(
      ": keep-alive\n\ndata: a\r\n\r\nevent: error\rdata: {\rdata: }\r\rdata:no-space\n\nid: 7\nretry: 10\ndata: b\n\n",
    );
    assert.deepEqual(events, [
      { event: "", data: "a" },
      { event: "error", data: "{\n}" },
      { event: "", data: "no-space" },
      { event: "", data: "b" },
    ]);
    assert.deepEqual(parser.end(), []);
  });

  test("property: any split of the bytes gives the same events, a CRLF split in two included", () => {
    const body = `data: ${chunkJson("é 日本 😀")}\r\n\r\n: c\r\ndata: [DONE]\r\n\r\n`;
    const bytes = Buffer.from(body);
    const whole = new SseParser().push(body);
    fc.assert(
      fc.property(fc.uniqueArray(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 12 }), (cuts) => {
        const bounds = [0, ...cuts.sort((x, y) => x - y), bytes.length];
        const parser = new SseParser();
        const decoder = new TextDecoder();
        const events = bounds
          .slice(1)
          .flatMap((end, i) => parser.push(decoder.decode(bytes.subarray(bounds[i], end), { stream: true })));
        assert.deepEqual([...events, ...parser.end()], whole);
      }),
    );
  });

  test("a last event without its blank line still counts when the body ends", () => {
    const parser = new SseParser();
    assert.deepEqual(parser.push("data: x"), []);
    assert.deepEqual(parser.end(), [{ event: "", data: "x" }]);
  });
});

describe("chunk batches from an SSE body", () => {
  test("one batch per network read; [DONE] is noted and ends the chunks", async () => {
    const { texts, end } = await batches([
      `data: ${chunkJson("a")}\n\ndata: ${chunkJson("b")}\n\nda`,
      `ta: ${chunkJson("c")}\n\n`,
      `data: [DONE]\n\ndata: ${chunkJson("after done")}\n\n`,
    ]);
    assert.deepEqual(texts, [["a", "b"], ["c"]]);
    assert.equal(end.sawDone, true);
  });

  test("a body that ends without [DONE] is noted as such", async () => {
    const { texts, end } = await batches([`data: ${chunkJson("a")}\n\n`]);
    assert.deepEqual(texts, [["a"]]);
    assert.equal(end.sawDone, false);
  });

  test("an error frame is an UpstreamError with Google's message", async () => {
    const frame = JSON.stringify({ error: { code: 500, message: "Internal error encountered.", status: "INTERNAL" } });
    await assert.rejects(
      batches([`data: ${chunkJson("a")}\n\n`, `data: ${frame}\n\n`]),
      (err: unknown) =>
        err instanceof UpstreamError &&
        err.failure.kind === "stream" &&
        err.message === "the upstream sent an error mid-stream: Internal error encountered.",
    );
    await assert.rejects(batches([`event: error\ndata: {"message":"boom"}\n\n`]), /error mid-stream: boom/);
  });

  test("JSON that is not JSON, or not a chunk, is an UpstreamError naming what came", async () => {
    await assert.rejects(batches(["data: {oops\n\n"]), /malformed data: an SSE event that is not JSON: "\{oops"/);
    await assert.rejects(batches(['data: {"choices": 3}\n\n']), /stream chunk of the wrong shape: choices is not/);
  });

  test("what one network read brought comes out as one batch, though the body emits each HTTP chunk of it apart", async () => {
    const body = new Readable({ read() {} });
    const end: StreamEnd = { sawDone: false };
    const reader = readChunkBatches(body, end);
    // undici pushes every HTTP chunk of a socket read in one go: separate 'data' events in one turn.
    for (const text of ["a", "b", "c"]) body.push(`data: ${chunkJson(text)}\n\n`);
    const first = await reader.next();
    assert.deepEqual(first.done ? [] : first.value.map((c) => c.choices?.[0]?.delta?.content), ["a", "b", "c"]);
    // A later read is a batch of its own.
    body.push(`data: ${chunkJson("d")}\n\ndata: [DONE]\n\n`);
    const second = await reader.next();
    assert.deepEqual(second.done ? [] : second.value.map((c) => c.choices?.[0]?.delta?.content), ["d"]);
    assert.equal((await reader.next()).done, true);
    assert.equal(end.sawDone, true);
  });

  test("after [DONE] the rest of the body is drained, not destroyed, so the connection can be reused", async () => {
    const body = new PassThrough();
    const end: StreamEnd = { sawDone: false };
    body.write(`data: ${chunkJson("a")}\n\ndata: [DONE]\n\n`);
    for await (const _ of readChunkBatches(body, end)) {
      // one batch
    }
    assert.equal(end.sawDone, true);
    assert.equal(body.destroyed, false);
    body.end("trailing bytes");
    await new Promise((resolve) => body.once("end", resolve));
    assert.equal(body.readableEnded, true);
  });
});
