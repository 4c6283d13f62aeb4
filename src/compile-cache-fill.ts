/**
 * Every module the gateway process may load, for `node src/main.ts --fill-compile-cache`: serve.ts and all it
 * imports, and what the gateway imports only when the configuration asks for it (tracing, Redis limits, the
 * playground's bundler). Importing them compiles them into the cache; nothing here starts or serves.
 */
import "./serve.ts";
import "./server/tracing.ts";
import "./server/limits/redis-limit-store.ts";
import "esbuild";
