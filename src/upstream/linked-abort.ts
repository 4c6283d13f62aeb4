/**
 * An AbortController that aborts when any of the given signals does, with an explicit release. AbortSignal.any does
 * the same, but keeps dependent signals registered on long-lived sources (the gateway's stop signal) and refreshes
 * them as listeners come and go on every streamed chunk; this is one listener per source, removed when the call ends.
 */
export interface LinkedAbort {
  signal: AbortSignal;
  abort(reason: unknown): void;
  release(): void;
}

export function linkedAbort(sources: (AbortSignal | undefined)[]): LinkedAbort {
  const controller = new AbortController();
  const links: [AbortSignal, () => void][] = [];
  for (const source of sources) {
    if (!source) continue;
    if (source.aborted) {
      controller.abort(source.reason);
      break;
    }
    const onAbort = () => controller.abort(source.reason);
    source.addEventListener("abort", onAbort, { once: true });
    links.push([source, onAbort]);
  }
  return {
    signal: controller.signal,
    abort: (reason) => controller.abort(reason),
    release: () => {
      for (const [source, onAbort] of links.splice(0)) source.removeEventListener("abort", onAbort);
    },
  };
}
