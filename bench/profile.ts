/**
 * `node bench/profile.ts unary|unary-grpc|stream|paced|paced-grpc|paced-rest [seconds]`: drives vertexchat (a separate process started with
 * --cpu-prof) against the emulator and leaves a .cpuprofile in .cache/profiles, to find what the hot path spends
 * its time on. `unary-grpc`: the unary calls of `unary` from gRPC callers (the raw HTTP/2 caller). `paced`: 250 Connect HTTP/1.1 streams of 100 chunks 50 ms apart, as the benchmark's paced section;
 * `paced-grpc`: the same streams from gRPC callers over three HTTP/2 connections; `paced-rest`: the same streams
 * through the OpenAI-compatible REST door (SSE over HTTP/1.1).
 */
import { mkdirSync } from "node:fs";
import { startMetadataServer } from "../test/support/metadata-server.ts";
import { connectEnvelope, userRequestJson } from "../test/support/requests.ts";
import { rawGrpcUnaryLoad } from "./grpc-load.ts";
import { streamLoad, unaryLoad } from "./load.ts";
import { httpStreams, pacedStreams, rawGrpcStreams } from "./paced-streams.ts";
import { root, startEmulatorProcess, startGatewayProcess } from "./servers.ts";

const MODES = ["unary", "unary-grpc", "stream", "paced", "paced-grpc", "paced-rest"];
const mode = process.argv[2] ?? "unary";
if (!MODES.includes(mode)) {
  console.error(`bench/profile.ts: unknown mode "${mode}"; use one of ${MODES.join(", ")}`);
  process.exit(2);
}
const ms = Number(process.argv[3] ?? 6) * 1000;
const dir = `${root}.cache/profiles`;
mkdirSync(dir, { recursive: true });
const metadata = await startMetadataServer({ expiresInSeconds: 3600 });
const emulator = await startEmulatorProcess(0);
const gateway = await startGatewayProcess(emulator.origin, metadata.host, {
  NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir}`,
});
const text = mode.startsWith("unary") ? "profile me" : "[[emulate words=50]]";
const target = (method: string, contentType: string, body: string | Buffer) => ({
  name: "vertexchat",
  url: `${gateway.origin}/vertexchat.v1.ChatService/${method}`,
  headers: { "content-type": contentType },
  body,
  framing: "connect" as const,
});
const stream = (words: string) =>
  target("StreamChatCompletion", "application/connect+json", connectEnvelope(userRequestJson(words)));
if (mode === "paced-grpc") {
  const grpc = rawGrpcStreams(gateway.origin, "paced [[emulate words=100 pacing_ms=50]]", 3);
  console.log(await pacedStreams({ count: 250, rampMs: 2000, chunks: 100, pid: gateway.pid }, grpc.open));
  grpc.close();
} else if (mode === "paced-rest") {
  const http = httpStreams(
    {
      name: "vertexchat OpenAI REST",
      url: `${gateway.origin}/v1/chat/completions`,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        model: "google/gemini-2.5-flash",
        messages: [{ role: "user", content: "paced [[emulate words=100 pacing_ms=50]]" }],
        stream: true,
      }),
      framing: "sse",
    },
    250,
  );
  console.log(await pacedStreams({ count: 250, rampMs: 2000, chunks: 100, pid: gateway.pid }, http.open));
  await http.close();
} else if (mode === "unary-grpc") {
  console.log(await rawGrpcUnaryLoad(gateway.origin, text, 16, ms));
} else if (mode === "paced") {
  const http = httpStreams(stream("paced [[emulate words=100 pacing_ms=50]]"), 250);
  console.log(await pacedStreams({ count: 250, rampMs: 2000, chunks: 100, pid: gateway.pid }, http.open));
  await http.close();
} else {
  console.log(
    mode === "unary"
      ? await unaryLoad(target("CreateChatCompletion", "application/json", userRequestJson(text)), 16, ms)
      : await streamLoad(stream(text), 16, ms, 50),
  );
}
// SIGTERM lets the gateway exit cleanly, which writes the profile.
process.kill(gateway.pid, "SIGTERM");
await new Promise((r) => setTimeout(r, 2000));
await emulator.stop();
await metadata.close();
console.log(`profile written to ${dir}`);
process.exit(0);
