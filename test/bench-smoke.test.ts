import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readdirSync, rmSync } from "node:fs";
import { test } from "node:test";
import { promisify } from "node:util";

const root = new URL("..", import.meta.url).pathname;
/** One smoke run of the benchmark, read by each test below. */
let smokeRun: Promise<{ stdout: string }> | undefined;
const smoke = () => {
  smokeRun ??= promisify(execFile)(process.execPath, [`${root}bench/run.ts`, "--smoke"], {
    cwd: root,
    maxBuffer: 16 * 1024 * 1024,
  });
  return smokeRun;
};

test("the benchmark runs end to end (smoke: a few seconds, every section, numbers present, no errors)", {
  timeout: 180_000,
}, async () => {
  const { stdout } = await smoke();
  for (const section of [
    "## Load generator ceiling",
    "## Unary",
    "## Streaming",
    "## Paced streams",
    "## Streams sustained",
    "## Memory",
    "## Cancellation",
    "## Targets",
  ]) {
    assert.ok(stdout.includes(section), `${section} missing:\n${stdout}`);
  }
  const rows = stdout.split("\n").filter((l) => /^\| \d+ \| /.test(l));
  assert.ok(rows.length >= 8, stdout);
  for (const row of rows) {
    const cells = row.split("|").map((c) => c.trim());
    assert.equal(cells.at(-2), "0", `no errors: ${row}`);
    assert.ok(!cells.slice(3, 5).includes("—"), `measured: ${row}`);
  }
  assert.match(stdout, /gateway aborted its upstream request \d+ ms later/);
});

test("the memory section holds the bare proxy beside vertexchat, with the live heap per stream and a second round", {
  timeout: 180_000,
}, async () => {
  const { stdout } = await smoke();
  const memory = stdout.slice(stdout.indexOf("## Memory"));
  for (const name of ["bare proxy, HTTP/1.1 callers", "vertexchat, Connect over HTTP/1.1", "vertexchat, gRPC"]) {
    const row = memory.split("\n").find((line) => line.startsWith(`| ${name} |`));
    assert.ok(row, `${name} missing:\n${memory}`);
    const [, , open, , , resident, live, after] = row.split("|").map((c) => c.trim());
    assert.match(open ?? "", /^(\d+), \1 of \1$/, `every stream open in both rounds, none failed: ${row}`);
    assert.match(resident ?? "", /^-?[\d.]+ → -?[\d.]+$/, `resident KiB per stream, by round: ${row}`);
    const [liveFirst, liveSecond] = (live ?? "").split(" → ").map(Number);
    assert.ok(Number(liveFirst) > 0 && Number(liveSecond) > 0, `live heap per stream, by round: ${row}`);
    assert.match(after ?? "", /^[\d.]+ → [\d.]+$/, `live heap after each round: ${row}`);
  }
  assert.match(stdout, /memory at 50 streams, gRPC callers: flat across rounds/);
});

test("streams sustained: a step that fails is tried once more and holds if the second try does; two failures stop", async () => {
  const { sustainedStreams } = await import("../bench/paced-streams.ts");
  const gaps: Record<number, number[]> = { 50: [30], 100: [55, 35], 200: [90, 45] };
  const tried: number[] = [];
  const result = await sustainedStreams([50, 100, 200, 400], 20, async (count) => {
    tried.push(count);
    const gapMax = gaps[count]?.shift() ?? 0;
    return {
      completed: count,
      lost: 0,
      ttftP50: 0,
      ttftP99: 0,
      gapP50: 0,
      gapP99: 0,
      gapMax,
      chunksPerFrame: 1,
      cpuPer1000Chunks: 0,
    };
  });
  assert.equal(result.sustained, 100);
  assert.deepEqual(tried, [50, 100, 100, 200, 200]);
  assert.deepEqual(
    result.steps.map((s) => [s.count, s.gapMax, s.held]),
    [
      [50, [30], true],
      [100, [55, 35], true],
      [200, [90, 45], false],
    ],
  );
});

test("memory across rounds: the first round's growth of the heap is not counted; a live heap that grows is", async () => {
  const { roundGrowth } = await import("../bench/memory.ts");
  const KiB = 1024;
  const round = (residentKib: number, liveKib: number) => ({
    started: 1000,
    failures: new Map<string, number>(),
    samples: [],
    peak: 100 * 2 ** 20 + residentKib * 1000 * KiB,
    live: 40 * 2 ** 20 + liveKib * 1000 * KiB,
    liveAfter: 40 * 2 ** 20,
  });
  const memory = (rounds: ReturnType<typeof round>[]) => ({ idle: 100 * 2 ** 20, idleLive: 40 * 2 ** 20, rounds });
  assert.ok(Math.abs(roundGrowth(memory([round(200, 36), round(230, 36), round(231, 36)])) - 231 / 230) < 1e-9);
  assert.equal(roundGrowth(memory([round(200, 36), round(230, 36), round(230, 72)])), 2);
  assert.equal(roundGrowth(memory([round(200, 36), round(230, 36)])), 230 / 200);
});

test("bench/profile.ts paced-rest profiles 250 paced streams through the REST door; an unknown mode is refused", {
  timeout: 120_000,
}, async () => {
  const run = (mode: string) =>
    promisify(execFile)(process.execPath, [`${root}bench/profile.ts`, mode], {
      cwd: root,
      maxBuffer: 16 * 1024 * 1024,
    });
  const dir = `${root}.cache/profiles`;
  const before = new Set(existsSync(dir) ? readdirSync(dir) : []);
  const { stdout } = await run("paced-rest");
  assert.match(stdout, /completed: 250,/);
  assert.match(stdout, /lost: 0,/);
  const written = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile") && !before.has(f));
  assert.equal(written.length, 1, `one new profile in ${dir}`);
  for (const file of written) rmSync(`${dir}/${file}`);
  const refused = (await run("paced-h3").then(
    () => assert.fail("expected a non-zero exit"),
    (e: unknown) => e,
  )) as { code: number; stderr: string };
  assert.equal(refused.code, 2);
  assert.match(
    refused.stderr,
    /unknown mode "paced-h3"; use one of unary, unary-grpc, stream, paced, paced-grpc, paced-rest/,
  );
});

test("paced rounds: the targets read each figure's median over the rounds, not one noisy round", async () => {
  const { medianResult } = await import("../bench/paced-streams.ts");
  const round = (cpuPer1000Chunks: number, ttftP99: number, lost: number) => ({
    completed: 250 - lost,
    lost,
    ttftP50: 2,
    ttftP99,
    gapP50: 50,
    gapP99: 60,
    gapMax: 70,
    chunksPerFrame: 1,
    cpuPer1000Chunks,
  });
  const median = medianResult([round(0.09, 40, 0), round(0.06, 8, 3), round(0.07, 9, 0)]);
  assert.equal(median.cpuPer1000Chunks, 0.07);
  assert.equal(median.ttftP99, 9);
  assert.equal(median.lost, 0);
  assert.equal(median.completed, 250);
});
