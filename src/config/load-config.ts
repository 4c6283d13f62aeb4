/**
 * Reads every setting from flags (first) or the environment, applies defaults, and checks each value. A bad value
 * stops start-up with one line naming the variable, the value and what is accepted.
 */
import { nearestName } from "./nearest-name.ts";
import { ConfigError, SETTINGS, type SettingName } from "./settings.ts";

export type Config = { [K in SettingName]: ReturnType<(typeof SETTINGS)[K]["parse"]> };

export function loadConfig(env: NodeJS.ProcessEnv = process.env, argv: readonly string[] = []): Config {
  checkVariableNames(env);
  const flags = parseFlags(argv);
  const config: Partial<Record<SettingName, unknown>> = {};
  for (const [name, setting] of Object.entries(SETTINGS) as [SettingName, (typeof SETTINGS)[SettingName]][]) {
    const fromFlag = flags.get(setting.flag);
    const raw = fromFlag ?? env[setting.env] ?? setting.default;
    flags.delete(setting.flag);
    try {
      config[name] = setting.parse(raw.trim());
    } catch (err) {
      const source = fromFlag !== undefined ? setting.flag : setting.env;
      throw new ConfigError(`${source}=${JSON.stringify(raw)} is not valid; ${(err as Error).message}`);
    }
  }
  const unknown = [...flags.keys()];
  if (unknown.length > 0) throw new ConfigError(`unknown flag ${unknown[0]}; run with --help for the list`);
  const result = config as Config;
  if (Boolean(result.tlsCert) !== Boolean(result.tlsKey)) {
    throw new ConfigError("VERTEXCHAT_TLS_CERT and VERTEXCHAT_TLS_KEY must be set together (or neither)");
  }
  if (result.emulator === "off" && !result.project && !result.routingFile) {
    throw new ConfigError(
      "VERTEXCHAT_EMULATOR=off needs GOOGLE_CLOUD_PROJECT or VERTEXCHAT_CONFIG; set one of them or use the emulator",
    );
  }
  checkAuth(result);
  return result;
}

/** VERTEXCHAT_ variables that belong to other programs of this project, not the gateway. */
const OTHER_PROGRAMS_VARIABLES = new Set([
  "VERTEXCHAT_EMULATOR_LISTEN", // npm run emulator
  "VERTEXCHAT_FUZZ_RUNS", // the robustness test
]);

/** A misspelt VERTEXCHAT_ variable would otherwise be ignored in silence, and its default used. */
function checkVariableNames(env: NodeJS.ProcessEnv): void {
  const known = Object.values(SETTINGS).map((s) => s.env);
  for (const name of Object.keys(env)) {
    if (!name.startsWith("VERTEXCHAT_") || known.includes(name) || OTHER_PROGRAMS_VARIABLES.has(name)) continue;
    const near = nearestName(name, known);
    throw new ConfigError(
      `unknown variable ${name}${near ? `; did you mean ${near}?` : ""} (run with --help for the list of settings)`,
    );
  }
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/;

/** Whether an address is reachable from this machine only. */
export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

function checkAuth(config: Config): void {
  const modes = config.auth;
  if (modes.includes("none")) {
    if (!isLoopback(config.listen.host) && !config.allowUnauthenticated) {
      throw new ConfigError(
        `VERTEXCHAT_AUTH=none would let anyone on the network spend this gateway's Google quota (listening on ${config.listen.host}); set VERTEXCHAT_AUTH to api_key, id_token or mtls, or VERTEXCHAT_ALLOW_UNAUTHENTICATED=true`,
      );
    }
    return;
  }
  if (!config.callersFile) {
    throw new ConfigError(
      `VERTEXCHAT_AUTH=${modes.join(",")} needs VERTEXCHAT_CALLERS_FILE to say who the callers are`,
    );
  }
  if (modes.includes("id_token") && !config.idTokenAudience) {
    throw new ConfigError(
      "VERTEXCHAT_AUTH with id_token needs VERTEXCHAT_ID_TOKEN_AUDIENCE (usually the gateway's URL)",
    );
  }
  if (modes.includes("mtls") && (!config.tlsClientCa || !config.tlsCert)) {
    throw new ConfigError(
      "VERTEXCHAT_AUTH with mtls needs VERTEXCHAT_TLS_CERT, VERTEXCHAT_TLS_KEY and VERTEXCHAT_TLS_CLIENT_CA",
    );
  }
}

function parseFlags(argv: readonly string[]): Map<string, string> {
  const flags = new Map<string, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? "";
    if (!arg.startsWith("--"))
      throw new ConfigError(`unexpected argument ${JSON.stringify(arg)}; flags look like --name=value`);
    const eq = arg.indexOf("=");
    if (eq > 0) flags.set(arg.slice(0, eq), arg.slice(eq + 1));
    else {
      const value = argv[i + 1];
      if (value === undefined) throw new ConfigError(`flag ${arg} needs a value`);
      flags.set(arg, value);
      i++;
    }
  }
  return flags;
}

/** The settings as a Markdown table (for README.md and `--help`). */
export function settingsTable(): string {
  const rows = Object.values(SETTINGS).map(
    (s) => `| \`${s.env}\` | \`${s.flag}\` | ${s.default === "" ? "—" : `\`${s.default}\``} | ${s.doc} |`,
  );
  return ["| variable | flag | default | meaning |", "|---|---|---|---|", ...rows].join("\n");
}

/** Whether the built-in emulator runs, by `VERTEXCHAT_EMULATOR` and whether a real upstream is configured. */
export function wantsEmulator(config: Config): boolean {
  return config.emulator === "on" || (config.emulator === "auto" && !config.project && !config.routingFile);
}
