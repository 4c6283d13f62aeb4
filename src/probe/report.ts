/** The probe's Markdown report: a summary table, then every difference of every case. Pure. */
import type { Difference } from "./compare.ts";
import type { Observation } from "./observation.ts";
import type { CaseRun } from "./run-battery.ts";

export interface CaseResult {
  vertex: CaseRun;
  emulator: CaseRun;
  /** Undefined when either side has no answer. */
  differences: Difference[] | undefined;
  observed: { vertex: Observation | undefined; emulator: Observation | undefined };
}

export interface ReportContext {
  startedAt: Date;
  vertexOrigin: string;
  region: string;
}

export function renderReport(results: readonly CaseResult[], context: ReportContext): string {
  const differing = results.filter((r) => r.differences === undefined || r.differences.length > 0);
  const lines = [
    "# vertexchat probe: real Vertex beside the emulator",
    "",
    `Run ${context.startedAt.toISOString()} against ${context.vertexOrigin} (region ${context.region}).`,
    `${results.length} cases, ${differing.length} with differences. Texts and token counts are not compared;`,
    "shapes are (status, body form, keys and types, vocabulary values, id forms, usage arithmetic, stream framing).",
    "",
    "| case | asks | Vertex | emulator | differences |",
    "| --- | --- | --- | --- | --- |",
    ...results.map(
      (r) =>
        `| ${r.vertex.probe.name} | ${r.vertex.probe.asks} | ${outcome(r.vertex, r.observed.vertex)} | ${outcome(r.emulator, r.observed.emulator)} | ${r.differences === undefined ? "not compared" : r.differences.length} |`,
    ),
  ];
  for (const r of differing) lines.push("", ...caseSection(r));
  if (differing.length === 0) lines.push("", "No differences.");
  return `${lines.join("\n")}\n`;
}

function caseSection(r: CaseResult): string[] {
  const name = r.vertex.probe.name;
  const lines = [
    `## ${name}`,
    "",
    `${r.vertex.probe.asks}, at ${r.vertex.location}. Recordings: \`recordings/*/${name}.json\`.`,
  ];
  if (r.differences === undefined) {
    lines.push(
      "",
      `Not compared: Vertex ${r.vertex.failure ?? "answered"}; emulator ${r.emulator.failure ?? "answered"}.`,
    );
    return lines;
  }
  lines.push("", "| aspect | what | Vertex | emulator |", "| --- | --- | --- | --- |");
  for (const d of r.differences)
    lines.push(`| ${d.aspect} | \`${d.what}\` | ${cell(d.vertex)} | ${cell(d.emulator)} |`);
  const [a, b] = [r.observed.vertex?.errorMessage, r.observed.emulator?.errorMessage];
  if (a || b)
    lines.push("", `Vertex said: ${cell(a ?? "(no error)")}`, "", `The emulator said: ${cell(b ?? "(no error)")}`);
  return lines;
}

function outcome(run: CaseRun, observed: Observation | undefined): string {
  if (!observed) return cell(run.failure ?? "no answer");
  return `${observed.status} ${observed.form}`;
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}
