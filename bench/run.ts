/**
 * `npm run bench`: what vertexchat adds, measured side by side in one run on this machine, against the same local
 * emulator upstream: direct calls, the thinnest Node proxy, vertexchat (Connect JSON and gRPC), and Portkey's
 * open-source gateway; unary at several concurrencies, streaming, paced streams, streams sustained, memory with
 * 1,000 and 4,000 open streams beside the bare proxy, slow readers, cold start, the load generator's own ceiling,
 * and how fast a cancelled call's upstream request is aborted. Medians over rounds; writes bench/RESULTS.md.
 * `--smoke` runs a few seconds of everything but Portkey (the test suite does); `--only stream` (or any of ceiling,
 * unary, floors, stream, paced, sustained, memory, cold, cancel) runs some sections and prints them;
 * `--paced 250,1000,4000` chooses the paced-stream counts (default 250,1000).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { startEmulator } from "../src/emulator/emulator-server.ts";
import { issue, makeCa } from "../test/support/certs.ts";
import { startMetadataServer } from "../test/support/metadata-server.ts";
import { connectEnvelope, userRequestJson } from "../test/support/requests.ts";
import { coldStart } from "./cold-start.ts";
import { grpcUnaryLoad, holdGrpcStreams, rawGrpcUnaryLoad } from "./grpc-load.ts";
import {
  type HttpTarget,
  holdStreams,
  LOAD_WARMUP_MS,
  stalledReaders,
  streamLoad,
  type UnaryResult,
  unaryLoad,
} from "./load.ts";
import {
  HEAP_PROBE,
  type MemoryCase,
  type MemoryResult,
  measureMemory,
  memoryTable,
  residentKib,
  roundGrowth,
} from "./memory.ts";
import {
  connectionsTo,
  cpuSeconds,
  httpStreams,
  medianResult,
  type PacedResult,
  pacedStreams,
  rawGrpcStreams,
  sustainedStreams,
} from "./paced-streams.ts";
import {
  type Proc,
  root,
  startBareProxy,
  startCeilingServer,
  startConnectFloor,
  startEmulatorProcess,
  startGatewayProcess,
  startPortkey,
} from "./servers.ts";
import { fmt, median } from "./stats.ts";

const { values: args } = parseArgs({
  options: {
    smoke: { type: "boolean", default: false },
    rounds: { type: "string" },
    seconds: { type: "string" },
    out: { type: "string" },
    /** Comma-separated sections to run (ceiling, unary, floors, stream, paced, sustained, memory, cold, cancel); a partial run writes no file. */
    only: { type: "string" },
    /** Concurrent paced streams to measure, comma-separated. */
    paced: { type: "string" },
  },
});
const sections = new Set((args.only ?? "ceiling,unary,floors,stream,paced,sustained,memory,cold,cancel").split(","));
const smoke = args.smoke;
const rounds = Number(args.rounds ?? (smoke ? 1 : 3));
const durationMs = Number(args.seconds ?? (smoke ? 0.4 : 3)) * 1000;
const concurrencies = smoke ? [1, 16] : [1, 16, 64, 256];
const streamSizes = smoke ? [50] : [50, 500];
const streamConcurrency = smoke ? 4 : 16;
const memoryStreams = smoke ? 50 : 1000;
const lines: string[] = [];
const say = (line = "") => {
  console.log(line);
  lines.push(line);
};

const MODEL = "google/gemini-2.5-flash";
/** Where the emulator answers chat completions for the benchmark's project. */
const CHAT_PATH = "/v1/projects/bench/locations/global/endpoints/openapi/chat/completions";
/** V8 settings for a gateway in a 256 MiB container: a smaller young generation and an old-space limit. */
const CAPPED_HEAP = ["--max-semi-space-size=8", "--max-old-space-size=128"];
const openaiBody = (text: string, stream: boolean) =>
  JSON.stringify({ model: MODEL, messages: [{ role: "user", content: text }], ...(stream ? { stream: true } : {}) });

const metadata = await startMetadataServer({ expiresInSeconds: 3600 });

/**
 * An upstream that looks like Google's front end: the emulator over TLS, offering h2 and http/1.1, with a CA the
 * gateway (`VERTEXCHAT_UPSTREAM_CA`) and the proxy (`NODE_EXTRA_CA_CERTS`) are told to trust. vertexchat speaks h2
 * to it; the proxy's `fetch` speaks http/1.1, as it would to Google. Started once, for the sections that use it.
 */
interface TlsStack {
  emulator: Proc;
  proxy: Proc;
  gateway: Proc;
}
let tlsStackStarted: Promise<TlsStack> | undefined;
function tlsStack(): Promise<TlsStack> {
  tlsStackStarted ??= (async () => {
    const ca = makeCa("bench-upstream-ca");
    const emulator = await started(startEmulatorProcess(0, issue(ca, "127.0.0.1")));
    const proxy = await started(startBareProxy(`${emulator.origin}${CHAT_PATH}`, { NODE_EXTRA_CA_CERTS: ca.certFile }));
    const gateway = await started(
      startGatewayProcess(emulator.origin, metadata.host, { VERTEXCHAT_UPSTREAM_CA: ca.certFile }),
    );
    return { emulator, proxy, gateway };
  })();
  return tlsStackStarted;
}

/** A streamed answer through the bare proxy: the OpenAI wire, SSE over HTTP/1.1. */
const proxyStream = (proxy: Proc, text: string): HttpTarget => ({
  name: "bare proxy",
  url: `${proxy.origin}/`,
  headers: { authorization: "Bearer bench-token", "content-type": "application/json" },
  body: openaiBody(text, true),
  framing: "sse",
});
/** A streamed answer through vertexchat's contract, Connect JSON over HTTP/1.1. */
const connectStream = (gateway: Proc, text: string): HttpTarget => ({
  name: "vertexchat",
  url: `${gateway.origin}/vertexchat.v1.ChatService/StreamChatCompletion`,
  headers: { "content-type": "application/connect+json" },
  body: connectEnvelope(userRequestJson(text)),
  framing: "connect",
});
/** A streamed answer through vertexchat's OpenAI-compatible REST door: the proxy's own wire, side by side. */
const restStream = (gateway: Proc, text: string): HttpTarget => ({
  name: "rest",
  url: `${gateway.origin}/v1/chat/completions`,
  headers: { "content-type": "application/json" },
  body: openaiBody(text, true),
  framing: "sse",
});

type Callers = { open: Parameters<typeof pacedStreams>[1]; close(): unknown };
/** One path of the stream sections: its name in the tables, the process measured, and its callers. */
interface StreamPath {
  name: string;
  pid: number;
  callers(text: string, count: number): Callers;
}

/**
 * The four paths the paced and sustained sections compare, through one proxy and one gateway: the bare proxy, and
 * vertexchat's Connect, REST and gRPC doors (gRPC callers on one HTTP/2 connection per 100 streams).
 */
function streamPaths(via: { proxy: Proc; gateway: Proc }): StreamPath[] {
  const { proxy, gateway } = via;
  return [
    { name: "bare proxy", pid: proxy.pid, callers: (text, count) => httpStreams(proxyStream(proxy, text), count) },
    {
      name: "vertexchat Connect (HTTP/1.1)",
      pid: gateway.pid,
      callers: (text, count) => httpStreams(connectStream(gateway, text), count),
    },
    {
      name: "vertexchat OpenAI REST (HTTP/1.1)",
      pid: gateway.pid,
      callers: (text, count) => httpStreams(restStream(gateway, text), count),
    },
    {
      name: "vertexchat gRPC",
      pid: gateway.pid,
      callers: (text, count) => rawGrpcStreams(gateway.origin, text, Math.ceil(count / 100)),
    },
  ];
}

/** The paced streams against the TLS+h2 upstream; the upstream connections held open are counted once every stream is open. */
async function pacedOverTls(
  count: number,
  chunks: number,
  pacing: number,
  rampMs: number,
): Promise<Map<string, PacedResult>> {
  const results = new Map<string, PacedResult>();
  const { emulator: tlsEmulator, proxy: tlsProxy, gateway: tlsGateway } = await tlsStack();
  const upstreamPort = Number(new URL(tlsEmulator.origin).port);
  const text = `paced over TLS [[emulate words=${chunks} pacing_ms=${pacing}]]`;
  say(`### The same ${count} paced streams, the upstream over TLS with h2 (as Google's front end)`);
  say();
  say(
    "Upstream connections are the established connections to the emulator, counted once every stream is open (from /proc/net/tcp): vertexchat multiplexes streams over HTTP/2, the proxy's `fetch` holds a connection per stream.",
  );
  say();
  say(
    "| path | completed | TTFT p50 ms | TTFT p99 ms | gap p99 ms | CPU s per 1,000 chunks | vs proxy CPU | upstream connections open | lost |",
  );
  say("|---|---|---|---|---|---|---|---|---|");
  let proxyCpu = Number.NaN;
  for (const { name, pid, callers: make } of streamPaths({ proxy: tlsProxy, gateway: tlsGateway })) {
    const callers = make(text, count);
    await pacedStreams({ count: Math.min(count, 50), rampMs, chunks, pid }, callers.open); // warm-up, not reported
    let open = 0;
    const sample = setTimeout(() => {
      open = connectionsTo(upstreamPort);
    }, rampMs + 500);
    const r = await pacedStreams({ count, rampMs, chunks, pid }, callers.open);
    clearTimeout(sample);
    await callers.close();
    if (name === "bare proxy") proxyCpu = r.cpuPer1000Chunks;
    results.set(name, r);
    say(
      `| ${name} | ${r.completed} | ${fmt(r.ttftP50, 1)} | ${fmt(r.ttftP99, 1)} | ${fmt(r.gapP99, 1)} | ${fmt(r.cpuPer1000Chunks, 3)} | ${fmt(r.cpuPer1000Chunks / proxyCpu, 2)} | ${open} | ${r.lost} |`,
    );
  }
  say();
  return results;
}
/** Rounds of the first paced count (the targets' N), each path in turn per round. */
const PACED_ROUNDS_FIRST_COUNT = 3;
const FLOOR_UNDICI = "Connect + undici request() to the emulator";
const FLOOR_OPENAI = "Connect + openai client to the emulator";
/** How the sustained table names the paths to the upstream over TLS with h2. */
const SUSTAINED_TLS = ", upstream TLS (h2 for vertexchat)";
const FLOOR_GRPC_CANNED = "Connect, canned answer, gRPC caller (HTTP/2)";
const FLOOR_GRPC_OPENAI = "Connect + openai client to the emulator, gRPC caller (HTTP/2)";
const VERTEXCHAT_GRPC_RAW = "vertexchat gRPC (raw HTTP/2 caller)";
const procs: Proc[] = [];
const started = async (p: Promise<Proc>) => {
  const proc = await p;
  procs.push(proc);
  return proc;
};

try {
  const emulator = await started(startEmulatorProcess(0));
  const chatUrl = `${emulator.origin}${CHAT_PATH}`;
  const baseUrl = chatUrl.replace(/\/chat\/completions$/, "");
  const gateway = await started(startGatewayProcess(emulator.origin, metadata.host));
  const proxy = await started(startBareProxy(chatUrl));
  const ceiling = await started(startCeilingServer());
  const portkey = smoke ? undefined : await started(startPortkey());

  const auth = { authorization: "Bearer bench-token", "content-type": "application/json" };
  const unaryTargets = (text: string): HttpTarget[] => [
    { name: "direct", url: chatUrl, headers: auth, body: openaiBody(text, false), framing: "sse" },
    { name: "bare proxy", url: `${proxy.origin}/`, headers: auth, body: openaiBody(text, false), framing: "sse" },
    {
      name: "vertexchat",
      url: `${gateway.origin}/vertexchat.v1.ChatService/CreateChatCompletion`,
      headers: { "content-type": "application/json", "connect-protocol-version": "1" },
      body: userRequestJson(text),
      framing: "connect",
    },
    ...(portkey
      ? [
          {
            name: "portkey",
            url: `${portkey.origin}/v1/chat/completions`,
            headers: { ...auth, "x-portkey-provider": "openai", "x-portkey-custom-host": baseUrl },
            body: openaiBody(text, false),
            framing: "sse" as const,
          },
        ]
      : []),
  ];
  const streamTargets = (text: string): HttpTarget[] =>
    unaryTargets(text).map((t) =>
      t.name === "vertexchat"
        ? {
            ...t,
            url: `${gateway.origin}/vertexchat.v1.ChatService/StreamChatCompletion`,
            headers: { "content-type": "application/connect+json" },
            body: connectEnvelope(userRequestJson(text)),
          }
        : { ...t, body: openaiBody(text, true) },
    );

  say(`# vertexchat benchmark`);
  say();
  say(
    `${new Date().toISOString()} · ${os.cpus().length} × ${os.cpus()[0]?.model ?? "cpu"} · ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB · Node ${process.version} · ${smoke ? "SMOKE RUN (numbers not meaningful)" : `${rounds} rounds × ${durationMs / 1000} s per cell`}`,
  );
  say();
  say(
    "Reproduce: `npm ci && npm run bench` (writes this file). Every path and the load generator share the machine's cores; compare within this run, not across runs.",
  );
  say();

  const unarySummary = new Map<string, { rps: number; addedP50: number; addedP99: number }>();
  const streamSummary = new Map<string, { chunksPerSecond: number; addedTtft: number }>();
  let holding = Number.NaN;
  const delays: number[] = [];
  /** What the scale targets read (issue 18), filled by the sections that measure it. */
  const scale = {
    paced: new Map<string, PacedResult>(),
    /** The same at the first N, the upstream over TLS with h2. */
    pacedTls: new Map<string, PacedResult>(),
    sustained: new Map<string, number>(),
    /** vertexchat's memory results by callers and stream count ("gRPC@1000"). */
    memory: new Map<string, MemoryResult>(),
    floor: Number.NaN,
    vertexchatAtFloor: Number.NaN,
    /** gRPC (raw HTTP/2 caller) against Connect JSON requests/s, through vertexchat and on the openai floor. */
    grpcVsConnect: Number.NaN,
    grpcVsConnectFloor: Number.NaN,
    /** The same, as server CPU per request (lower is cheaper). */
    grpcCpuVsConnect: Number.NaN,
    grpcCpuVsConnectFloor: Number.NaN,
    firstAnswerMs: [] as number[],
    firstUnaryMs: [] as number[],
    tenthUnaryMs: [] as number[],
    firstUnaryTlsMs: [] as number[],
    tenthUnaryTlsMs: [] as number[],
  };

  // 1. The load generator's ceiling.
  if (sections.has("ceiling")) {
    const ceilingRuns = [];
    for (let r = 0; r < rounds; r++) {
      ceilingRuns.push(
        await unaryLoad(
          { name: "ceiling", url: `${ceiling.origin}/`, headers: auth, body: "{}", framing: "sse" },
          64,
          durationMs,
        ),
      );
    }
    const ceilingRps = median(ceilingRuns.map((r) => r.rps));
    say(`## Load generator ceiling`);
    say();
    say(
      `A server that answers at once: ${fmt(ceilingRps, 0)} requests/s at concurrency 64 (p50 ${fmt(median(ceilingRuns.map((r) => r.p50)), 3)} ms). Throughputs near this number are limited by the generator, not the path.`,
    );
    say();
  }
  // 2. Unary.
  if (sections.has("unary")) {
    say(`## Unary (answer of 8 words)`);
    say();
    say(
      "| concurrency | path | requests/s | p50 ms | p90 ms | p99 ms | added p50 ms | added p99 ms | vs proxy rps | errors |",
    );
    say("|---|---|---|---|---|---|---|---|---|---|");
    for (const c of concurrencies) {
      const results = new Map<string, UnaryResult[]>();
      for (let r = 0; r < rounds; r++) {
        const targets = unaryTargets(`bench unary c${c} round ${r}`);
        // Rotate the order each round so no path always runs first (or last) on a warming machine.
        for (let i = 0; i < targets.length; i++) {
          const target = targets[(i + r) % targets.length] as HttpTarget;
          const result = await unaryLoad(target, c, durationMs);
          results.set(target.name, [...(results.get(target.name) ?? []), result]);
        }
        const grpc = await grpcUnaryLoad(gateway.origin, `bench grpc c${c} round ${r}`, c, durationMs);
        results.set("vertexchat gRPC", [...(results.get("vertexchat gRPC") ?? []), grpc]);
        const raw = await rawGrpcUnaryLoad(gateway.origin, `bench raw grpc c${c} round ${r}`, c, durationMs);
        results.set("vertexchat gRPC, raw h2 caller", [...(results.get("vertexchat gRPC, raw h2 caller") ?? []), raw]);
      }
      const direct = results.get("direct") ?? [];
      const proxyRps = median((results.get("bare proxy") ?? []).map((x) => x.rps));
      for (const [name, runs] of results) {
        const addedP50 = median(runs.map((x, i) => x.p50 - (direct[i]?.p50 ?? Number.NaN)));
        const addedP99 = median(runs.map((x, i) => x.p99 - (direct[i]?.p99 ?? Number.NaN)));
        const rps = median(runs.map((x) => x.rps));
        unarySummary.set(`${name}@${c}`, { rps, addedP50, addedP99 });
        const errors = runs.reduce((n, x) => n + x.errors, 0);
        say(
          `| ${c} | ${name} | ${fmt(rps, 0)} | ${fmt(median(runs.map((x) => x.p50)), 3)} | ${fmt(median(runs.map((x) => x.p90)), 3)} | ${fmt(median(runs.map((x) => x.p99)), 3)} | ${name === "direct" ? "—" : fmt(addedP50, 3)} | ${name === "direct" ? "—" : fmt(addedP99, 3)} | ${fmt(rps / proxyRps, 2)} | ${errors} |`,
        );
      }
    }
    say();
  }
  // 2b. Where the unary time goes: the same contract on Connect with nothing of vertexchat's own, step by step.
  if (sections.has("floors") && !smoke) {
    const floors = [
      await started(startConnectFloor("canned", baseUrl)),
      await started(startConnectFloor("undici", baseUrl)),
      await started(startConnectFloor("openai", baseUrl)),
    ];
    // The same floors over HTTP/2 for gRPC callers: what gRPC against Connect costs on a server with nothing of
    // vertexchat's own, beside what it costs through vertexchat.
    const grpcFloors = [
      await started(startConnectFloor("canned", baseUrl, "h2c")),
      await started(startConnectFloor("openai", baseUrl, "h2c")),
    ];
    const connectStep = (target: HttpTarget, pid: number) => ({
      name: target.name,
      pid,
      run: () => unaryLoad(target, 64, durationMs),
    });
    const grpcStep = (name: string, proc: Proc | undefined) => ({
      name,
      pid: proc?.pid ?? 0,
      run: () => rawGrpcUnaryLoad(proc?.origin ?? "", "floors", 64, durationMs),
    });
    const steps = [
      ...unaryTargets("floors")
        .filter((t) => t.name === "bare proxy" || t.name === "vertexchat")
        .map((t) => connectStep(t, t.name === "bare proxy" ? proxy.pid : gateway.pid)),
      ...["Connect, canned answer", FLOOR_UNDICI, FLOOR_OPENAI].map((name, i) =>
        connectStep(
          {
            name,
            url: `${floors[i]?.origin}/vertexchat.v1.ChatService/CreateChatCompletion`,
            headers: { "content-type": "application/json" },
            body: userRequestJson("floors"),
            framing: "connect" as const,
          },
          floors[i]?.pid ?? 0,
        ),
      ),
      grpcStep(FLOOR_GRPC_CANNED, grpcFloors[0]),
      grpcStep(FLOOR_GRPC_OPENAI, grpcFloors[1]),
      grpcStep(VERTEXCHAT_GRPC_RAW, gateway),
    ];
    const results = new Map<string, UnaryResult[]>();
    /** Each step's server CPU per request, in µs (from /proc): what the path costs, whatever the caller can drive. */
    const cpuPerRequest = new Map<string, number[]>();
    for (let r = 0; r < rounds; r++) {
      for (let i = 0; i < steps.length; i++) {
        const step = steps[(i + r) % steps.length] as (typeof steps)[number];
        const cpuBefore = cpuSeconds(step.pid);
        const result = await step.run();
        // The load's warm-up is unrecorded but spends CPU: count its requests at the recorded rate.
        const requests = result.rps * ((durationMs + LOAD_WARMUP_MS) / 1000);
        cpuPerRequest.set(step.name, [
          ...(cpuPerRequest.get(step.name) ?? []),
          ((cpuSeconds(step.pid) - cpuBefore) / requests) * 1e6,
        ]);
        results.set(step.name, [...(results.get(step.name) ?? []), result]);
      }
    }
    const rps = (name: string) => median((results.get(name) ?? []).map((x) => x.rps));
    const cpu = (name: string) => median(cpuPerRequest.get(name) ?? []);
    const proxyRps = rps("bare proxy");
    scale.floor = rps(FLOOR_OPENAI);
    scale.vertexchatAtFloor = rps("vertexchat");
    scale.grpcVsConnect = rps(VERTEXCHAT_GRPC_RAW) / rps("vertexchat");
    scale.grpcVsConnectFloor = rps(FLOOR_GRPC_OPENAI) / rps(FLOOR_OPENAI);
    scale.grpcCpuVsConnect = cpu(VERTEXCHAT_GRPC_RAW) / cpu("vertexchat");
    scale.grpcCpuVsConnectFloor = cpu(FLOOR_GRPC_OPENAI) / cpu(FLOOR_OPENAI);
    say("## Where the unary time goes (concurrency 64)");
    say();
    say(
      "The same request on a Connect server for the same contract with nothing of vertexchat's own (no interceptors, validation, translation, logs or metrics; `bench/connect-floor.ts`), adding one part at a time; Connect JSON callers over HTTP/1.1, and gRPC callers (the raw HTTP/2 caller) on the same server over HTTP/2. A Node HTTP server answering at once: see the generator ceiling above.",
    );
    say();
    say("| path | requests/s | p50 ms | vs proxy rps | server CPU per request µs |");
    say("|---|---|---|---|---|");
    for (const step of steps) {
      const runs = results.get(step.name) ?? [];
      say(
        `| ${step.name} | ${fmt(rps(step.name), 0)} | ${fmt(median(runs.map((x) => x.p50)), 3)} | ${fmt(rps(step.name) / proxyRps, 2)} | ${fmt(cpu(step.name), 0)} |`,
      );
    }
    say();
    say(
      `gRPC against Connect JSON, same section: requests/s ${fmt(scale.grpcVsConnectFloor, 2)}× on the Connect + openai client floor and ${fmt(scale.grpcVsConnect, 2)}× through vertexchat; server CPU per request ${fmt(scale.grpcCpuVsConnectFloor, 2)}× on the floor and ${fmt(scale.grpcCpuVsConnect, 2)}× through vertexchat.`,
    );
    say();
    // One caller at a time: what each floor adds to a call's latency, beside the proxy and vertexchat, so that the
    // c=1 target (added p50 ≤ 0.5 ms) can be read against what the openai client costs before any vertexchat code.
    const single: HttpTarget[] = [
      ...unaryTargets("floors c1").filter((t) => ["direct", "bare proxy", "vertexchat"].includes(t.name)),
      ...[FLOOR_UNDICI, FLOOR_OPENAI].map((name, i) => ({
        name,
        url: `${floors[i + 1]?.origin}/vertexchat.v1.ChatService/CreateChatCompletion`,
        headers: { "content-type": "application/json" },
        body: userRequestJson("floors c1"),
        framing: "connect" as const,
      })),
    ];
    const singleRuns = new Map<string, UnaryResult[]>();
    for (let r = 0; r < rounds; r++) {
      for (const target of single) {
        singleRuns.set(target.name, [...(singleRuns.get(target.name) ?? []), await unaryLoad(target, 1, durationMs)]);
      }
    }
    const direct = singleRuns.get("direct") ?? [];
    const addedP50 = (name: string) =>
      median((singleRuns.get(name) ?? []).map((x, i) => x.p50 - (direct[i]?.p50 ?? Number.NaN)));
    say(
      `One caller at a time (concurrency 1), added p50 over calling the emulator directly (median of ${rounds} rounds): bare proxy ${fmt(addedP50("bare proxy"), 3)} ms, ${FLOOR_UNDICI} ${fmt(addedP50(FLOOR_UNDICI), 3)} ms, ${FLOOR_OPENAI} ${fmt(addedP50(FLOOR_OPENAI), 3)} ms, vertexchat ${fmt(addedP50("vertexchat"), 3)} ms.`,
    );
    say();
  }
  // 3. Streaming.
  if (sections.has("stream")) {
    say(`## Streaming (concurrency ${streamConcurrency})`);
    say();
    say(
      "| chunks per answer | path | chunks/s delivered | frames/s read | TTFT p50 ms | TTFT p99 ms | added TTFT p50 ms | vs proxy chunks/s | streams | errors |",
    );
    say("|---|---|---|---|---|---|---|---|---|---|");
    for (const words of streamSizes) {
      const results = new Map<string, Awaited<ReturnType<typeof streamLoad>>[]>();
      for (let r = 0; r < rounds; r++) {
        const targets = streamTargets(`stream ${words} round ${r} [[emulate words=${words}]]`);
        for (let i = 0; i < targets.length; i++) {
          const target = targets[(i + r) % targets.length] as HttpTarget;
          results.set(target.name, [
            ...(results.get(target.name) ?? []),
            await streamLoad(target, streamConcurrency, durationMs, words),
          ]);
        }
      }
      const direct = results.get("direct") ?? [];
      const proxyCps = median((results.get("bare proxy") ?? []).map((x) => x.chunksPerSecond));
      for (const [name, runs] of results) {
        const cps = median(runs.map((x) => x.chunksPerSecond));
        const addedTtft = median(runs.map((x, i) => x.ttftP50 - (direct[i]?.ttftP50 ?? Number.NaN)));
        streamSummary.set(`${name}@${words}`, { chunksPerSecond: cps, addedTtft });
        const errors = runs.reduce((n, x) => n + x.errors, 0);
        const failing = errors > 0 && runs.every((x) => x.streams === x.errors);
        say(
          `| ${words} | ${name} | ${failing ? "failed" : fmt(cps, 0)} | ${fmt(median(runs.map((x) => x.framesPerSecond)), 0)} | ${fmt(median(runs.map((x) => x.ttftP50)), 3)} | ${fmt(median(runs.map((x) => x.ttftP99)), 3)} | ${name === "direct" ? "—" : fmt(addedTtft, 3)} | ${fmt(cps / proxyCps, 2)} | ${runs.reduce((n, x) => n + x.streams, 0)} | ${errors} |`,
        );
      }
    }
    say();
    // Time to first token without queueing: one stream at a time, so the gateway's own latency shows.
    const alone = new Map<string, number[]>();
    for (let r = 0; r < rounds; r++) {
      for (const target of streamTargets(`alone round ${r} [[emulate words=50]]`)) {
        if (target.name === "portkey") continue;
        alone.set(target.name, [
          ...(alone.get(target.name) ?? []),
          (await streamLoad(target, 1, durationMs, 50)).ttftP50,
        ]);
      }
    }
    const directAlone = alone.get("direct") ?? [];
    say("Time to first byte at concurrency 1 (no queueing behind other streams), 50-chunk answers:");
    say();
    say("| path | TTFT p50 ms | added TTFT p50 ms |");
    say("|---|---|---|");
    for (const [name, ttfts] of alone) {
      const added = median(ttfts.map((t, i) => t - (directAlone[i] ?? Number.NaN)));
      streamSummary.set(`${name}@alone`, { chunksPerSecond: Number.NaN, addedTtft: added });
      say(`| ${name} | ${fmt(median(ttfts), 3)} | ${name === "direct" ? "—" : fmt(added, 3)} |`);
    }
    say();
  }
  // Paced streams: the workload's shape — many concurrent streams, each a chunk every few tens of milliseconds.
  if (sections.has("paced")) {
    const counts = smoke ? [20] : (args.paced ?? "250,1000").split(",").map(Number);
    const [chunks, pacing, rampMs] = smoke ? [10, 20, 200] : [100, 50, 2000];
    say(
      `## Paced streams (${chunks} chunks ${pacing} ms apart per stream, the streams opened over ${rampMs / 1000} s)`,
    );
    say();
    say(
      `Each path first serves up to 50 unreported streams (warm-up). CPU is the measured process's own (user + system from /proc) per 1,000 chunks delivered; TTFT is to the first byte read; gaps are between reads of one stream (the pacing, plus what the path adds); HTTP/1.1 callers use a connection per stream, gRPC callers one HTTP/2 connection per 100 streams; every caller reads bytes and counts frames without decoding them (a generated gRPC client decoding thousands of messages a second on the same cores delayed the reads it measured). At ${counts[0]} streams the paths take turns for ${PACED_ROUNDS_FIRST_COUNT} rounds, so that a noisy spell of the machine falls on one round of one path, not on a path's only figure: the targets read each figure's median over the rounds (the rows marked "median"), and "vs proxy CPU" compares a round with the proxy's in the same round.`,
    );
    say();
    say(
      "| streams | round | path | completed | TTFT p50 ms | TTFT p99 ms | gap p50 ms | gap p99 ms | gap max ms | chunks per frame | CPU s per 1,000 chunks | vs proxy CPU | lost |",
    );
    say("|---|---|---|---|---|---|---|---|---|---|---|---|---|");
    for (const count of counts) {
      const text = `paced ${count} [[emulate words=${chunks} pacing_ms=${pacing}]]`;
      const plan = (pid: number) => ({ count, rampMs, chunks, pid });
      const rounds = smoke || count !== counts[0] ? 1 : PACED_ROUNDS_FIRST_COUNT;
      const byPath = new Map<string, PacedResult[]>();
      const pacedRow = (round: string, name: string, r: PacedResult, proxyCpu: number) =>
        say(
          `| ${count} | ${round} | ${name} | ${r.completed} | ${fmt(r.ttftP50, 1)} | ${fmt(r.ttftP99, 1)} | ${fmt(r.gapP50, 1)} | ${fmt(r.gapP99, 1)} | ${fmt(r.gapMax, 1)} | ${fmt(r.chunksPerFrame, 2)} | ${fmt(r.cpuPer1000Chunks, 3)} | ${fmt(r.cpuPer1000Chunks / proxyCpu, 2)} | ${r.lost} |`,
        );
      for (let round = 1; round <= rounds; round++) {
        const results = new Map<string, PacedResult>();
        for (const path of streamPaths({ proxy, gateway })) {
          const callers = path.callers(text, count);
          await pacedStreams({ ...plan(path.pid), count: Math.min(count, 50) }, callers.open); // warm-up, not reported
          results.set(path.name, await pacedStreams(plan(path.pid), callers.open));
          await callers.close();
        }
        const proxyCpu = results.get("bare proxy")?.cpuPer1000Chunks ?? Number.NaN;
        for (const [name, r] of results) {
          byPath.set(name, [...(byPath.get(name) ?? []), r]);
          pacedRow(rounds === 1 ? "—" : String(round), name, r, proxyCpu);
        }
      }
      const medians = new Map([...byPath].map(([name, list]) => [name, medianResult(list)]));
      const proxyCpu = medians.get("bare proxy")?.cpuPer1000Chunks ?? Number.NaN;
      for (const [name, r] of medians) {
        scale.paced.set(`${count}:${name}`, r);
        if (rounds > 1) pacedRow("median", name, r, proxyCpu);
      }
    }
    say();
    scale.pacedTls = await pacedOverTls(counts[0] ?? 250, chunks, pacing, rampMs);
  }
  // Streams sustained: the largest N each path carries with no frame later than twice the pacing and none lost.
  if (sections.has("sustained")) {
    const [chunks, pacing] = smoke ? [10, 20] : [64, 20];
    const counts = smoke ? [5, 10] : [50, 100, 200, 400, 800, 1600, 3200];
    say(`## Streams sustained (${chunks} deltas ${pacing} ms apart; N opened over 2 s; N doubles until a step fails)`);
    say();
    say(
      `A step holds when every stream completes and no frame comes later than ${2 * pacing} ms after the one before (twice the pacing), as public gateway benchmarks count it; a step that does not hold is tried once more (both tries shown, →), for every path alike, and holds if one try does; each path's steps run after 50 warm-up streams. The same four paths run with the emulator over HTTP/1.1 and then${smoke ? " (not in a smoke run)" : ""} over TLS offering h2, as Google's front end: vertexchat multiplexes its streams over HTTP/2 connections to it, the proxy's \`fetch\` opens a TLS connection per stream. The load generator shares the cores, so compare paths within the run.`,
    );
    say();
    say("| path | streams sustained | steps (N: gap max ms, lost; a second try after →) |");
    say("|---|---|---|");
    const text = (count: number) => `sustained ${count} [[emulate words=${chunks} pacing_ms=${pacing}]]`;
    const plan = (count: number, pid: number) => ({ count, rampMs: smoke ? 200 : 2000, chunks, pid });
    /** The four paths through one proxy and one gateway (`suffix` names their upstream in the table). */
    const pathsThrough = (via: { proxy: Proc; gateway: Proc }, suffix: string) =>
      streamPaths(via).map((path) => ({
        name: `${path.name}${suffix}`,
        run: async (count: number) => {
          const callers = path.callers(text(count), count);
          try {
            return await pacedStreams(plan(count, path.pid), callers.open);
          } finally {
            await callers.close();
          }
        },
      }));
    const paths = [
      ...pathsThrough({ proxy, gateway }, ""),
      ...(smoke ? [] : pathsThrough(await tlsStack(), SUSTAINED_TLS)),
    ];
    for (const path of paths) {
      await path.run(Math.min(50, counts[0] ?? 50)); // warm-up, not reported
      const { sustained, steps } = await sustainedStreams(counts, pacing, path.run);
      scale.sustained.set(path.name, sustained);
      const detail = steps
        .map(
          (s) => `${s.count}: ${s.gapMax.map((g, i) => `${fmt(g, 0)}, ${s.lost[i]}`).join(" → ")}${s.held ? "" : " ✗"}`,
        )
        .join("; ");
      say(`| ${path.name} | ${sustained} | ${detail} |`);
    }
    say();
  }
  // 4. Memory.
  if (sections.has("memory")) {
    const slowEmulator = await started(startEmulatorProcess(200));
    const ca = makeCa("bench-memory-ca");
    const slowTlsEmulator = smoke ? undefined : await started(startEmulatorProcess(200, issue(ca, "127.0.0.1")));
    // One chunk per 200 ms per stream at the first count; more streams get slower chunks, so that every row carries
    // the same chunks per second (5,000 at 1,000 streams) and measures memory, not a saturated core.
    const slowText = (count: number) => `[[emulate words=300 pacing_ms=${Math.round((200 * count) / memoryStreams)}]]`;
    const proxyCase = (name: string, count: number, rounds: number, upstream: Proc, env = {}): MemoryCase => ({
      name,
      count,
      rounds,
      start: () => startBareProxy(`${upstream.origin}${CHAT_PATH}`, env, HEAP_PROBE),
      warm: (proxy) => unaryLoad({ ...proxyStream(proxy, "warm"), body: openaiBody("warm", false) }, 4, 500),
      hold: (proxy, n) => holdStreams(proxyStream(proxy, slowText(n)), n),
    });
    const gatewayCase = (
      name: string,
      count: number,
      rounds: number,
      callers: "http1" | "grpc",
      upstream: Proc,
      env: Record<string, string> = {},
      nodeArgs: string[] = [],
    ): MemoryCase => ({
      name,
      count,
      rounds,
      start: () => startGatewayProcess(upstream.origin, metadata.host, env, [...HEAP_PROBE, ...nodeArgs]),
      warm: (gateway) =>
        unaryLoad(
          {
            ...connectStream(gateway, "warm"),
            url: `${gateway.origin}/vertexchat.v1.ChatService/CreateChatCompletion`,
            headers: { "content-type": "application/json" },
            body: userRequestJson("warm"),
          },
          4,
          500,
        ),
      hold: (gateway, n) =>
        callers === "http1"
          ? holdStreams(connectStream(gateway, slowText(n)), n)
          : holdGrpcStreams(gateway.origin, slowText(n), n, Math.ceil(n / 100)),
    });
    const big = 4 * memoryStreams;
    const tlsEnv = { VERTEXCHAT_UPSTREAM_CA: ca.certFile };
    // The first round grows V8's heap to what the load needs; the rounds after it show whether memory then stays.
    const roundsAt1000 = smoke ? 2 : 3;
    const cases: MemoryCase[] = [
      proxyCase("bare proxy, HTTP/1.1 callers", memoryStreams, roundsAt1000, slowEmulator),
      gatewayCase("vertexchat, Connect over HTTP/1.1", memoryStreams, roundsAt1000, "http1", slowEmulator),
      gatewayCase("vertexchat, gRPC", memoryStreams, roundsAt1000, "grpc", slowEmulator),
      ...(slowTlsEmulator
        ? [
            proxyCase("bare proxy, HTTP/1.1 callers", big, 1, slowEmulator),
            gatewayCase("vertexchat, Connect over HTTP/1.1", big, 1, "http1", slowEmulator),
            gatewayCase("vertexchat, gRPC", big, 1, "grpc", slowEmulator),
            gatewayCase(
              `vertexchat, Connect over HTTP/1.1, \`${CAPPED_HEAP.join(" ")}\``,
              memoryStreams,
              1,
              "http1",
              slowEmulator,
              {},
              CAPPED_HEAP,
            ),
            proxyCase("bare proxy, HTTP/1.1 callers, upstream TLS", memoryStreams, 1, slowTlsEmulator, {
              NODE_EXTRA_CA_CERTS: ca.certFile,
            }),
            gatewayCase(
              "vertexchat, Connect over HTTP/1.1, upstream TLS+h2",
              memoryStreams,
              1,
              "http1",
              slowTlsEmulator,
              tlsEnv,
            ),
            gatewayCase("vertexchat, gRPC, upstream TLS+h2", memoryStreams, 1, "grpc", slowTlsEmulator, tlsEnv),
          ]
        : []),
    ];
    const measured = await measureMemory(cases, smoke ? [1] : [1, 3, 6, 10]);
    const result = (name: string, count: number) => measured.find(([c]) => c.name === name && c.count === count)?.[1];
    const plain = result("vertexchat, Connect over HTTP/1.1", memoryStreams);
    holding = plain?.rounds[0]?.peak ?? Number.NaN;
    for (const [callers, name] of [
      ["HTTP/1.1", "vertexchat, Connect over HTTP/1.1"],
      ["gRPC", "vertexchat, gRPC"],
    ] as const) {
      for (const count of [memoryStreams, big]) {
        const m = result(name, count);
        if (m) scale.memory.set(`${callers}@${count}`, m);
      }
    }
    say("## Memory");
    say();
    say(
      `Concurrent streams held open on a slow upstream (one chunk per 200 ms at ${memoryStreams} streams, one per ${(200 * big) / memoryStreams} ms at ${big}: the same ${fmt((memoryStreams * 1000) / 200, 0)} chunks a second, so that the larger rows measure memory rather than a saturated core; the emulator over HTTP/1.1 unless the row says TLS, where it offers h2 as Google's front end does), each process fresh. Resident memory is sampled after ${smoke ? "1 s" : "1, 3, 6 and 10 s"}; the live heap is taken after a full collection (\`bench/heap-probe.ts\`, loaded with \`--expose-gc\`), with the streams open and again once they have closed. Per stream: the peak above the idle process, divided by the streams open. Rows at ${memoryStreams} streams open them ${smoke ? "twice" : "three times"} on the same process (rounds →), to show whether memory stays flat across rounds once V8 has grown its heap in the first. HTTP/1.1 callers use a connection per stream, gRPC callers one HTTP/2 connection per 100 streams.`,
    );
    say();
    for (const line of memoryTable(measured)) say(line);
    say();
    // Stalled readers: an upstream that writes as fast as it can, callers that stop reading. The emulator runs in
    // this process here so that its own progress (chunks written) can be followed.
    const fastRecorder = await startEmulator({ pacingMs: 0 });
    const stallGateway = await started(startGatewayProcess(fastRecorder.origin, metadata.host));
    const readers = smoke ? 3 : 10;
    const stallMs = smoke ? 3000 : 10000;
    const trace: { rss: number; written: number }[] = [];
    const before = stallGateway.rss();
    const stalled = await stalledReaders(
      {
        name: "vertexchat",
        url: `${stallGateway.origin}/vertexchat.v1.ChatService/StreamChatCompletion`,
        headers: { "content-type": "application/connect+json" },
        body: connectEnvelope(userRequestJson("[[emulate words=200000]]")),
        framing: "connect",
      },
      readers,
      stallMs,
      smoke ? 1000 : 2000,
      () =>
        trace.push({
          rss: stallGateway.rss(),
          written: fastRecorder.requests.reduce((n, r) => n + r.chunksSent, 0),
        }),
    );
    await fastRecorder.close();
    // Held back: the upstream has stopped writing by the end (the last two samples are alike).
    const [previous, last] = trace.slice(-2);
    const heldBack =
      previous !== undefined && last !== undefined && last.written - previous.written <= last.written * 0.05;
    say(
      `${stalled} of ${readers} callers (Connect over HTTP/2) of 200,000-chunk answers read their first bytes and then stop reading, for ${stallMs / 1000} s, while the upstream would write at full speed. Chunks the upstream had written, sampled every ${smoke ? 1 : 2} s: ${trace.map((t) => t.written).join(" → ")} (of ${readers * 200_000}; the upstream stops once the socket buffers between it and the gateway are full); gateway resident memory ${fmt(before / 2 ** 20, 1)} MiB before, then ${trace.map((t) => fmt(t.rss / 2 ** 20, 1)).join(" → ")} MiB: ${heldBack ? "the upstream is held back once the buffers are full, and the gateway buffers nothing" : "**the upstream kept writing: the gateway buffers what its callers do not read**"}.`,
    );
    say();
  }
  // 5. Cancellation: how soon the upstream request is aborted after the caller cancels.
  if (sections.has("cold")) {
    const rounds = smoke ? 1 : 5;
    // The compile cache filled as the container image fills it at build time (`--fill-compile-cache`).
    const cacheDir = mkdtempSync(join(os.tmpdir(), "vertexchat-bench-compile-cache-"));
    execFileSync(process.execPath, [`${root}src/main.ts`, "--fill-compile-cache"], {
      env: { PATH: process.env.PATH ?? "", NODE_COMPILE_CACHE: cacheDir },
    });
    // Google's front end is reached over TLS with h2: a first call there pays the handshakes unless the gateway
    // opened its connection at start-up.
    const ca = makeCa("bench-cold-upstream-ca");
    const tlsEmulator = await started(startEmulatorProcess(0, issue(ca, "127.0.0.1")));
    const defaults = { VERTEXCHAT_WARM_UP: "on", NODE_COMPILE_CACHE: cacheDir };
    // `target`: the default starts, whose first calls the targets read.
    const starts: { name: string; env: Record<string, string>; upstream?: string; target?: "plain" | "tls" }[] = [
      { name: "no warm-up, no compile cache", env: { VERTEXCHAT_WARM_UP: "off", NODE_DISABLE_COMPILE_CACHE: "1" } },
      { name: "warm-up, no compile cache", env: { VERTEXCHAT_WARM_UP: "on", NODE_DISABLE_COMPILE_CACHE: "1" } },
      { name: "warm-up and compile cache (default)", env: defaults, target: "plain" },
      {
        name: "no warm-up, upstream over TLS+h2",
        env: { ...defaults, VERTEXCHAT_WARM_UP: "off", VERTEXCHAT_UPSTREAM_CA: ca.certFile },
        upstream: tlsEmulator.origin,
      },
      {
        name: "warm-up and compile cache (default), upstream over TLS+h2",
        env: { ...defaults, VERTEXCHAT_UPSTREAM_CA: ca.certFile },
        upstream: tlsEmulator.origin,
        target: "tls",
      },
    ];
    say("## Cold start");
    say();
    say(
      `A new gateway process, ${rounds} times each way (alternating, so that the machine's noise falls on all alike): without the start-up warm-up (\`VERTEXCHAT_WARM_UP=off\`) and without Node's compile cache (\`NODE_DISABLE_COMPILE_CACHE=1\`), with the warm-up only, and as it starts by default from an image built as the Dockerfile builds it (warm-up, and a compile cache filled by \`node src/main.ts --fill-compile-cache\`); then with the upstream over TLS offering h2, as Google's front end, without the warm-up and by default (the warm-up opens the upstream connection before listening). Spawn to listening and to its first answer, then its first calls beside its tenth (each unary call followed by a 5-chunk stream), with the caller's HTTP client already warm.`,
    );
    say();
    say(
      "| start | round | spawn → listening ms | spawn → first answer ms | unary 1st / 2nd / 10th ms | stream TTFT 1st / 2nd / 10th ms |",
    );
    say("|---|---|---|---|---|---|");
    const three = (xs: number[]) => [xs[0], xs[1], xs.at(-1)].map((x) => fmt(x ?? Number.NaN, 1)).join(" / ");
    for (let round = 1; round <= rounds; round++) {
      for (const start of starts) {
        const c = await coldStart(
          () => startGatewayProcess(start.upstream ?? emulator.origin, metadata.host, start.env),
          emulator.origin,
        );
        say(
          `| ${start.name} | ${round} | ${fmt(c.listenMs, 0)} | ${fmt(c.firstAnswerMs, 0)} | ${three(c.unaryMs)} | ${three(c.streamTtftMs)} |`,
        );
        if (start.target === "tls") {
          scale.firstUnaryTlsMs.push(c.unaryMs[0] ?? Number.NaN);
          scale.tenthUnaryTlsMs.push(c.unaryMs.at(-1) ?? Number.NaN);
        }
        if (start.target === "plain") {
          scale.firstAnswerMs.push(c.firstAnswerMs);
          scale.firstUnaryMs.push(c.unaryMs[0] ?? Number.NaN);
          scale.tenthUnaryMs.push(c.unaryMs.at(-1) ?? Number.NaN);
        }
      }
    }
    rmSync(cacheDir, { recursive: true, force: true });
    say();
  }
  if (sections.has("cancel")) {
    const recorder = await startEmulator({ pacingMs: 20 });
    const cancelGateway = await started(startGatewayProcess(recorder.origin, metadata.host));
    for (let i = 0; i < (smoke ? 2 : 10); i++) {
      const controller = new AbortController();
      const res = await fetch(`${cancelGateway.origin}/vertexchat.v1.ChatService/StreamChatCompletion`, {
        method: "POST",
        headers: { "content-type": "application/connect+json" },
        body: connectEnvelope(userRequestJson(`cancel ${i} [[emulate words=500]]`)),
        signal: controller.signal,
      });
      const reader = res.body?.getReader();
      await reader?.read();
      const abortedAt = Date.now();
      controller.abort();
      const entry = recorder.requests.at(-1);
      for (let t = 0; t < 200 && !entry?.closedAt; t++) await new Promise((r) => setTimeout(r, 5));
      delays.push((entry?.closedAt ?? Number.NaN) - abortedAt);
    }
    await recorder.close();
    say(`## Cancellation`);
    say();
    say(
      `A caller cancels a stream after its first chunk: the gateway aborted its upstream request ${fmt(median(delays), 0)} ms later (median of ${delays.length}; max ${fmt(Math.max(...delays), 0)} ms). Target: under 100 ms.`,
    );
    say();
  }
  // 6. Against the targets.
  const u = (k: string) => unarySummary.get(k);
  const s = (k: string) => streamSummary.get(k);
  const c64 = concurrencies.includes(64) ? 64 : concurrencies.at(-1);
  say(`## Targets`);
  say();
  say("| target | measured | met |");
  say("|---|---|---|");
  const row = (what: string, value: number, ok: boolean, unit = "", digits = 3) =>
    say(`| ${what} | ${fmt(value, digits)}${unit} | ${Number.isFinite(value) ? (ok ? "yes" : "**no**") : "—"} |`);
  const added1 = u("vertexchat@1");
  row("unary c=1: added latency p50 ≤ 0.5 ms", added1?.addedP50 ?? Number.NaN, (added1?.addedP50 ?? 9) <= 0.5, " ms");
  row("unary c=1: added latency p99 ≤ 2 ms", added1?.addedP99 ?? Number.NaN, (added1?.addedP99 ?? 9) <= 2, " ms");
  const vc64 = u(`vertexchat@${c64}`)?.rps ?? Number.NaN;
  const pk64 = u(`portkey@${c64}`)?.rps ?? Number.NaN;
  const px64 = u(`bare proxy@${c64}`)?.rps ?? Number.NaN;
  row(`unary c=${c64}: throughput ≥ 2× Portkey's`, vc64 / pk64, vc64 / pk64 >= 2, "×");
  row(`unary c=${c64}: throughput ≥ 0.7× the bare proxy's`, vc64 / px64, vc64 / px64 >= 0.7, "×");
  const vs50 = s("vertexchat@50");
  const px50 = s("bare proxy@50");
  row(
    `streaming 50 chunks c=${streamConcurrency}: ≥ 0.5× the proxy's chunks/s`,
    (vs50?.chunksPerSecond ?? Number.NaN) / (px50?.chunksPerSecond ?? Number.NaN),
    (vs50?.chunksPerSecond ?? 0) / (px50?.chunksPerSecond ?? 1) >= 0.5,
    "×",
  );
  row(
    `streaming c=${streamConcurrency}: added TTFT p50 ≤ 1 ms`,
    vs50?.addedTtft ?? Number.NaN,
    (vs50?.addedTtft ?? 9) <= 1,
    " ms",
  );
  const alone = s("vertexchat@alone");
  row("streaming c=1: added TTFT p50 ≤ 1 ms", alone?.addedTtft ?? Number.NaN, (alone?.addedTtft ?? 9) <= 1, " ms");
  row(`resident memory at ${memoryStreams} streams ≤ 256 MiB`, holding / 2 ** 20, holding / 2 ** 20 <= 256, " MiB");
  row("cancellation reaches the upstream in < 100 ms", median(delays), median(delays) < 100, " ms");
  // Issue 18's targets: the workload's shape (paced streams), memory, gRPC unary, the client's floor, cold start.
  const pacedN = [...scale.paced.keys()][0]?.split(":")[0] ?? "250";
  const paced = (name: string) => scale.paced.get(`${pacedN}:${name}`);
  const doors = ["vertexchat gRPC", "vertexchat Connect (HTTP/1.1)", "vertexchat OpenAI REST (HTTP/1.1)"];
  for (const door of doors) {
    const ratio = (paced(door)?.cpuPer1000Chunks ?? Number.NaN) / (paced("bare proxy")?.cpuPer1000Chunks ?? Number.NaN);
    row(`paced N=${pacedN}, ${door}: CPU per chunk ≤ 1.2× the proxy's`, ratio, ratio <= 1.2, "×");
  }
  for (const door of doors) {
    const ratio = (paced(door)?.ttftP99 ?? Number.NaN) / (paced("bare proxy")?.ttftP99 ?? Number.NaN);
    row(`paced N=${pacedN}, ${door}: TTFT p99 ≤ 2× the proxy's`, ratio, ratio <= 2, "×");
  }
  for (const door of doors) {
    const tls = (name: string) => scale.pacedTls.get(name);
    const cpu = (tls(door)?.cpuPer1000Chunks ?? Number.NaN) / (tls("bare proxy")?.cpuPer1000Chunks ?? Number.NaN);
    row(`paced N=${pacedN}, upstream over TLS+h2, ${door}: CPU per chunk ≤ 1.2× the proxy's`, cpu, cpu <= 1.2, "×");
    const ttft = (tls(door)?.ttftP99 ?? Number.NaN) / (tls("bare proxy")?.ttftP99 ?? Number.NaN);
    row(`paced N=${pacedN}, upstream over TLS+h2, ${door}: TTFT p99 ≤ 2× the proxy's`, ttft, ttft <= 2, "×");
  }
  for (const [upstream, suffix] of [
    ["", ""],
    ["upstream over TLS+h2, ", SUSTAINED_TLS],
  ] as const) {
    // Counts, not a ratio: a proxy that holds no step (0) would make every ratio infinite.
    const proxyN = scale.sustained.get(`bare proxy${suffix}`) ?? Number.NaN;
    for (const door of doors) {
      const n = scale.sustained.get(`${door}${suffix}`) ?? Number.NaN;
      row(`streams sustained, ${upstream}${door}: ≥ the proxy's N (${fmt(proxyN, 0)})`, n, n >= proxyN, " streams", 0);
    }
  }
  for (const [key, m] of scale.memory) {
    const [callers, count] = key.split("@");
    const kib = residentKib(m);
    row(`memory at ${count} streams, ${callers} callers: ≤ 24 KiB resident per stream`, kib, kib <= 24, " KiB");
    if (m.rounds.length > 1) {
      const grew = roundGrowth(m);
      row(
        `memory at ${count} streams, ${callers} callers: flat across rounds (resident after round 1, and live heap, ≤ 1.1×)`,
        grew,
        grew <= 1.1,
        "×",
      );
    }
  }
  const grpcUnary = u(`vertexchat gRPC, raw h2 caller@${c64}`)?.rps ?? Number.NaN;
  row(`unary c=${c64}: gRPC (raw h2 caller) ≥ Connect`, grpcUnary / vc64, grpcUnary / vc64 >= 1, "×");
  const grpcAgainstFloor = scale.grpcVsConnect / scale.grpcVsConnectFloor;
  row(
    "unary c=64, floors section: gRPC/Connect requests/s through vertexchat ≥ the same on the openai floor",
    grpcAgainstFloor,
    grpcAgainstFloor >= 1,
    "×",
  );
  row(
    "unary c=64, floors section: gateway CPU per request, gRPC ≤ Connect",
    scale.grpcCpuVsConnect,
    scale.grpcCpuVsConnect <= 1,
    "×",
  );
  const atFloor = scale.vertexchatAtFloor / scale.floor;
  row("unary c=64: ≥ 0.9× the Connect + openai client floor", atFloor, atFloor >= 0.9, "×");
  const firstAnswer = Math.max(...scale.firstAnswerMs);
  row(
    "cold start (default): spawn → first answer ≤ 1 s, slowest of the rounds",
    firstAnswer,
    firstAnswer <= 1000,
    " ms",
  );
  const firstVsTenth = median(scale.firstUnaryMs) / median(scale.tenthUnaryMs);
  row("cold start: first unary call ≤ 1× the tenth (medians)", firstVsTenth, firstVsTenth <= 1, "×");
  const firstVsTenthTls = median(scale.firstUnaryTlsMs) / median(scale.tenthUnaryTlsMs);
  row(
    "cold start, upstream over TLS+h2: first unary call ≤ 1× the tenth (medians)",
    firstVsTenthTls,
    firstVsTenthTls <= 1,
    "×",
  );
  say();
  if (!smoke && !args.only) {
    const out = args.out ?? `${root}bench/RESULTS.md`;
    writeFileSync(out, `${lines.join("\n")}\n`);
    // In the project's own format (aligned tables), so that a fresh RESULTS.md passes `npm run lint` as written.
    // Biome formats files inside the project only; a file written elsewhere stays as written.
    try {
      execFileSync(`${root}node_modules/.bin/biome`, ["format", "--write", out], { stdio: "ignore" });
    } catch {
      console.error(`${out} is written but not formatted (Biome formats files inside the project only)`);
    }
  }
} finally {
  await Promise.allSettled(procs.map((p) => p.stop()));
  await metadata.close();
}
// Pools and servers of the load generator keep idle keep-alive sockets; the measurements are done.
process.exit(0);
