/**
 * The request messages of a gRPC or Connect streaming-protocol call, read from its body.
 *
 * Connect's handler reads them through a pipe of four async generators (prepend a check, split envelopes,
 * decompress, parse), each a promise hop per element on top of the body's own; for the one message of a unary or
 * server-streaming call that was a measurable part of a gRPC call's CPU. This is the same sequence in one async
 * generator, with Connect's own rules and errors: the checks run when the first message is asked for (not before),
 * a chunk's complete envelopes are split (and sizes checked) before the first of them is handed on, an envelope
 * longer than readMaxBytes is refused by its header, compressed envelopes go through Connect's envelopeDecompress,
 * an end-stream envelope is skipped, and bytes left at the end are an incomplete envelope.
 * `test/lean-stream-handler.test.ts` holds the answers to Connect's handler's, byte for byte.
 */
import { Code, ConnectError } from "@connectrpc/connect";
import { type Compression, compressedFlag, envelopeDecompress } from "@connectrpc/connect/protocol";

interface Envelope {
  flags: number;
  data: Uint8Array;
}

export interface RequestReading<T> {
  /** Throws what must refuse the call before its body is read (a bad timeout, an unknown compression). */
  check(): void;
  readMaxBytes: number;
  compression: Compression | null;
  parse(data: Uint8Array): T;
  /** Connect's end-stream flag; its envelope carries no message and is skipped. */
  endStreamFlag?: number;
}

export async function* requestMessages<T>(body: AsyncIterable<Uint8Array>, how: RequestReading<T>): AsyncGenerator<T> {
  how.check();
  let pending: Uint8Array | undefined;
  for await (const chunk of body) {
    const bytes = pending ? concat(pending, chunk) : chunk;
    const { envelopes, rest } = splitEnvelopes(bytes, how.readMaxBytes);
    pending = rest;
    for (let env of envelopes) {
      if ((env.flags & compressedFlag) === compressedFlag) {
        env = await envelopeDecompress(env, how.compression, how.readMaxBytes);
      }
      if (how.endStreamFlag !== undefined && (env.flags & how.endStreamFlag) === how.endStreamFlag) continue;
      yield how.parse(env.data);
    }
  }
  if (pending) throw new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
}

/** The complete envelopes at the start of `bytes` (each payload a copy) and the bytes after them, if any. */
function splitEnvelopes(
  bytes: Uint8Array,
  readMaxBytes: number,
): { envelopes: Envelope[]; rest: Uint8Array | undefined } {
  const envelopes: Envelope[] = [];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let offset = 0;
  while (bytes.byteLength - offset >= 5) {
    const length = view.getUint32(offset + 1);
    if (length > readMaxBytes) {
      throw new ConnectError(
        `message size ${length} is larger than configured readMaxBytes ${readMaxBytes}`,
        Code.ResourceExhausted,
      );
    }
    if (bytes.byteLength - offset - 5 < length) break;
    envelopes.push({ flags: view.getUint8(offset), data: bytes.slice(offset + 5, offset + 5 + length) });
    offset += 5 + length;
  }
  return { envelopes, rest: offset < bytes.byteLength ? bytes.subarray(offset) : undefined };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.byteLength + b.byteLength);
  joined.set(a);
  joined.set(b, a.byteLength);
  return joined;
}
