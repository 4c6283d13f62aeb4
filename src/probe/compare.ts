/** Every difference in shape between what Vertex answered and what the emulator answered to one case. Pure. */
import type { Observation, StreamFraming } from "./observation.ts";

export interface Difference {
  /** status, body form, key, type, value, id form, usage, stream. */
  aspect: string;
  /** What differs, named (`choices[].message.content`, `usageAt`). */
  what: string;
  vertex: string;
  emulator: string;
}

export function compare(vertex: Observation, emulator: Observation): Difference[] {
  const out: Difference[] = [];
  const differ = (aspect: string, what: string, a: unknown, b: unknown) => {
    if (a !== b) out.push({ aspect, what, vertex: show(a), emulator: show(b) });
  };
  differ("status", "HTTP status", vertex.status, emulator.status);
  differ("body form", "body form", vertex.form, emulator.form);
  for (const path of union(vertex.shape, emulator.shape)) {
    const [a, b] = [vertex.shape[path], emulator.shape[path]];
    if (a === undefined || b === undefined) differ("key", path, a === undefined ? "absent" : a, b ?? "absent");
    else differ("type", path, a, b);
  }
  for (const path of union(vertex.values, emulator.values)) {
    if (vertex.shape[path] && emulator.shape[path]) differ("value", path, vertex.values[path], emulator.values[path]);
  }
  for (const path of union(vertex.ids, emulator.ids)) {
    if (vertex.ids[path] && emulator.ids[path]) differ("id form", path, vertex.ids[path], emulator.ids[path]);
  }
  differ("usage", "usage arithmetic", vertex.usage, emulator.usage);
  if (vertex.stream && emulator.stream) {
    for (const key of Object.keys(vertex.stream) as (keyof StreamFraming)[]) {
      differ("stream", key, vertex.stream[key], emulator.stream[key]);
    }
  }
  return out;
}

function union(a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  return [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
}

function show(value: unknown): string {
  return value === undefined ? "absent" : String(value);
}
