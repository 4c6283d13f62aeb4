/** Sends the battery to one target, case by case, and records each answer as it came (the probe's only I/O). */
import type { RecordedAnswer } from "./observation.ts";
import type { JsonObject, ProbeCase } from "./probe-cases.ts";

export interface ProbeTarget {
  /** `vertex` or `emulator`: the recordings' folder. */
  name: string;
  /** The OpenAI-compatible base URL for a location (the client appends `/chat/completions`). */
  baseUrl(location: string): string;
  token(): Promise<string>;
}

export interface CaseRun {
  probe: ProbeCase;
  location: string;
  /** Undefined when the case was skipped (the answer it builds on is missing). */
  request: JsonObject | undefined;
  answer: RecordedAnswer | undefined;
  /** Why no answer came (skipped, timed out, connection refused). */
  failure: string | undefined;
}

export interface BatteryOptions {
  /** The region for `regional` cases. */
  region: string;
  timeoutMs: number;
}

export async function runBattery(
  target: ProbeTarget,
  cases: readonly ProbeCase[],
  opts: BatteryOptions,
): Promise<CaseRun[]> {
  const earlier = new Map<string, unknown>();
  const runs: CaseRun[] = [];
  for (const probe of cases) {
    const location = probe.where === "global" ? "global" : opts.region;
    const request = probe.body(earlier);
    if (!request) {
      runs.push({
        probe,
        location,
        request,
        answer: undefined,
        failure: "skipped: the answer it builds on is missing",
      });
      continue;
    }
    try {
      const answer = await send(target, location, request, opts.timeoutMs);
      if (answer.contentType.includes("json") && answer.status === 200)
        earlier.set(probe.name, JSON.parse(answer.body));
      runs.push({ probe, location, request, answer, failure: undefined });
    } catch (err) {
      runs.push({ probe, location, request, answer: undefined, failure: (err as Error).message });
    }
  }
  return runs;
}

async function send(
  target: ProbeTarget,
  location: string,
  request: JsonObject,
  timeoutMs: number,
): Promise<RecordedAnswer> {
  const res = await fetch(`${target.baseUrl(location)}/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${await target.token()}` },
    body: JSON.stringify(request),
    signal: AbortSignal.timeout(timeoutMs),
  });
  return { status: res.status, contentType: res.headers.get("content-type") ?? "", body: await res.text() };
}

/**
 * A recording with nothing that identifies the caller: the project id and any project number, e-mail addresses
 * (service accounts) and OAuth tokens (Google's, and any given) are replaced. No request or response headers are kept but the content type.
 */
export function redact(text: string, project: string, tokens: readonly string[] = []): string {
  for (const token of tokens) if (token) text = text.split(token).join("REDACTED_TOKEN");
  const id = project.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  // A project id is 6–30 characters; shorter test names are replaced only where a resource path names them.
  const named = project.length >= 6 ? new RegExp(`\\b${id}\\b`, "g") : new RegExp(`(?<=projects/)${id}(?=/)`, "g");
  return text
    .replace(named, "PROJECT")
    .replace(/projects\/\d{6,}/g, "projects/PROJECT_NUMBER")
    .replace(/[\w.+-]+@[\w-]+(\.[\w-]+)+/g, "redacted@example.com")
    .replace(/ya29\.[\w.-]+/g, "REDACTED_TOKEN");
}
