/**
 * `npm run emulator`: the local Vertex on its own. Prints its base URL; point the gateway (or any OpenAI client)
 * at it. Settings: VERTEXCHAT_EMULATOR_LISTEN (host:port, default 127.0.0.1:8090),
 * VERTEXCHAT_EMULATOR_PACING_MS (default 0), and VERTEXCHAT_EMULATOR_TLS_CERT_FILE with
 * VERTEXCHAT_EMULATOR_TLS_KEY_FILE (PEM files: serve HTTPS with h2 and http/1.1, as Google's front end does).
 */
import { readFileSync } from "node:fs";
import { startEmulator } from "./emulator-server.ts";

const [host = "127.0.0.1", port = "8090"] = (process.env.VERTEXCHAT_EMULATOR_LISTEN ?? "127.0.0.1:8090").split(
  /:(?=\d+$)/,
);
const pacingMs = Number(process.env.VERTEXCHAT_EMULATOR_PACING_MS ?? "0");
const { VERTEXCHAT_EMULATOR_TLS_CERT_FILE: certFile, VERTEXCHAT_EMULATOR_TLS_KEY_FILE: keyFile } = process.env;
if ((certFile === undefined) !== (keyFile === undefined)) {
  console.error(
    "vertexchat emulator: set both VERTEXCHAT_EMULATOR_TLS_CERT_FILE and VERTEXCHAT_EMULATOR_TLS_KEY_FILE (PEM files), or neither",
  );
  process.exit(2);
}
const tls =
  certFile && keyFile ? { cert: readFileSync(certFile, "utf8"), key: readFileSync(keyFile, "utf8") } : undefined;
const emulator = await startEmulator({ pacingMs, ...(tls ? { tls } : {}) }, Number(port), host);
console.log(
  `Vertex emulator listening; OpenAI base URL: ${emulator.origin}/v1/projects/local-project/locations/global/endpoints/openapi`,
);
console.log("Answers are synthetic. Any Bearer token is accepted.");
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => void emulator.close().then(() => process.exit(0)));
}
