/**
 * `npm run probe -- --project P [--location L]`: the fixed battery sent to real Vertex and to the built-in emulator,
 * every difference in shape reported in Markdown, both sides' answers kept as redacted recordings that
 * test/support/replay-upstream.ts replays. Exit status: 0 no differences, 1 differences, 2 the probe could not run.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { GoogleAuth } from "google-auth-library";
import { startEmulator } from "../emulator/emulator-server.ts";
import { vertexBaseUrl, vertexOrigin } from "../wire/vertex-urls.ts";
import { compare } from "./compare.ts";
import { observe } from "./observation.ts";
import { PROBE_CASES } from "./probe-cases.ts";
import { type CaseResult, renderReport } from "./report.ts";
import { type CaseRun, type ProbeTarget, redact, runBattery } from "./run-battery.ts";

const USAGE = `usage: npm run probe -- --project P [--location L] [--out DIR]
  --project P        the Google Cloud project to bill (required)
  --location L       the region for regional cases (default us-central1; global cases always go to global)
  --out DIR          where report.md and recordings/ go (default probe-report)
  --vertex-origin U  send "Vertex" requests to U instead of Google (a proxy, or a test server)
  --token T          use this access token instead of Application Default Credentials
  --timeout-ms N     per request (default 60000)`;

interface ProbeArgs {
  project: string;
  region: string;
  out: string;
  vertexOrigin: string | undefined;
  token: string | undefined;
  timeoutMs: number;
}

function parse(argv: string[]): ProbeArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      project: { type: "string" },
      location: { type: "string", default: "us-central1" },
      out: { type: "string", default: "probe-report" },
      "vertex-origin": { type: "string" },
      token: { type: "string" },
      "timeout-ms": { type: "string", default: "60000" },
    },
  });
  if (!values.project) throw new Error("--project is required: the Google Cloud project the probe's calls bill.");
  const timeoutMs = Number(values["timeout-ms"]);
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new Error("--timeout-ms takes a positive integer.");
  // Regional cases need a region: with --location global they go to us-central1.
  const region = values.location === "global" ? "us-central1" : values.location;
  return {
    project: values.project,
    region,
    out: values.out,
    vertexOrigin: values["vertex-origin"],
    token: values.token,
    timeoutMs,
  };
}

function vertexTarget(args: ProbeArgs): ProbeTarget {
  const auth = new GoogleAuth({ scopes: ["https://www.googleapis.com/auth/cloud-platform"] });
  return {
    name: "vertex",
    baseUrl: (location) =>
      vertexBaseUrl({
        project: args.project,
        location,
        apiVersion: "v1",
        ...(args.vertexOrigin ? { origin: args.vertexOrigin } : {}),
      }),
    token: async () => {
      if (args.token) return args.token;
      const token = await auth.getAccessToken();
      if (!token) throw new Error("Application Default Credentials gave no access token.");
      return token;
    },
  };
}

function results(vertex: CaseRun[], emulator: CaseRun[]): CaseResult[] {
  return vertex.map((v, i) => {
    const e = emulator[i] as CaseRun;
    const observed = { vertex: v.answer && observe(v.answer), emulator: e.answer && observe(e.answer) };
    const differences = observed.vertex && observed.emulator ? compare(observed.vertex, observed.emulator) : undefined;
    return { vertex: v, emulator: e, differences, observed };
  });
}

function writeRecordings(dir: string, runs: CaseRun[], args: ProbeArgs): void {
  mkdirSync(dir, { recursive: true });
  for (const run of runs) {
    const recording = {
      case: run.probe.name,
      asks: run.probe.asks,
      location: run.location,
      request: run.request,
      response: run.answer,
      failure: run.failure,
    };
    writeFileSync(
      join(dir, `${run.probe.name}.json`),
      `${redact(JSON.stringify(recording, null, 2), args.project, args.token ? [args.token] : [])}\n`,
    );
  }
}

async function main(argv: string[]): Promise<number> {
  let args: ProbeArgs;
  try {
    args = parse(argv);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const startedAt = new Date();
  const vertex = vertexTarget(args);
  try {
    await vertex.token();
  } catch (err) {
    process.stderr.write(
      `No credentials for Vertex: ${(err as Error).message}\nRun \`gcloud auth application-default login\`, or pass --token.\n`,
    );
    return 2;
  }
  const emulator = await startEmulator();
  try {
    const battery = { region: args.region, timeoutMs: args.timeoutMs };
    const fromVertex = await runBattery(vertex, PROBE_CASES, battery);
    const fromEmulator = await runBattery(
      {
        name: "emulator",
        baseUrl: (location) =>
          vertexBaseUrl({ project: args.project, location, apiVersion: "v1", origin: emulator.origin }),
        token: async () => "probe",
      },
      PROBE_CASES,
      battery,
    );
    const compared = results(fromVertex, fromEmulator);
    const origin = args.vertexOrigin ?? vertexOrigin(args.region);
    mkdirSync(args.out, { recursive: true });
    writeFileSync(
      join(args.out, "report.md"),
      renderReport(compared, { startedAt, vertexOrigin: origin, region: args.region }),
    );
    writeRecordings(join(args.out, "recordings", "vertex"), fromVertex, args);
    writeRecordings(join(args.out, "recordings", "emulator"), fromEmulator, args);
    const differing = compared.filter((r) => r.differences === undefined || r.differences.length > 0);
    process.stdout.write(
      `${compared.length} cases, ${differing.length} with differences${differing.length ? `: ${differing.map((r) => r.vertex.probe.name).join(", ")}` : ""}\nreport: ${join(args.out, "report.md")}\n`,
    );
    return differing.length === 0 ? 0 : 1;
  } finally {
    await emulator.close();
  }
}

process.exitCode = await main(process.argv.slice(2));
