/**
 * The request messages of a gRPC or Connect streaming-protocol call, read from its body.
 *
 * Connect's handler reads them through a pipe of four async generators (prepend a check, split envelopes,
 * decompress, parse), each a promise hop per element on top of the body's own; for the one message of a unary or
 * server-streaming call that was a measurable part of a gRPC call's CPU. This is the same sequence in one async
 * generator, with Connect's own rules and errors: the checks run when the first message is asked for (not before),
 * a read's complete envelopes are split (and sizes checked) before the first of them is handed on, an envelope
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
  const splitter = new EnvelopeSplitter(how.readMaxBytes);
  for await (const chunk of body) {
    for (let env of splitter.push(chunk)) {
      if ((env.flags & compressedFlag) === compressedFlag) {
        env = await envelopeDecompress(env, how.compression, how.readMaxBytes);
      }
      if (how.endStreamFlag !== undefined && (env.flags & how.endStreamFlag) === how.endStreamFlag) continue;
      yield how.parse(env.data);
    }
  }
  if (splitter.buffered > 0) throw new ConnectError("protocol error: incomplete envelope", Code.InvalidArgument);
}

/**
 * Envelopes from a body's bytes as they arrive. The bytes of an unfinished envelope are kept as the chunks they came
 * in and copied once, when the envelope is complete, so a large message cut into many small reads costs its size,
 * not its size times the number of reads.
 */
export class EnvelopeSplitter {
  readonly #readMaxBytes: number;
  #chunks: Uint8Array[] = [];
  /** Bytes of the first chunk already taken. */
  #offset = 0;
  #buffered = 0;

  constructor(readMaxBytes: number) {
    this.#readMaxBytes = readMaxBytes;
  }

  /** Bytes received and not yet part of a complete envelope. */
  get buffered(): number {
    return this.#buffered;
  }

  /** The envelopes `chunk` completes, each payload a copy; throws for an envelope longer than readMaxBytes. */
  push(chunk: Uint8Array): Envelope[] {
    if (chunk.byteLength > 0) {
      this.#chunks.push(chunk);
      this.#buffered += chunk.byteLength;
    }
    const envelopes: Envelope[] = [];
    while (this.#buffered >= 5) {
      const header = this.#peek(5);
      const length = new DataView(header.buffer, header.byteOffset, 5).getUint32(1);
      if (length > this.#readMaxBytes) {
        throw new ConnectError(
          `message size ${length} is larger than configured readMaxBytes ${this.#readMaxBytes}`,
          Code.ResourceExhausted,
        );
      }
      if (this.#buffered < 5 + length) break;
      const bytes = this.#take(5 + length);
      envelopes.push({ flags: bytes[0] as number, data: bytes.subarray(5) });
    }
    return envelopes;
  }

  /** The next `n` buffered bytes, not taken. */
  #peek(n: number): Uint8Array {
    const first = this.#chunks[0] as Uint8Array;
    if (first.byteLength - this.#offset >= n) return first.subarray(this.#offset, this.#offset + n);
    return this.#copy(n, false);
  }

  /** The next `n` buffered bytes, taken, in a buffer of their own. */
  #take(n: number): Uint8Array {
    return this.#copy(n, true);
  }

  #copy(n: number, take: boolean): Uint8Array {
    const out = new Uint8Array(n);
    let filled = 0;
    let index = 0;
    let offset = this.#offset;
    while (filled < n) {
      const chunk = this.#chunks[index] as Uint8Array;
      const part = Math.min(n - filled, chunk.byteLength - offset);
      out.set(chunk.subarray(offset, offset + part), filled);
      filled += part;
      offset += part;
      if (offset === chunk.byteLength) {
        index++;
        offset = 0;
      }
    }
    if (take) {
      this.#chunks = index === 0 ? this.#chunks : this.#chunks.slice(index);
      this.#offset = offset;
      this.#buffered -= n;
    }
    return out;
  }
}
