/**
 * What a process holds per open stream: its resident memory while the streams stay open (what an operator's
 * container limit sees), and its live heap after a full collection (what the streams themselves hold, without the
 * garbage V8 has not collected yet), over rounds of opening and closing the same streams.
 */
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { probeFile } from "./heap-probe.ts";
import type { HeldStreams } from "./load.ts";
import { type Proc, root } from "./servers.ts";
import { fmt } from "./stats.ts";

/** Node arguments that load the heap probe into a measured process. */
export const HEAP_PROBE = ["--expose-gc", "--import", `${root}bench/heap-probe.ts`];

export interface MemoryRound {
  /** Streams that delivered their first bytes. */
  started: number;
  /** Streams that failed, by error. */
  failures: Map<string, number>;
  /** Resident bytes at each sample. */
  samples: number[];
  peak: number;
  /** Live heap bytes with the streams open, after a full collection. */
  live: number;
  /** Live heap bytes once the streams have closed, after a full collection. */
  liveAfter: number;
}

export interface MemoryResult {
  /** Resident and live heap bytes before the first round. */
  idle: number;
  idleLive: number;
  rounds: MemoryRound[];
}

/** Asks a process started with HEAP_PROBE for its live heap after a full collection. */
export async function liveHeap(proc: Proc): Promise<number> {
  const file = probeFile(proc.pid);
  rmSync(file, { force: true });
  process.kill(proc.pid, "SIGUSR2");
  for (let waited = 0; waited < 60_000; waited += 50) {
    await sleep(50);
    if (!existsSync(file)) continue;
    try {
      return (JSON.parse(readFileSync(file, "utf8")) as { heapUsed: number }).heapUsed;
    } catch {
      // still being written
    }
  }
  throw new Error(`process ${proc.pid} did not answer the heap probe (was it started with HEAP_PROBE?)`);
}

/**
 * Opens the streams `rounds` times on the same process; each time samples its resident memory at `sampleAtS`
 * seconds, then its live heap with the streams still open, then closes them and, once the process has closed their
 * sockets, takes the live heap again.
 */
export async function holdInRounds(
  proc: Proc,
  hold: () => Promise<HeldStreams>,
  sampleAtS: number[],
  rounds: number,
): Promise<MemoryResult> {
  const idleLive = await liveHeap(proc);
  const idleFiles = openFiles(proc);
  await sleep(500);
  const idle = proc.rss();
  const results: MemoryRound[] = [];
  for (let round = 0; round < rounds; round++) {
    const held = await hold();
    const samples: number[] = [];
    let waited = 0;
    for (const at of sampleAtS) {
      await sleep((at - waited) * 1000);
      waited = at;
      samples.push(proc.rss());
    }
    const live = await liveHeap(proc);
    await held.close();
    await settled(proc, idleFiles);
    results.push({
      started: held.started,
      failures: held.failures,
      samples,
      peak: Math.max(...samples),
      live,
      liveAfter: await liveHeap(proc),
    });
  }
  return { idle, idleLive, rounds: results };
}

const openFiles = (proc: Proc) => readdirSync(`/proc/${proc.pid}/fd`).length;

/** Waits until the process has closed the streams' sockets (back to its idle open files, give or take), at most 20 s. */
async function settled(proc: Proc, idleFiles: number): Promise<void> {
  for (let waited = 0; waited < 20_000 && openFiles(proc) > idleFiles + 16; waited += 100) await sleep(100);
  await sleep(500);
}

/** Resident KiB per stream of a round, above the idle process. */
export const residentKib = (m: MemoryResult, round = 0) => {
  const r = m.rounds[round];
  return r ? (r.peak - m.idle) / Math.max(1, r.started) / 1024 : Number.NaN;
};

/** Live heap KiB per stream of a round, above the idle process. */
export const liveKib = (m: MemoryResult, round = 0) => {
  const r = m.rounds[round];
  return r ? (r.live - m.idleLive) / Math.max(1, r.started) / 1024 : Number.NaN;
};

/**
 * How much memory per stream grew across rounds: the larger of the resident growth from the second round to the last
 * (the first round grows V8's heap to what the load needs; with two rounds, from the first to the second) and the
 * live heap's growth from the first round to the last. About 1 when nothing accumulates.
 */
export function roundGrowth(m: MemoryResult): number {
  const last = m.rounds.length - 1;
  const resident = residentKib(m, last) / residentKib(m, Math.min(1, last - 1));
  const live = liveKib(m, last) / liveKib(m, 0);
  return Math.max(resident, live);
}

/** One row of the memory section: a process to start, how to warm it, and how to open its streams. */
export interface MemoryCase {
  name: string;
  count: number;
  rounds: number;
  start(): Promise<Proc>;
  warm(proc: Proc): Promise<unknown>;
  hold(proc: Proc, count: number): Promise<HeldStreams>;
}

/** Each case on a fresh process, one after the other. */
export async function measureMemory(cases: MemoryCase[], sampleAtS: number[]): Promise<[MemoryCase, MemoryResult][]> {
  const measured: [MemoryCase, MemoryResult][] = [];
  for (const c of cases) {
    const proc = await c.start();
    try {
      await c.warm(proc);
      measured.push([c, await holdInRounds(proc, () => c.hold(proc, c.count), sampleAtS, c.rounds)]);
    } finally {
      await proc.stop();
    }
  }
  return measured;
}

/** The section's table: a row per case, figures per round where there are several. */
export function memoryTable(measured: [MemoryCase, MemoryResult][]): string[] {
  const mib = (b: number) => fmt(b / 2 ** 20, 1);
  const failed = (failures: Map<string, number>) =>
    failures.size === 0 ? "" : ` (${[...failures].map(([reason, n]) => `${n}: ${reason}`).join("; ")})`;
  const lines = [
    "| process, callers | streams open | idle MiB (live heap) | resident MiB with the streams open | resident KiB per stream, by round | live heap KiB per stream, by round | live heap after closing, MiB, by round |",
    "|---|---|---|---|---|---|---|",
  ];
  for (const [c, m] of measured) {
    const [first] = m.rounds;
    if (!first) continue;
    const byRound = (kib: (m: MemoryResult, round: number) => number) =>
      m.rounds.map((_, i) => fmt(kib(m, i), 1)).join(" → ");
    lines.push(
      `| ${c.name} | ${m.rounds.map((r) => `${r.started}${failed(r.failures)}`).join(", ")} of ${c.count} | ${mib(m.idle)} (${mib(m.idleLive)}) | ${first.samples.map(mib).join(" → ")} | ${byRound(residentKib)} | ${byRound(liveKib)} | ${m.rounds.map((r) => mib(r.liveAfter)).join(" → ")} |`,
    );
  }
  return lines;
}
