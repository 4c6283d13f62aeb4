/**
 * The one load generator for every path: closed-loop workers over a keep-alive connection pool (undici), each
 * sending its next request when the previous answer is fully read, timing every request with a monotonic clock.
 * Streams are read as they arrive; the time to the first body byte and the chunks delivered are counted.
 */
import http2 from "node:http2";
import { Pool } from "undici";
import { percentile } from "./stats.ts";

export interface HttpTarget {
  name: string;
  url: string;
  headers: Record<string, string>;
  body: string | Buffer;
  /** How streamed chunks are framed: SSE `data:` frames, or Connect envelopes. */
  framing: "sse" | "connect";
}

export interface UnaryResult {
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  requests: number;
  errors: number;
}

export interface StreamResult {
  /** The upstream's chunks of complete answers delivered, per second. */
  chunksPerSecond: number;
  /** Content frames (SSE events, Connect messages) the caller read, per second. */
  framesPerSecond: number;
  ttftP50: number;
  ttftP99: number;
  streams: number;
  errors: number;
}

export function poolFor(url: string, connections: number): { pool: Pool; path: string } {
  const parsed = new URL(url);
  return {
    pool: new Pool(parsed.origin, {
      connections,
      pipelining: 1,
      keepAliveTimeout: 60_000,
      bodyTimeout: 0,
      headersTimeout: 0,
    }),
    path: parsed.pathname + parsed.search,
  };
}

async function run(concurrency: number, durationMs: number, one: () => Promise<void>): Promise<number> {
  const started = performance.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) await one();
    }),
  );
  return performance.now() - started;
}

/** The unrecorded start of every closed-loop load, so that connections and JIT are warm when timing begins. */
export const LOAD_WARMUP_MS = 300;

export async function unaryLoad(
  target: HttpTarget,
  concurrency: number,
  durationMs: number,
  warmupMs = LOAD_WARMUP_MS,
): Promise<UnaryResult> {
  const { pool, path } = poolFor(target.url, concurrency);
  const result = await closedLoop(concurrency, durationMs, warmupMs, async () => {
    const res = await pool.request({ path, method: "POST", headers: target.headers, body: target.body });
    await res.body.arrayBuffer();
    return res.statusCode === 200;
  });
  await pool.close();
  return result;
}

/**
 * Closed-loop calls of `send` (true for a success): `warmupMs` unrecorded, then `durationMs` timed, each call by
 * itself. A call that throws or answers false is an error.
 */
export async function closedLoop(
  concurrency: number,
  durationMs: number,
  warmupMs: number,
  send: () => Promise<boolean>,
): Promise<UnaryResult> {
  const latencies: number[] = [];
  let errors = 0;
  let recording = false;
  const one = async () => {
    const t0 = performance.now();
    const ok = await send().catch(() => false);
    if (!recording) return;
    if (ok) latencies.push(performance.now() - t0);
    else errors++;
  };
  await run(concurrency, warmupMs, one);
  recording = true;
  return unaryResult(latencies, await run(concurrency, durationMs, one), errors);
}

/** Throughput and latency percentiles of the requests recorded over `elapsedMs`. */
function unaryResult(latencies: number[], elapsedMs: number, errors: number): UnaryResult {
  latencies.sort((a, b) => a - b);
  return {
    rps: (latencies.length / elapsedMs) * 1000,
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    requests: latencies.length,
    errors,
  };
}

/**
 * Follows one streamed answer as its bytes arrive: how many frames (SSE events or Connect messages) carried content,
 * and whether the answer ended cleanly (`data: [DONE]`, or a Connect end-of-stream without an error).
 */
export class StreamFollower {
  #pending: Buffer = Buffer.alloc(0);
  #tail = "";
  frames = 0;
  complete = false;
  readonly framing: "sse" | "connect";
  constructor(framing: "sse" | "connect") {
    this.framing = framing;
  }

  push(data: Buffer): void {
    if (this.framing === "sse") {
      // Every `data: {…}` frame is a frame; `data: [DONE]` ends the answer.
      let at = data.indexOf("data: {");
      while (at >= 0) {
        this.frames++;
        at = data.indexOf("data: {", at + 7);
      }
      const text = this.#tail + data.toString("latin1");
      if (text.includes("data: [DONE]")) this.complete = true;
      this.#tail = text.slice(-16);
      return;
    }
    this.#pending = this.#pending.length ? Buffer.concat([this.#pending, data]) : data;
    while (this.#pending.length >= 5) {
      const length = this.#pending.readUInt32BE(1);
      if (this.#pending.length < 5 + length) break;
      const flags = this.#pending[0] as number;
      if ((flags & 0b10) === 0) this.frames++;
      else this.complete = !this.#pending.subarray(5, 5 + length).includes('"error"');
      this.#pending = this.#pending.subarray(5 + length);
    }
  }

  /** The frames with answer content: the last SSE frame only carries the finish reason; Connect adds started and finished. */
  contentFrames(): number {
    return Math.max(0, this.frames - (this.framing === "sse" ? 1 : 2));
  }
}

/**
 * Streams at `concurrency` for `durationMs`. Chunks delivered are counted as the upstream's chunks of every answer
 * that arrived complete (`chunksPerAnswer` each), whatever the framing: a gateway may carry chunks that arrived
 * together in one message. The frames the caller read are reported beside them.
 */
export async function streamLoad(
  target: HttpTarget,
  concurrency: number,
  durationMs: number,
  chunksPerAnswer: number,
): Promise<StreamResult> {
  const { pool, path } = poolFor(target.url, concurrency);
  const ttfts: number[] = [];
  let answers = 0;
  let frames = 0;
  let errors = 0;
  const elapsed = await run(concurrency, durationMs, async () => {
    const t0 = performance.now();
    const follower = new StreamFollower(target.framing);
    try {
      const res = await pool.request({ path, method: "POST", headers: target.headers, body: target.body });
      let first = true;
      for await (const data of res.body) {
        if (first) {
          ttfts.push(performance.now() - t0);
          first = false;
        }
        follower.push(data as Buffer);
      }
      if (res.statusCode !== 200 || !follower.complete) errors++;
      else {
        answers++;
        frames += follower.contentFrames();
      }
    } catch {
      errors++;
    }
  });
  await pool.close();
  ttfts.sort((a, b) => a - b);
  return {
    chunksPerSecond: ((answers * chunksPerAnswer) / elapsed) * 1000,
    framesPerSecond: (frames / elapsed) * 1000,
    ttftP50: percentile(ttfts, 50),
    ttftP99: percentile(ttfts, 99),
    streams: ttfts.length,
    errors,
  };
}

/** Streams held open until close(): how many delivered their first item, and why the others did not. */
export interface HeldStreams {
  started: number;
  /** Streams that failed before or after their first item, by error (its code and message), before close(). */
  failures: Map<string, number>;
  close(): Promise<void>;
}

/**
 * Opens `count` streams at once (`open` starts stream `index`) and keeps reading them until close(); resolves when
 * every stream has delivered its first item or failed.
 */
export async function holdOpen(
  count: number,
  open: (index: number, signal: AbortSignal) => AsyncIterable<unknown>,
): Promise<HeldStreams> {
  const controller = new AbortController();
  let started = 0;
  const failures = new Map<string, number>();
  const firstItems: Promise<void>[] = [];
  const done: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    let markStarted: () => void = () => undefined;
    firstItems.push(new Promise<void>((resolve) => (markStarted = resolve)));
    done.push(
      (async () => {
        try {
          let first = true;
          for await (const _ of open(i, controller.signal)) {
            if (first) {
              first = false;
              started++;
              markStarted();
            }
          }
          if (!controller.signal.aborted) throw new Error("ended before close");
        } catch (error) {
          if (!controller.signal.aborted) {
            const { code, message } = error as { code?: unknown; message?: unknown };
            const reason = `${code ?? ""} ${String(message ?? error).slice(0, 80)}`.trim();
            failures.set(reason, (failures.get(reason) ?? 0) + 1);
          }
        } finally {
          markStarted();
        }
      })(),
    );
  }
  await Promise.race([Promise.all(firstItems), new Promise((r) => setTimeout(r, 60_000))]);
  return {
    started,
    failures,
    close: async () => {
      controller.abort();
      await Promise.allSettled(done);
    },
  };
}

/** Opens `count` HTTP streams at once, one connection each, and keeps them open until close(). */
export async function holdStreams(target: HttpTarget, count: number): Promise<HeldStreams> {
  const { pool, path } = poolFor(target.url, count);
  const held = await holdOpen(count, async function* (_, signal) {
    const res = await pool.request({ path, method: "POST", headers: target.headers, body: target.body, signal });
    if (res.statusCode !== 200) {
      const error = new Error((await res.body.text()).slice(0, 80));
      throw Object.assign(error, { code: `HTTP ${res.statusCode}` });
    }
    let last: Buffer = Buffer.alloc(0);
    for await (const data of res.body) {
      last = data as Buffer;
      yield data;
    }
    // A held stream ends only when closed: an earlier end is the gateway's error (a Connect end-stream message).
    if (!signal.aborted) throw new Error(`ended early: ${last.toString("utf8", Math.max(0, last.length - 120))}`);
  });
  return {
    ...held,
    close: async () => {
      await held.close();
      await pool.destroy();
    },
  };
}

/**
 * Opens `count` streams over HTTP/2 (one connection each) whose callers read the first bytes and then stop reading,
 * for `durationMs`, calling `sample` every `everyMs` meanwhile. HTTP/2 flow control bounds what a caller that does
 * not read can be sent (its window) far below the kernel's socket buffers, so whatever the gateway does not hold
 * back from the upstream, it must buffer itself.
 */
export async function stalledReaders(
  target: HttpTarget,
  count: number,
  durationMs: number,
  everyMs: number,
  sample: () => void,
): Promise<number> {
  const sessions = Array.from({ length: count }, () => http2.connect(new URL(target.url).origin));
  let stalled = 0;
  for (const session of sessions) {
    session.on("error", () => undefined);
    const stream = session.request({
      ":method": "POST",
      ":path": new URL(target.url).pathname,
      ...target.headers,
    });
    stream.on("error", () => undefined);
    stream.once("data", () => {
      stalled++;
      stream.pause();
    });
    stream.end(target.body);
  }
  const sampler = setInterval(sample, everyMs);
  await new Promise((r) => setTimeout(r, durationMs));
  clearInterval(sampler);
  for (const session of sessions) session.destroy();
  return stalled;
}
