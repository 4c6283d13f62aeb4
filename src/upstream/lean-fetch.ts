/**
 * A `fetch` for the openai client built on undici's `request()`: the same HTTP/1.1 keep-alive client that powers
 * the platform fetch, without the WHATWG Request objects it builds for every call. The client builds, sends and
 * checks the request (status, error bodies) as usual; the gateway then reads the body as a Node stream
 * (`nodeBody`), skipping the web stream, which is created only if the client itself reads the body (error bodies).
 * Connections to each upstream are pooled and kept alive, in a pool the gateway owns and closes on shutdown.
 *
 * No call waits for a connection: HTTPS upstreams that offer HTTP/2 (Google's front end does) multiplex calls over a
 * session, and another connection opens when a session holds as many streams as its server allows; HTTP/1.1
 * upstreams get a connection per concurrent call. What bounds them is the gateway's own limits (streams served at
 * once, callers' quotas), which answer with a clear error instead of a hidden queue.
 */

import type { Readable } from "node:stream";
import { rootCertificates } from "node:tls";
import { Agent } from "undici";

export interface UpstreamHttpOptions {
  /** PEM certificates to trust beside the system's roots. */
  ca?: string;
}

export type LeanFetch = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/** The upstream calls' HTTP client: one undici pool per origin, open until closed. */
export class UpstreamHttp {
  readonly #agent: Agent;
  readonly fetch: LeanFetch = (input, init) => leanFetch(this.#agent, input, init);

  constructor(opts: UpstreamHttpOptions = {}) {
    this.#agent = new Agent({
      keepAliveTimeout: 60_000,
      keepAliveMaxTimeout: 600_000,
      allowH2: true,
      ...(opts.ca ? { connect: { ca: [...rootCertificates, opts.ca] } } : {}),
    });
  }

  /**
   * Opens a connection to each origin before the first call needs one: a `GET /` without credentials, whose answer
   * is ignored, leaves the connection (an HTTP/2 session, or a kept-alive HTTP/1.1 socket) in the pool. Resolves
   * once each has answered or failed, or `timeoutMs` has passed, with the origins that could not be reached.
   */
  async connectAhead(origins: Iterable<string>, timeoutMs: number): Promise<{ origin: string; error: string }[]> {
    const signal = AbortSignal.timeout(timeoutMs);
    const failed: { origin: string; error: string }[] = [];
    await Promise.all(
      [...new Set(origins)].map(async (origin) => {
        try {
          // Not HEAD: undici closes an HTTP/1.1 connection after a HEAD request.
          const res = await this.#agent.request({ origin, path: "/", method: "GET", signal });
          await res.body.dump();
        } catch (err) {
          failed.push({ origin, error: err instanceof Error ? err.message : String(err) });
        }
      }),
    );
    return failed;
  }

  /** Closes every pooled connection; requests still open are aborted (call it once no call is running). */
  close(): Promise<void> {
    return this.#agent.destroy();
  }
}

const nodeBodies = new WeakMap<Response, Readable>();

/** The Node stream under a response that leanFetch made. */
export function nodeBody(response: Response): Readable {
  const body = nodeBodies.get(response);
  if (!body) throw new Error("nodeBody: the response was not made by leanFetch");
  return body;
}

async function leanFetch(agent: Agent, input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
  const { origin, path } = originAndPath(
    typeof input === "string" ? input : input instanceof URL ? input.href : input.url,
  );
  const headers: Record<string, string> = {};
  const given = init.headers instanceof Headers ? init.headers : new Headers(init.headers);
  for (const [name, value] of given) headers[name] = value;
  const res = await agent.request({
    origin,
    path,
    method: (init.method ?? "GET") as "POST",
    headers,
    body: (init.body ?? null) as string | null,
    signal: init.signal ?? null,
  });
  const responseHeaders = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (Array.isArray(value)) for (const v of value) responseHeaders.append(name, v);
    else if (value !== undefined) responseHeaders.set(name, value);
  }
  // The client reads the body of an error answer itself; a success's body is read by the gateway (nodeBody), so it
  // gets no web stream at all.
  const response = new Response(res.statusCode < 300 ? null : lazyWebStream(res.body), {
    status: res.statusCode,
    headers: responseHeaders,
  });
  // Whoever reads the body hears its errors through their own listener; once nobody reads it (finished, given up),
  // a late abort of the request must not become an uncaught 'error' event.
  res.body.on("error", ignore);
  nodeBodies.set(response, res.body);
  return response;
}

function ignore(): void {}

/**
 * The origin and the path of an absolute URL the client built (already normalised by it), without a URL parse per
 * call; anything unusual is parsed.
 */
function originAndPath(href: string): { origin: string; path: string } {
  const afterScheme = href.indexOf("://");
  const slash = afterScheme < 0 ? -1 : href.indexOf("/", afterScheme + 3);
  if (slash < 0 || href.includes("@") || href.includes("#")) {
    const url = new URL(href);
    return { origin: url.origin, path: url.pathname + url.search };
  }
  return { origin: href.slice(0, slash), path: href.slice(slash) };
}

/** A web stream over the Node body that touches it only when first read. */
function lazyWebStream(body: Readable): ReadableStream<Uint8Array> {
  let iterator: AsyncIterator<Buffer> | undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        iterator ??= body[Symbol.asyncIterator]();
        const next = await iterator.next();
        if (next.done) controller.close();
        else controller.enqueue(new Uint8Array(next.value.buffer, next.value.byteOffset, next.value.byteLength));
      },
      cancel(reason) {
        body.destroy(reason instanceof Error ? reason : undefined);
      },
    },
    { highWaterMark: 0 },
  );
}
