/**
 * What the probe compares of one answer: not its text or counts, which differ between any two model runs, but its
 * shape — status, body form, the keys present and their types, the values that are vocabulary (roles, finish
 * reasons, error statuses, traffic types), id forms, usage arithmetic and stream framing. Pure.
 */
import { SseParser } from "../upstream/sse-reader.ts";

/** An HTTP answer as recorded: the replayable part (see test/support/replay-upstream.ts). */
export interface RecordedAnswer {
  status: number;
  contentType: string;
  body: string;
}

export interface StreamFraming {
  /** The last event is `data: [DONE]`. */
  done: boolean;
  /** Where usage came: on the last chunk only, on every chunk, on none, or elsewhere. */
  usageAt: "last" | "every" | "none" | "elsewhere";
  /** Every chunk repeats the same id, created and model. */
  sameIdEverywhere: boolean;
  /** The first chunk's delta carries `role`. */
  roleInFirstChunk: boolean;
  /** Where finish_reason came: the last content chunk, a chunk of its own, or not at all. */
  finishAt: "with-content" | "own-chunk" | "none";
  /** An error frame (`data: {"error": …}`) inside the stream. */
  errorFrame: boolean;
}

export interface Observation {
  status: number;
  /** json, sse, json-array-error ([{error}]), json-object-error ({error}), html, text or empty. */
  form: string;
  /** Key path (`choices[].message.content`, chunks as `chunk.…`) → the JSON types seen there, sorted, `|`-joined. */
  shape: Record<string, string>;
  /** Vocabulary values at their paths, `|`-joined when several were seen. */
  values: Record<string, string>;
  /** Id paths → their form (see idForm). */
  ids: Record<string, string>;
  /** Which identity the usage satisfies, or why none. */
  usage: string;
  stream: StreamFraming | undefined;
  /** The error's message, for the report only (never compared). */
  errorMessage: string | undefined;
}

/** Paths whose values are vocabulary, compared verbatim. */
const VOCABULARY = new Set([
  "object",
  "chunk.object",
  "choices[].message.role",
  "chunk.choices[].delta.role",
  "choices[].finish_reason",
  "chunk.choices[].finish_reason",
  "choices[].message.tool_calls[].type",
  "chunk.choices[].delta.tool_calls[].type",
  "usage.extra_properties.google.traffic_type",
  "chunk.usage.extra_properties.google.traffic_type",
  "error.status",
  "error.code",
  "[].error.status",
  "[].error.code",
  "chunk.error.status",
]);

const ID_PATHS = new Set([
  "id",
  "chunk.id",
  "choices[].message.tool_calls[].id",
  "chunk.choices[].delta.tool_calls[].id",
]);

export function observe(answer: RecordedAnswer): Observation {
  const observation: Observation = {
    status: answer.status,
    form: "empty",
    shape: {},
    values: {},
    ids: {},
    usage: "none",
    stream: undefined,
    errorMessage: undefined,
  };
  const collector = new Collector();
  if (answer.contentType.includes("text/event-stream")) {
    observation.form = "sse";
    const chunks = sseChunks(answer.body);
    for (const chunk of chunks.values) collector.walk(chunk, "chunk");
    observation.stream = framing(chunks.values, chunks.done);
    const last = chunks.values.findLast((c) => isObject(c) && isObject(c.usage));
    observation.usage = usageIdentity(isObject(last) ? last.usage : undefined);
    observation.errorMessage = errorMessageOf(chunks.values.find((c) => isObject(c) && "error" in c));
  } else if (answer.body.trim() === "") {
    observation.form = "empty";
  } else {
    const parsed = parseJson(answer.body);
    if (parsed === undefined) observation.form = /<html/i.test(answer.body) ? "html" : "text";
    else {
      observation.form = errorForm(parsed);
      collector.walk(parsed, "");
      if (isObject(parsed)) observation.usage = usageIdentity(parsed.usage);
      observation.errorMessage = errorMessageOf(parsed);
    }
  }
  observation.shape = collector.shape();
  observation.values = collector.values();
  observation.ids = collector.ids();
  return observation;
}

class Collector {
  #types = new Map<string, Set<string>>();
  #values = new Map<string, Set<string>>();
  #ids = new Map<string, Set<string>>();

  walk(value: unknown, path: string): void {
    const type = jsonType(value);
    if (path !== "" && path !== "chunk") add(this.#types, path, type);
    if (VOCABULARY.has(path) && (type === "string" || type === "number")) add(this.#values, path, String(value));
    if (ID_PATHS.has(path) && type === "string") add(this.#ids, path, idForm(value as string));
    if (Array.isArray(value)) for (const item of value) this.walk(item, `${path}[]`);
    else if (isObject(value)) {
      for (const [key, child] of Object.entries(value)) this.walk(child, path === "" ? key : `${path}.${key}`);
    }
  }

  shape = () => flatten(this.#types);
  values = () => flatten(this.#values);
  ids = () => flatten(this.#ids);
}

function add(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key) ?? new Set<string>();
  set.add(value);
  map.set(key, set);
}

function flatten(map: Map<string, Set<string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const key of [...map.keys()].sort()) out[key] = [...(map.get(key) as Set<string>)].sort().join("|");
  return out;
}

/**
 * An id's form: a literal lowercase prefix (`function-call-`, `chatcmpl-`) kept before a structured rest
 * (`function-call-uuid`, `hex32`, `digits12`). Random tokens (letters, digits, `-`, `_`) get a length band only:
 * Vertex's response ids are 22 or 23 characters, and whether a random one holds a `-` is chance.
 */
export function idForm(id: string): string {
  const prefix = /^(?:[a-z]+[-_])+(?=[0-9a-zA-Z])/.exec(id)?.[0] ?? "";
  const rest = id.slice(prefix.length);
  // A prefix counts only before a structured rest: in a random token, a leading `ab-` is chance.
  if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(rest)) return `${prefix}uuid`;
  if (/^\d+$/.test(rest)) return `${prefix}digits${rest.length}`;
  if (/^[0-9a-f]+$/.test(rest) && rest.length >= 16) return `${prefix}hex${rest.length}`;
  if (/^[A-Za-z0-9_-]+$/.test(id)) {
    const band = id.length < 16 ? "1–15" : id.length < 32 ? "16–31" : id.length < 64 ? "32–63" : "64+";
    return `token(${band} chars)`;
  }
  return `text${id.length}`;
}

/** Which arithmetic the usage follows: Vertex's (reasoning outside completion) or OpenAI's (inside). */
export function usageIdentity(usage: unknown): string {
  if (!isObject(usage)) return "none";
  const { prompt_tokens: prompt, completion_tokens: completion, total_tokens: total } = usage;
  if (typeof prompt !== "number" || typeof completion !== "number" || typeof total !== "number") {
    return "incomplete (prompt, completion or total missing)";
  }
  const details = usage.completion_tokens_details;
  const reasoning = isObject(details) && typeof details.reasoning_tokens === "number" ? details.reasoning_tokens : 0;
  if (total === prompt + completion + reasoning) {
    return reasoning > 0 ? "total = prompt + completion + reasoning" : "total = prompt + completion";
  }
  if (reasoning > 0 && total === prompt + completion) return "total = prompt + completion (reasoning inside)";
  return "none of the identities holds";
}

function framing(chunks: unknown[], done: boolean): StreamFraming {
  const objects = chunks.filter(isObject);
  const withUsage = objects.map((c) => isObject(c.usage));
  const usageAt = !withUsage.some(Boolean)
    ? "none"
    : withUsage.every(Boolean)
      ? "every"
      : withUsage.at(-1) && withUsage.filter(Boolean).length === 1
        ? "last"
        : "elsewhere";
  const first = objects[0];
  const identity = (c: Record<string, unknown>) => JSON.stringify([c.id, c.created, c.model]);
  const finishing = objects.filter((c) => choicesOf(c).some((choice) => choice.finish_reason));
  const finishChunk = finishing.at(-1);
  const carriesContent = finishChunk
    ? choicesOf(finishChunk).some((choice) => {
        const delta = choice.delta;
        return isObject(delta) && Object.keys(delta).some((k) => k !== "role" && delta[k] !== null && delta[k] !== "");
      })
    : false;
  return {
    done,
    usageAt,
    sameIdEverywhere: objects.every((c) => identity(c) === identity(first ?? {})),
    roleInFirstChunk: first ? choicesOf(first).some((c) => isObject(c.delta) && "role" in c.delta) : false,
    finishAt: !finishChunk ? "none" : carriesContent ? "with-content" : "own-chunk",
    errorFrame: objects.some((c) => "error" in c),
  };
}

function choicesOf(chunk: Record<string, unknown>): Record<string, unknown>[] {
  return Array.isArray(chunk.choices) ? chunk.choices.filter(isObject) : [];
}

function sseChunks(body: string): { values: unknown[]; done: boolean } {
  const parser = new SseParser();
  const events = [...parser.push(body), ...parser.end()];
  const done = events.at(-1)?.data === "[DONE]";
  const values = events.filter((e) => e.data !== "[DONE]").map((e) => parseJson(e.data) ?? { unparsable: e.data });
  return { values, done };
}

function errorForm(parsed: unknown): string {
  if (Array.isArray(parsed) && isObject(parsed[0]) && "error" in parsed[0]) return "json-array-error";
  if (isObject(parsed) && "error" in parsed) return "json-object-error";
  return "json";
}

function errorMessageOf(parsed: unknown): string | undefined {
  const holder = Array.isArray(parsed) ? parsed[0] : parsed;
  const error = isObject(holder) ? holder.error : undefined;
  return isObject(error) && typeof error.message === "string" ? error.message : undefined;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function jsonType(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "array";
  return typeof value;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
