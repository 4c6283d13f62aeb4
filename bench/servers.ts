/** Starts each process the benchmark measures, each on its own free loopback port, and finds its address. */
import { type ChildProcess, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

export const root = new URL("..", import.meta.url).pathname;

export interface Proc {
  pid: number;
  port: number;
  origin: string;
  /** Resident memory of the process now, in bytes. */
  rss(): number;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  const server = createServer().listen(0, "127.0.0.1");
  await once(server, "listening");
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

async function start(
  args: string[],
  env: Record<string, string>,
  ready: RegExp,
  port?: number,
  nodeArgs: string[] = [],
  scheme: "http" | "https" = "http",
): Promise<Proc> {
  const child: ChildProcess = spawn(process.execPath, [...nodeArgs, ...args], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const seen: string[] = [];
  const found = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${args[0]} did not start:\n${seen.join("\n")}`)), 30_000);
    const onLine = (line: string) => {
      if (seen.length < 50) seen.push(line);
      const match = ready.exec(line);
      if (match) {
        clearTimeout(timer);
        resolve(port ?? Number(match[1]));
      }
    };
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).on("line", onLine);
    createInterface({ input: child.stderr as NodeJS.ReadableStream }).on("line", onLine);
    child.once("exit", (code) => reject(new Error(`${args[0]} exited with ${code}:\n${seen.join("\n")}`)));
  });
  // Keep draining output (logs) so that a full pipe never blocks the process.
  child.stdout?.resume();
  child.stderr?.resume();
  return {
    pid: child.pid as number,
    port: found,
    origin: `${scheme}://127.0.0.1:${found}`,
    rss: () => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"))?.[1] ?? 0) * 1024,
    stop: async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill("SIGKILL");
      await once(child, "exit");
    },
  };
}

export function startEmulatorProcess(pacingMs = 0, tls?: { certFile: string; keyFile: string }): Promise<Proc> {
  return start(
    ["src/emulator/main.ts"],
    {
      VERTEXCHAT_EMULATOR_LISTEN: "127.0.0.1:0",
      VERTEXCHAT_EMULATOR_PACING_MS: String(pacingMs),
      ...(tls
        ? { VERTEXCHAT_EMULATOR_TLS_CERT_FILE: tls.certFile, VERTEXCHAT_EMULATOR_TLS_KEY_FILE: tls.keyFile }
        : {}),
    },
    /base URL: https?:\/\/127\.0\.0\.1:(\d+)\//,
    undefined,
    [],
    tls ? "https" : "http",
  );
}

/** vertexchat against real-shaped Vertex: the emulator by URL, tokens from ADC through a metadata stand-in. */
export function startGatewayProcess(
  emulatorOrigin: string,
  metadataHost: string,
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): Promise<Proc> {
  const home = mkdtempSync(join(tmpdir(), "vertexchat-bench-"));
  return start(
    ["src/main.ts"],
    {
      HOME: home,
      CLOUDSDK_CONFIG: join(home, "gcloud"),
      GCE_METADATA_HOST: metadataHost,
      GOOGLE_CLOUD_PROJECT: "bench",
      VERTEXCHAT_VERTEX_ORIGIN: emulatorOrigin,
      VERTEXCHAT_LISTEN: "127.0.0.1:0",
      VERTEXCHAT_ADMIN_LISTEN: "off",
      VERTEXCHAT_MAX_CONCURRENT_STREAMS: "100000",
      ...env,
    },
    /"url":"http:\/\/127\.0\.0\.1:(\d+)".*vertexchat listening/,
    undefined,
    nodeArgs,
  );
}

/** A Connect server for the same contract with nothing of vertexchat's own (bench/connect-floor.ts). */
export function startConnectFloor(
  mode: "canned" | "undici" | "openai",
  baseUrl: string,
  transport: "h1" | "h2c" = "h1",
  nodeArgs: string[] = [],
): Promise<Proc> {
  return start(["bench/connect-floor.ts", "0", mode, baseUrl, transport], {}, /^listening (\d+)/, undefined, nodeArgs);
}

export function startBareProxy(
  upstreamUrl: string,
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
): Promise<Proc> {
  return start(["bench/bare-proxy.ts", "0", upstreamUrl], env, /^listening (\d+)/, undefined, nodeArgs);
}

export function startCeilingServer(): Promise<Proc> {
  return start(["bench/ceiling-server.ts", "0"], {}, /^listening (\d+)/);
}

/** Portkey's open-source gateway (npm @portkey-ai/gateway), headless, production mode. */
export async function startPortkey(): Promise<Proc> {
  const port = await freePort();
  return start(
    ["node_modules/@portkey-ai/gateway/build/start-server.js", `--port=${port}`, "--headless"],
    { NODE_ENV: "production" },
    /Ready for connections|running at/,
    port,
  );
}
