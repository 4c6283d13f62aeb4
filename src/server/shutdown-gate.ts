/**
 * Graceful shutdown for calls: once draining, new calls are refused with UNAVAILABLE (another replica will
 * answer); calls in flight go on until they finish or `stop()` ends them with UNAVAILABLE, which also aborts their
 * upstream requests (through `stopSignal`).
 */
import type { Interceptor } from "@connectrpc/connect";
import { shuttingDown } from "../rpc/error-mapping.ts";
import { RPC_INFO } from "../rpc/rpc-info.ts";
import { whenCallEnds } from "./interceptor-utils.ts";

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

  /**
   * Refuses calls while draining and counts those in flight. It does not race each message against the stop:
   * `stop()` aborts `stopSignal`, which aborts every upstream request, so the calls end at once (as UNAVAILABLE,
   * see chat-service.ts) without a wrapper on every streamed message.
   */
  readonly interceptor: Interceptor = (next) => async (req) => {
    if (this.#draining) throw shuttingDown();
    // A health Watch never ends by itself: it must not hold shutdown for the whole grace period.
    const counted = req.method.name !== "Watch";
    if (counted) this.#inFlight++;
    const finish = () => {
      if (!counted) return;
      this.#inFlight--;
      if (this.#inFlight === 0) for (const resolve of this.#idle.splice(0)) resolve();
    };
    try {
      return whenCallEnds(req.contextValues.get(RPC_INFO), await next(req), finish);
    } catch (err) {
      finish();
      throw err;
    }
  };
}
