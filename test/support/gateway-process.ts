/** Runs `node src/main.ts` as a child process, the way `npm start` does, and finds the address it logs. */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

export interface GatewayProcess {
  url: string;
  child: ChildProcess;
  logs: string[];
  stop(): Promise<number | null>;
}

const MAIN = new URL("../../src/main.ts", import.meta.url).pathname;

export async function startGatewayProcess(env: Record<string, string>, args: string[] = []): Promise<GatewayProcess> {
  const child = spawn(process.execPath, [MAIN, ...args], {
    env: {
      PATH: process.env.PATH ?? "",
      VERTEXCHAT_LISTEN: "127.0.0.1:0",
      VERTEXCHAT_ADMIN_LISTEN: "127.0.0.1:0",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const logs: string[] = [];
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`gateway did not start:\n${logs.join("\n")}`)), 15_000);
    for (const stream of [child.stdout, child.stderr]) {
      createInterface({ input: stream }).on("line", (line) => {
        logs.push(line);
        const match = /"url":"(http[^"]+)"/.exec(line);
        if (match?.[1] && line.includes("vertexchat listening")) {
          clearTimeout(timer);
          resolve(match[1]);
        }
      });
    }
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`gateway exited with ${code}:\n${logs.join("\n")}`));
    });
  });
  return {
    url,
    child,
    logs,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve(child.exitCode);
        child.once("exit", (code) => resolve(code));
        child.kill("SIGTERM");
      }),
  };
}

/** A gateway on one Vertex upstream (the emulator's origin) whose ADC come from a metadata stand-in only. */
export function adcGatewayEnv(
  emulatorOrigin: string,
  metadataHost: string,
  extra: Record<string, string> = {},
): Record<string, string> {
  return isolatedCredentialsEnv({
    GOOGLE_CLOUD_PROJECT: "test-project",
    GOOGLE_CLOUD_LOCATION: "us-central1",
    VERTEXCHAT_VERTEX_ORIGIN: emulatorOrigin,
    GCE_METADATA_HOST: metadataHost,
    ...extra,
  });
}

/** An environment with no Google credentials of the machine's own (no gcloud files, no key): only what is given. */
export function isolatedCredentialsEnv(extra: Record<string, string>): Record<string, string> {
  const home = mkdtempSync(join(tmpdir(), "vertexchat-adc-"));
  return { HOME: home, CLOUDSDK_CONFIG: join(home, "gcloud"), VERTEXCHAT_LOG_LEVEL: "info", ...extra };
}
