/**
 * Graceful shutdown for calls: once draining, new calls are refused with UNAVAILABLE (another replica will
 * answer); calls in flight go on until they finish or `stop()` ends them with UNAVAILABLE, which also aborts their
 * upstream requests (through `stopSignal`).
 */
import { Code, ConnectError, type Interceptor, type StreamResponse } from "@connectrpc/connect";
import { onResponseEnd } from "./interceptor-utils.ts";

const SHUTTING_DOWN = "the gateway is shutting down; retry the call (another replica will answer)";

export class ShutdownGate {
  readonly #stop = new AbortController();
  #draining = false;
  #inFlight = 0;
  #idle: (() => void)[] = [];

  /** Aborted by `stop()`. */
  get stopSignal(): AbortSignal {
    return this.#stop.signal;
  }

  get inFlight(): number {
    return this.#inFlight;
  }

  /** Refuse new calls from now on. */
  drain(): void {
    this.#draining = true;
  }

  /** Resolves true when no call is in flight, or false when `graceMs` passed first. */
  waitIdle(graceMs: number): Promise<boolean> {
    if (this.#inFlight === 0) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), graceMs);
      this.#idle.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  /** Ends every call still in flight with UNAVAILABLE. */
  stop(): void {
    this.#draining = true;
    this.#stop.abort();
  }

  readonly interceptor: Interceptor = (next) => async (req) => {
    if (this.#draining) {
      throw new ConnectError(
        "the gateway is shutting down; retry the call (another replica will answer)",
        Code.Unavailable,
      );
    }
    // A health Watch never ends by itself: it must not hold shutdown for the whole grace period.
    const counted = req.method.name !== "Watch";
    if (counted) this.#inFlight++;
    const finish = () => {
      if (!counted) return;
      this.#inFlight--;
      if (this.#inFlight === 0) for (const resolve of this.#idle.splice(0)) resolve();
    };
    try {
      const res = await this.#unlessStopped(next(req));
      if (!res.stream) return onResponseEnd(res, finish);
      return onResponseEnd({ ...res, message: this.#guard(res.message) } as StreamResponse, finish);
    } catch (err) {
      finish();
      throw err;
    }
  };

  /**
   * `work`, or UNAVAILABLE as soon as the gate stops. (Not Promise.race against one long-lived promise: every race
   * would leave a reaction on it holding its result, so a long stream would keep every message it ever sent.)
   */
  #unlessStopped<T>(work: Promise<T>): Promise<T> {
    const signal = this.#stop.signal;
    if (signal.aborted) return Promise.reject(new ConnectError(SHUTTING_DOWN, Code.Unavailable));
    return new Promise<T>((resolve, reject) => {
      const onStop = () => reject(new ConnectError(SHUTTING_DOWN, Code.Unavailable));
      signal.addEventListener("abort", onStop, { once: true });
      work.then(
        (value) => {
          signal.removeEventListener("abort", onStop);
          resolve(value);
        },
        (err: unknown) => {
          signal.removeEventListener("abort", onStop);
          reject(err);
        },
      );
    });
  }

  async *#guard<T>(messages: AsyncIterable<T>): AsyncGenerator<T> {
    const iterator = messages[Symbol.asyncIterator]();
    try {
      for (;;) {
        const next = await this.#unlessStopped(iterator.next());
        if (next.done) return;
        yield next.value;
      }
    } finally {
      void iterator.return?.();
    }
  }
}
