/**
 * Where per-caller counters live: in this process, or in Redis so that every replica shares them. Requests and
 * tokens are counted in one-minute windows; open streams are leases that expire if a replica dies holding them.
 */

export interface LimitStore {
  /** Counts a request; returns the milliseconds to wait when the caller is over `limit` this minute. */
  takeRequest(caller: string, limit: number): Promise<number | undefined>;
  /** The milliseconds to wait when the caller already used `limit` tokens this minute. */
  tokensOver(caller: string, limit: number): Promise<number | undefined>;
  /** Adds the tokens a finished call used. */
  addTokens(caller: string, tokens: number): Promise<void>;
  /** Opens a stream; returns its release, or undefined when the caller already has `limit` open. */
  acquireStream(caller: string, limit: number): Promise<(() => Promise<void>) | undefined>;
  close(): Promise<void>;
}

export const WINDOW_MS = 60_000;

export function currentWindow(now = Date.now()): { index: number; msLeft: number } {
  const index = Math.floor(now / WINDOW_MS);
  return { index, msLeft: (index + 1) * WINDOW_MS - now };
}

export class MemoryLimitStore implements LimitStore {
  readonly #requests = new Map<string, { window: number; count: number }>();
  readonly #tokens = new Map<string, { window: number; count: number }>();
  readonly #streams = new Map<string, number>();

  async takeRequest(caller: string, limit: number): Promise<number | undefined> {
    const { index, msLeft } = currentWindow();
    const entry = this.#requests.get(caller);
    const count = entry?.window === index ? entry.count + 1 : 1;
    this.#requests.set(caller, { window: index, count });
    return count > limit ? msLeft : undefined;
  }

  async tokensOver(caller: string, limit: number): Promise<number | undefined> {
    const { index, msLeft } = currentWindow();
    const entry = this.#tokens.get(caller);
    return entry?.window === index && entry.count >= limit ? msLeft : undefined;
  }

  async addTokens(caller: string, tokens: number): Promise<void> {
    const { index } = currentWindow();
    const entry = this.#tokens.get(caller);
    this.#tokens.set(caller, { window: index, count: (entry?.window === index ? entry.count : 0) + tokens });
  }

  async acquireStream(caller: string, limit: number): Promise<(() => Promise<void>) | undefined> {
    const open = this.#streams.get(caller) ?? 0;
    if (open >= limit) return undefined;
    this.#streams.set(caller, open + 1);
    let released = false;
    return async () => {
      if (released) return;
      released = true;
      this.#streams.set(caller, (this.#streams.get(caller) ?? 1) - 1);
    };
  }

  async close(): Promise<void> {}
}
