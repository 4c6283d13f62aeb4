/**
 * Waiting for a full response buffer to empty, for every writer of a streamed answer (the gateway's adapter, its
 * REST door, the emulator). Waiting for 'drain' alone hangs forever when the reader leaves while the buffer is
 * full: no 'drain' ever comes, and the writer and everything it holds stay alive.
 */

/** What waiting for 'drain' uses of an HTTP/1.1 or HTTP/2 response. */
export interface Drainable {
  readonly destroyed: boolean;
  once(event: "close" | "drain", listener: () => void): unknown;
  off(event: "close" | "drain", listener: () => void): unknown;
}

/** Resolves once `res` can take more, or once the call is over (the caller gone: the next write fails fast). */
export function drained(res: Drainable, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted || res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    res.once("drain", done);
    res.once("close", done);
    signal?.addEventListener("abort", done, { once: true });
  });
}
