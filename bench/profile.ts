/**
 * `node bench/profile.ts unary|stream [seconds]`: drives vertexchat (a separate process started with --cpu-prof)
 * against the emulator and leaves a .cpuprofile in .cache/profiles, to find what the hot path spends its time on.
 */
import { mkdirSync } from "node:fs";
import { startMetadataServer } from "../test/support/metadata-server.ts";
import { connectEnvelope, userRequestJson } from "../test/support/requests.ts";
import { streamLoad, unaryLoad } from "./load.ts";
import { root, startEmulatorProcess, startGatewayProcess } from "./servers.ts";

const mode = process.argv[2] ?? "unary";
const ms = Number(process.argv[3] ?? 6) * 1000;
const dir = `${root}.cache/profiles`;
mkdirSync(dir, { recursive: true });
const metadata = await startMetadataServer({ expiresInSeconds: 3600 });
const emulator = await startEmulatorProcess(0);
const gateway = await startGatewayProcess(emulator.origin, metadata.host, {
  NODE_OPTIONS: `--cpu-prof --cpu-prof-dir=${dir}`,
});
const text = mode === "unary" ? "profile me" : "[[emulate words=50]]";
const target = (method: string, contentType: string, body: string | Buffer) => ({
  name: "vertexchat",
  url: `${gateway.origin}/vertexchat.v1.ChatService/${method}`,
  headers: { "content-type": contentType },
  body,
  framing: "connect" as const,
});
console.log(
  mode === "unary"
    ? await unaryLoad(target("CreateChatCompletion", "application/json", userRequestJson(text)), 16, ms)
    : await streamLoad(
        target("StreamChatCompletion", "application/connect+json", connectEnvelope(userRequestJson(text))),
        16,
        ms,
        50,
      ),
);
// SIGTERM lets the gateway exit cleanly, which writes the profile.
process.kill(gateway.pid, "SIGTERM");
await new Promise((r) => setTimeout(r, 2000));
await emulator.stop();
await metadata.close();
console.log(`profile written to ${dir}`);
process.exit(0);
