/**
 * A `fetch` for the openai client built on undici's `request()`: the same HTTP/1.1 keep-alive client that powers
 * the platform fetch, without the WHATWG Request/Headers objects it builds for every call. The client still parses
 * the SSE and JSON; this only moves bytes. Connections to each upstream are pooled and kept alive.
 */
import { Readable } from "node:stream";
import { Agent } from "undici";

const agent = new Agent({ keepAliveTimeout: 60_000, keepAliveMaxTimeout: 600_000, connections: 1024 });

export async function leanFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
  const url = typeof input === "string" ? new URL(input) : input instanceof URL ? input : new URL(input.url);
  const headers: Record<string, string> = {};
  new Headers(init.headers).forEach((value, name) => {
    headers[name] = value;
  });
  const res = await agent.request({
    origin: url.origin,
    path: url.pathname + url.search,
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
  const body = Readable.toWeb(res.body) as ReadableStream<Uint8Array>;
  return new Response(res.statusCode === 204 ? null : body, { status: res.statusCode, headers: responseHeaders });
}
