/**
 * The real workload of an LLM gateway: many concurrent streams, each a chunk every few tens of milliseconds for
 * seconds. `count` streams are opened evenly over `rampMs`; each is followed read by read (time to first byte, gaps
 * between reads), and the measured process's CPU (from /proc) is divided by the chunks delivered.
 */
import { readFileSync } from "node:fs";
import http2 from "node:http2";
import { toBinary } from "@bufbuild/protobuf";
import { ChatCompletionRequestSchema } from "../gen/vertexchat/v1/chat_service_pb.ts";
import { userRequest } from "../test/support/requests.ts";
import { type HttpTarget, poolFor, StreamFollower } from "./load.ts";
import { median, percentile } from "./stats.ts";

export interface PacedResult {
  completed: number;
  lost: number;
  ttftP50: number;
  ttftP99: number;
  gapP50: number;
  gapP99: number;
  gapMax: number;
  /** Upstream chunks per frame the caller read (≈ 1 when nothing is batched). */
  chunksPerFrame: number;
  /** CPU seconds the measured process spent per 1,000 chunks delivered. */
  cpuPer1000Chunks: number;
}

/** Each figure's median over rounds of the same path (lost and completed too), for ratios that a noisy round does not decide. */
export function medianResult(rounds: PacedResult[]): PacedResult {
  const of = (key: keyof PacedResult) => median(rounds.map((r) => r[key]));
  return {
    completed: of("completed"),
    lost: of("lost"),
    ttftP50: of("ttftP50"),
    ttftP99: of("ttftP99"),
    gapP50: of("gapP50"),
    gapP99: of("gapP99"),
    gapMax: of("gapMax"),
    chunksPerFrame: of("chunksPerFrame"),
    cpuPer1000Chunks: of("cpuPer1000Chunks"),
  };
}

export interface PacedPlan {
  count: number;
  rampMs: number;
  /** Chunks per answer (the request asks the emulator for this many, paced). */
  chunks: number;
  /** The process whose CPU is measured. */
  pid: number;
}

/** One stream's reads: resolves with the read times, and whether the answer ended complete. */
type OpenStream = (index: number) => Promise<{ reads: number[]; frames: number; complete: boolean }>;

/**
 * Established TCP connections to `port` on this machine, counted from the client side (/proc/net/tcp and tcp6):
 * the connections the processes calling that port hold open.
 */
export function connectionsTo(port: number): number {
  const hex = port.toString(16).toUpperCase().padStart(4, "0");
  let count = 0;
  for (const file of ["/proc/net/tcp", "/proc/net/tcp6"]) {
    let text = "";
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split("\n").slice(1)) {
      const [, , remote, state] = line.trim().split(/\s+/);
      if (state === "01" && remote?.endsWith(`:${hex}`)) count++;
    }
  }
  return count;
}

/** CPU seconds (user + system) a process has used, from /proc/PID/stat (clock ticks of 1/100 s). */
export function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

export async function pacedStreams(plan: PacedPlan, open: OpenStream): Promise<PacedResult> {
  const cpuBefore = cpuSeconds(plan.pid);
  const ttfts: number[] = [];
  const gaps: number[] = [];
  let completed = 0;
  let frames = 0;
  const runs = Array.from({ length: plan.count }, async (_, i) => {
    await new Promise((r) => setTimeout(r, (plan.rampMs * i) / plan.count));
    const t0 = performance.now();
    try {
      const stream = await open(i);
      if (stream.reads.length > 0) ttfts.push((stream.reads[0] as number) - t0);
      for (let k = 1; k < stream.reads.length; k++)
        gaps.push((stream.reads[k] as number) - (stream.reads[k - 1] as number));
      if (stream.complete) {
        completed++;
        frames += stream.frames;
      }
    } catch {
      // counted as lost
    }
  });
  await Promise.all(runs);
  const cpu = cpuSeconds(plan.pid) - cpuBefore;
  ttfts.sort((a, b) => a - b);
  gaps.sort((a, b) => a - b);
  const chunks = completed * plan.chunks;
  return {
    completed,
    lost: plan.count - completed,
    ttftP50: percentile(ttfts, 50),
    ttftP99: percentile(ttfts, 99),
    gapP50: percentile(gaps, 50),
    gapP99: percentile(gaps, 99),
    gapMax: gaps.at(-1) ?? Number.NaN,
    chunksPerFrame: frames > 0 ? chunks / frames : Number.NaN,
    cpuPer1000Chunks: chunks > 0 ? cpu / (chunks / 1000) : Number.NaN,
  };
}

/** Streams over HTTP/1.1 (SSE or Connect framing), one connection per concurrent stream, as browsers and curl do. */
export function httpStreams(target: HttpTarget, count: number): { open: OpenStream; close(): Promise<void> } {
  const { pool, path } = poolFor(target.url, count);
  return {
    open: async () => {
      const follower = new StreamFollower(target.framing);
      const reads: number[] = [];
      const res = await pool.request({ path, method: "POST", headers: target.headers, body: target.body });
      for await (const data of res.body) {
        reads.push(performance.now());
        follower.push(data as Buffer);
      }
      return { reads, frames: follower.contentFrames(), complete: res.statusCode === 200 && follower.complete };
    },
    close: () => pool.close(),
  };
}

/**
 * gRPC server streams read as the HTTP paths' callers read theirs: the frames' bytes, counted, not decoded (a
 * generated client's decoding shares the cores with the gateway and, at thousands of messages a second, delays the
 * reads it measures). Spread over `connections` HTTP/2 connections; complete when grpc-status is 0.
 */
export function rawGrpcStreams(
  baseUrl: string,
  text: string,
  connections: number,
): { open: OpenStream; close(): void } {
  const message = toBinary(ChatCompletionRequestSchema, userRequest(text));
  const request = Buffer.alloc(5 + message.length);
  request.writeUInt32BE(message.length, 1);
  request.set(message, 5);
  const sessions = Array.from({ length: connections }, () => {
    const session = http2.connect(baseUrl);
    session.on("error", () => undefined);
    return session;
  });
  const headers = {
    ":method": "POST",
    ":path": "/vertexchat.v1.ChatService/StreamChatCompletion",
    "content-type": "application/grpc",
    te: "trailers",
  };
  return {
    open: (i) =>
      new Promise((resolve, reject) => {
        const stream = (sessions[i % connections] as http2.ClientHttp2Session).request(headers);
        const reads: number[] = [];
        const envelopes = new EnvelopeCounter();
        let status: string | undefined;
        stream.on("data", (bytes: Buffer) => {
          reads.push(performance.now());
          envelopes.push(bytes);
        });
        stream.on("trailers", (trailers) => {
          status = String(trailers["grpc-status"]);
        });
        stream.on("end", () =>
          // The first message says who answers and the last one finishes: the deltas are what is between.
          resolve({ reads, frames: Math.max(0, envelopes.count - 2), complete: status === "0" }),
        );
        stream.on("error", reject);
        stream.end(request);
      }),
    close: () => {
      for (const session of sessions) session.close();
    },
  };
}

/** Counts gRPC length-prefixed messages in bytes that arrive in any split. */
class EnvelopeCounter {
  count = 0;
  #header: number[] = [];
  #bodyLeft = 0;

  push(bytes: Buffer): void {
    let at = 0;
    while (at < bytes.length) {
      if (this.#bodyLeft > 0) {
        const take = Math.min(this.#bodyLeft, bytes.length - at);
        this.#bodyLeft -= take;
        at += take;
        continue;
      }
      this.#header.push(bytes[at] as number);
      at++;
      if (this.#header.length === 5) {
        this.#bodyLeft = Buffer.from(this.#header).readUInt32BE(1);
        this.#header = [];
        this.count++;
      }
    }
  }
}

export interface SustainedStep {
  count: number;
  /** The latest frame gap of each try, in order. */
  gapMax: number[];
  lost: number[];
  held: boolean;
}

/**
 * Streams sustained, the method public gateway benchmarks use: the largest N (of `counts`, tried in order) at which
 * every stream completes and no frame comes later than twice the pacing. A step that does not hold is tried once
 * more, for every path alike: on shared cores one late frame can come from another process (the load generator
 * included), and a step holds when one of its two tries does. Stops at the first N that does not hold.
 */
export async function sustainedStreams(
  counts: number[],
  pacingMs: number,
  run: (count: number) => Promise<PacedResult>,
  tries = 2,
): Promise<{ sustained: number; steps: SustainedStep[] }> {
  const steps: SustainedStep[] = [];
  let sustained = 0;
  for (const count of counts) {
    const step: SustainedStep = { count, gapMax: [], lost: [], held: false };
    while (!step.held && step.gapMax.length < tries) {
      const r = await run(count);
      step.gapMax.push(r.gapMax);
      step.lost.push(r.lost);
      step.held = r.lost === 0 && r.gapMax <= 2 * pacingMs;
    }
    steps.push(step);
    if (!step.held) break;
    sustained = count;
  }
  return { sustained, steps };
}
