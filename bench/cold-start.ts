/**
 * Cold start: a fresh gateway process from spawn to listening and to its first answer, and its first calls beside
 * its tenth (unary and streaming), so that work left to the first caller shows. The caller's own HTTP client is
 * warm before each process starts (it makes the same calls, as many times as it then makes to the gateway, to
 * another server): what is measured is the gateway's first use, not the load generator's.
 */
import { Pool } from "undici";
import { connectEnvelope, userRequestJson } from "../test/support/requests.ts";
import type { Proc } from "./servers.ts";

export interface ColdStart {
  /** Spawn to the "listening" log line. */
  listenMs: number;
  /** Spawn to the first unary answer read whole. */
  firstAnswerMs: number;
  unaryMs: number[];
  /** Time to the first byte of a stream, per call. */
  streamTtftMs: number[];
}

const CALLS = 10;

export async function coldStart(startGateway: () => Promise<Proc>, warmClientAt: string): Promise<ColdStart> {
  const warm = new Pool(warmClientAt);
  for (let i = 0; i < CALLS; i++) {
    await callUnary(warm, "/", userRequestJson(`warm ${i}`)).catch(() => undefined);
    await streamTtft(warm, `warm stream ${i}`).catch(() => undefined);
  }
  await warm.close();
  const spawned = performance.now();
  const gateway = await startGateway();
  const listenMs = performance.now() - spawned;
  const pool = new Pool(gateway.origin);
  try {
    const unaryMs: number[] = [];
    const streamTtftMs: number[] = [];
    let firstAnswerMs = 0;
    for (let i = 0; i < CALLS; i++) {
      unaryMs.push(
        await callUnary(pool, "/vertexchat.v1.ChatService/CreateChatCompletion", userRequestJson(`cold ${i}`)),
      );
      if (i === 0) firstAnswerMs = performance.now() - spawned;
      streamTtftMs.push(await streamTtft(pool, `cold stream ${i} [[emulate words=5]]`));
    }
    return { listenMs, firstAnswerMs, unaryMs, streamTtftMs };
  } finally {
    await pool.close();
    await gateway.stop();
  }
}

async function callUnary(pool: Pool, path: string, body: string): Promise<number> {
  const t0 = performance.now();
  const res = await pool.request({ path, method: "POST", headers: { "content-type": "application/json" }, body });
  await res.body.arrayBuffer();
  if (res.statusCode !== 200 && path !== "/") throw new Error(`cold start: HTTP ${res.statusCode}`);
  return performance.now() - t0;
}

async function streamTtft(pool: Pool, text: string): Promise<number> {
  const t0 = performance.now();
  const res = await pool.request({
    path: "/vertexchat.v1.ChatService/StreamChatCompletion",
    method: "POST",
    headers: { "content-type": "application/connect+json" },
    body: connectEnvelope(userRequestJson(text)),
  });
  let ttft = Number.NaN;
  for await (const _ of res.body) if (Number.isNaN(ttft)) ttft = performance.now() - t0;
  return ttft;
}
