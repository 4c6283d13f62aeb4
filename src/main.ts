/**
 * Process entry. Compiling the gateway's modules (stripping their types, then V8's parse and compile) is most of a
 * cold start, so Node's compile cache is turned on before any of them loads: once the cache holds them, starts read
 * both back from disk (about 0.25 s less from spawn to listening, see README's Performance section). The cache is
 * Node's own: `NODE_COMPILE_CACHE` names its folder (by default `node-compile-cache` in the OS temp folder, filled by
 * the first start) and `NODE_DISABLE_COMPILE_CACHE=1` turns it off; a folder that cannot be written only costs the
 * speed-up.
 *
 * `--fill-compile-cache` loads every module the gateway may load, writes the cache and exits without serving: the
 * container image runs it at build time, so that a fresh container's first start reads compiled code too.
 */
import { enableCompileCache, flushCompileCache } from "node:module";

enableCompileCache();
if (process.argv.includes("--fill-compile-cache")) {
  await import("./compile-cache-fill.ts");
  flushCompileCache();
} else {
  const { serve } = await import("./serve.ts");
  await serve(process.argv.slice(2), process.env);
}
