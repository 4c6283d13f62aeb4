/**
 * The gateway process, loaded by main.ts once the compile cache is on: read the configuration, start the embedded
 * emulator when no Google project is set, start the gateway, and stop cleanly on SIGINT/SIGTERM.
 */
import { pino } from "pino";
import { loadConfig, settingsTable, wantsEmulator } from "./config/load-config.ts";
import { ConfigError } from "./config/settings.ts";
import { startEmulator } from "./emulator/emulator-server.ts";
import { type GatewayDeps, startGateway } from "./server/gateway.ts";

/** Runs the gateway process until a signal stops it; exits 2 on a configuration mistake. */
export async function serve(argv: string[], env: NodeJS.ProcessEnv): Promise<void> {
  if (argv.includes("--help")) {
    console.log(
      `vertexchat: a gRPC/Connect gateway to Vertex AI's OpenAI-compatible chat completions.\n\n${settingsTable()}`,
    );
    process.exit(0);
  }

  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(env, argv);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`vertexchat: configuration error: ${err.message}`);
    process.exit(2);
  }

  const logger = pino({ level: config.logLevel, base: { service: "vertexchat" } });
  const deps: GatewayDeps = { logger };
  const closers: (() => Promise<void>)[] = [];

  // The signal handlers come before anything is started or logged: a SIGTERM that finds none (a deploy stopping a
  // replica that has just started, even one that has said it listens) ends the process at once, with no drain and
  // no compile cache written. A signal during start-up stops the gateway once it has started.
  let stopping: NodeJS.Signals | undefined;
  let started: Awaited<ReturnType<typeof startGateway>> | undefined;
  const stop = (gateway: NonNullable<typeof started>, signal: NodeJS.Signals) => {
    logger.info({ signal, grace_ms: config.shutdownGraceMs }, "shutting down: health NOT_SERVING, new calls refused");
    void (async () => {
      const finished = await gateway.shutdown(config.shutdownGraceMs);
      for (const close of closers) await close();
      logger.info({ all_calls_finished: finished }, "stopped");
      process.exit(0);
    })();
  };
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.on(signal, () => {
      // A second signal while still starting (a start-up that hangs): stop at once.
      if (stopping && !started) process.exit(1);
      if (stopping) return;
      stopping = signal;
      if (started) stop(started, signal);
    });
  }

  if (wantsEmulator(config)) {
    const emulator = await startEmulator({ pacingMs: config.emulatorPacingMs });
    closers.push(emulator.close);
    deps.emulator = { origin: emulator.origin, token: "emulator-token" };
    logger.warn(
      { emulator: emulator.origin },
      "SERVING SYNTHETIC ANSWERS from the built-in Vertex emulator, not from Google. To use real Vertex AI, set " +
        "GOOGLE_CLOUD_PROJECT (and GOOGLE_CLOUD_LOCATION) and provide Application Default Credentials " +
        "(gcloud auth application-default login, or GOOGLE_APPLICATION_CREDENTIALS).",
    );
  }

  try {
    started = await startGateway(config, deps);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(`vertexchat: configuration error: ${err.message}`);
    process.exit(2);
  }
  if (stopping) stop(started, stopping);
}
