/**
 * The browser playground at `/playground/`: the page in ./page, bundled from TypeScript with esbuild in the
 * background when the gateway starts (in memory, no network, nothing written), served with a strict Content-Security-Policy: the page
 * talks to this origin's Connect API and nothing else.
 */
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import type { Logger } from "pino";

const PAGE = new URL("./page/", import.meta.url);
const PREFIX = "/playground/";

const HEADERS = {
  "cache-control": "no-cache",
  "x-content-type-options": "nosniff",
  "content-security-policy":
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'",
};

interface Asset {
  type: string;
  body: Buffer;
}

let built: Promise<Map<string, Asset>> | undefined;

/** The page's files, by path under /playground/; bundled once per process. */
export function buildPlayground(): Promise<Map<string, Asset>> {
  built ??= bundle();
  return built;
}

async function bundle(): Promise<Map<string, Asset>> {
  const { build } = await import("esbuild");
  const bundled = await build({
    entryPoints: [new URL("app.ts", PAGE).pathname],
    bundle: true,
    format: "esm",
    platform: "browser",
    target: "es2022",
    minify: true,
    write: false,
    logLevel: "silent",
  });
  const script = bundled.outputFiles[0];
  if (!script) throw new Error("esbuild produced no bundle for the playground");
  return new Map<string, Asset>([
    ["", { type: "text/html; charset=utf-8", body: readFileSync(new URL("index.html", PAGE)) }],
    ["style.css", { type: "text/css; charset=utf-8", body: readFileSync(new URL("style.css", PAGE)) }],
    ["app.js", { type: "text/javascript; charset=utf-8", body: Buffer.from(script.contents) }],
  ]);
}

type Res = ServerResponse | Http2ServerResponse;

/**
 * Serves the page's files (once the bundle is ready: a request that comes first waits for it); true when the path
 * was the playground's. A bundle that failed is a 500 naming the cause, and logged once.
 */
export function playgroundHandler(
  assets: Promise<Map<string, Asset>>,
  logger: Logger,
): (req: IncomingMessage | Http2ServerRequest, res: Res) => boolean {
  assets.catch((err: unknown) =>
    logger.error({ err }, "the playground could not be bundled; /playground/ answers 500"),
  );
  return (req, nodeRes) => {
    const path = (req.url ?? "").split("?", 1)[0] ?? "";
    if (path !== "/playground" && !path.startsWith(PREFIX)) return false;
    const res = nodeRes as unknown as {
      writeHead(status: number, headers: Record<string, string>): unknown;
      end(body?: Buffer | string): unknown;
    };
    if (path === "/playground") {
      res.writeHead(308, { location: PREFIX });
      res.end();
      return true;
    }
    assets.then(
      (files) => serveAsset(files, path.slice(PREFIX.length), req.method, res),
      (err: unknown) => {
        res.writeHead(500, { "content-type": "text/plain; charset=utf-8" });
        res.end(`the playground could not be bundled: ${(err as Error).message}\n`);
      },
    );
    return true;
  };
}

function serveAsset(
  files: Map<string, Asset>,
  name: string,
  method: string | undefined,
  res: { writeHead(status: number, headers: Record<string, string>): unknown; end(body?: Buffer | string): unknown },
): void {
  const asset = files.get(name);
  if (!asset || (method !== "GET" && method !== "HEAD")) {
    res.writeHead(asset ? 405 : 404, {
      "content-type": "text/plain; charset=utf-8",
      ...(asset ? { allow: "GET" } : {}),
    });
    res.end(asset ? "the playground's files are read with GET\n" : "not a file of the playground; open /playground/\n");
    return;
  }
  res.writeHead(200, { ...HEADERS, "content-type": asset.type, "content-length": String(asset.body.length) });
  res.end(method === "HEAD" ? undefined : asset.body);
}

/**
 * Whether the playground is served: `on`/`off` as set; `auto` serves it when the answers are the emulator's, or
 * when only this machine can reach the gateway and callers need no credentials.
 */
export function playgroundEnabled(
  setting: "auto" | "on" | "off",
  facts: { emulator: boolean; loopback: boolean; authNone: boolean },
): boolean {
  if (setting !== "auto") return setting === "on";
  return facts.emulator || (facts.loopback && facts.authNone);
}
