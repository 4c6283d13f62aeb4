/**
 * Every setting of the gateway, in one table: its environment variable, its flag, its default, how it is checked,
 * and the line README.md shows for it (a test keeps README's table in step with this one).
 */

import { VERTEX_INLINE_IMAGE_BYTES, VERTEX_INLINE_MEDIA_BYTES } from "../wire/vertex-media.ts";
import { LOCATION_PATTERN } from "../wire/vertex-urls.ts";

/** How callers may prove who they are (VERTEXCHAT_AUTH): the one list of modes. */
export const AUTH_MODES = ["none", "api_key", "id_token", "mtls"] as const;
export type AuthMode = (typeof AUTH_MODES)[number];

export class ConfigError extends Error {
  override name = "ConfigError";
}

export interface Setting<T> {
  env: string;
  /** The command-line flag, `--name=value` or `--name value`. */
  flag: string;
  /** The default as written in the environment ("" for none). */
  default: string;
  doc: string;
  /** Parses a raw value; throws a message naming what is accepted. */
  parse(raw: string): T;
}

function setting<T>(s: Setting<T>): Setting<T> {
  return s;
}

const oneOf =
  <T extends string>(...values: T[]) =>
  (raw: string): T => {
    if ((values as string[]).includes(raw)) return raw as T;
    throw new Error(`accepted: ${values.join(", ")}`);
  };

const positiveInt = (raw: string): number => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new Error("accepted: a whole number ≥ 0");
  return n;
};

const atLeastOne = (raw: string): number => {
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error("accepted: a whole number ≥ 1");
  return n;
};

const text = (raw: string): string => raw;

function hostPort(raw: string): { host: string; port: number } {
  const match = /^(\[[0-9a-fA-F:]+\]|[^:\s]+):(\d{1,5})$/.exec(raw);
  const port = Number(match?.[2]);
  if (!match || port > 65535) throw new Error("accepted: host:port, for example 0.0.0.0:8080 or [::]:8080");
  return { host: (match[1] ?? "").replace(/^\[|\]$/g, ""), port };
}

export const SETTINGS = {
  listen: setting({
    env: "VERTEXCHAT_LISTEN",
    flag: "--listen",
    default: "127.0.0.1:8080",
    doc: "Address for gRPC (h2c or h2 with TLS), gRPC-Web and Connect (HTTP/1.1 and HTTP/2), as `host:port`. Port 0 picks a free port.",
    parse: hostPort,
  }),
  tlsCert: setting({
    env: "VERTEXCHAT_TLS_CERT",
    flag: "--tls-cert",
    default: "",
    doc: "PEM certificate chain file. With `VERTEXCHAT_TLS_KEY`, serves TLS offering h2 and http/1.1.",
    parse: text,
  }),
  tlsKey: setting({
    env: "VERTEXCHAT_TLS_KEY",
    flag: "--tls-key",
    default: "",
    doc: "PEM private key file for `VERTEXCHAT_TLS_CERT`.",
    parse: text,
  }),
  routingFile: setting({
    env: "VERTEXCHAT_CONFIG",
    flag: "--config",
    default: "",
    doc: "Routing file (YAML or JSON): upstreams and model routes (see Routing). Unset: one Vertex upstream from `GOOGLE_CLOUD_PROJECT` and `GOOGLE_CLOUD_LOCATION`.",
    parse: text,
  }),
  project: setting({
    env: "GOOGLE_CLOUD_PROJECT",
    flag: "--project",
    default: "",
    doc: "Google Cloud project for Vertex AI. Unset: the gateway serves from its built-in emulator (synthetic answers).",
    parse: text,
  }),
  location: setting({
    env: "GOOGLE_CLOUD_LOCATION",
    flag: "--location",
    default: "global",
    doc: "Vertex location: `global` or a region such as `us-central1`. Gemini 3 previews exist only at `global`.",
    parse(raw: string) {
      if (!LOCATION_PATTERN.test(raw)) throw new Error("accepted: global or a region like us-central1");
      return raw;
    },
  }),
  apiVersion: setting({
    env: "VERTEXCHAT_API_VERSION",
    flag: "--api-version",
    default: "v1",
    doc: "Vertex API version in the URL.",
    parse: oneOf("v1", "v1beta1"),
  }),
  vertexOrigin: setting({
    env: "VERTEXCHAT_VERTEX_ORIGIN",
    flag: "--vertex-origin",
    default: "",
    doc: "Replaces Google's host (`https://{LOC}-aiplatform.googleapis.com`) while keeping Vertex's path, e.g. a Private Service Connect address.",
    parse(raw: string) {
      if (raw === "") return raw;
      let url: URL;
      try {
        url = new URL(raw);
      } catch {
        throw new Error("accepted: an http:// or https:// origin such as https://vertex.internal:443");
      }
      if (!/^https?:$/.test(url.protocol) || (url.pathname !== "/" && url.pathname !== "")) {
        throw new Error("accepted: an http:// or https:// origin without a path");
      }
      return url.origin;
    },
  }),
  emulator: setting({
    env: "VERTEXCHAT_EMULATOR",
    flag: "--emulator",
    default: "auto",
    doc: "`auto`: start the built-in Vertex emulator when neither `GOOGLE_CLOUD_PROJECT` nor `VERTEXCHAT_CONFIG` is set; `on`: always (routing-file upstreams reach it with `origin: emulator`); `off`: never.",
    parse: oneOf("auto", "on", "off"),
  }),
  emulatorPacingMs: setting({
    env: "VERTEXCHAT_EMULATOR_PACING_MS",
    flag: "--emulator-pacing-ms",
    default: "20",
    doc: "Built-in emulator only: milliseconds between streamed chunks, so streaming is visible.",
    parse: positiveInt,
  }),
  googleFieldsPlacement: setting({
    env: "VERTEXCHAT_GOOGLE_FIELDS_PLACEMENT",
    flag: "--google-fields-placement",
    default: "extra_body",
    doc: 'Where Gemini options go in the upstream body: `extra_body` (`{"extra_body":{"google":…}}`, as Google documents) or `top_level` (`{"google":…}`).',
    parse: oneOf("extra_body", "top_level"),
  }),
  defaultTimeoutMs: setting({
    env: "VERTEXCHAT_DEFAULT_TIMEOUT_MS",
    flag: "--default-timeout-ms",
    default: "600000",
    doc: "Upstream time limit for calls that carry no deadline (Vertex's own limit is 10 minutes).",
    parse: positiveInt,
  }),
  retryMaxAttempts: setting({
    env: "VERTEXCHAT_RETRY_MAX_ATTEMPTS",
    flag: "--retry-max-attempts",
    default: "3",
    doc: "Upstream attempts in all for 429, 500, 503 and connection failures, made only while nothing has reached the caller (1 turns retries off).",
    parse: atLeastOne,
  }),
  retryInitialBackoffMs: setting({
    env: "VERTEXCHAT_RETRY_INITIAL_BACKOFF_MS",
    flag: "--retry-initial-backoff-ms",
    default: "1000",
    doc: "Cap of the first retry's random wait; doubles per retry (full jitter), always within the caller's deadline.",
    parse: positiveInt,
  }),
  retryMaxBackoffMs: setting({
    env: "VERTEXCHAT_RETRY_MAX_BACKOFF_MS",
    flag: "--retry-max-backoff-ms",
    default: "10000",
    doc: "Largest wait between two attempts.",
    parse: positiveInt,
  }),
  streamFirstChunkTimeoutMs: setting({
    env: "VERTEXCHAT_STREAM_FIRST_CHUNK_TIMEOUT_MS",
    flag: "--stream-first-chunk-timeout-ms",
    default: "300000",
    doc: "Longest wait for a stream's first chunk (thinking happens before it) before the call fails with DEADLINE_EXCEEDED.",
    parse: atLeastOne,
  }),
  streamIdleTimeoutMs: setting({
    env: "VERTEXCHAT_STREAM_IDLE_TIMEOUT_MS",
    flag: "--stream-idle-timeout-ms",
    default: "60000",
    doc: "Longest silence between two chunks of a stream, so a stalled upstream is detected while a long healthy stream is not cut.",
    parse: atLeastOne,
  }),
  credentialsFetch: setting({
    env: "VERTEXCHAT_CREDENTIALS_FETCH",
    flag: "--credentials-fetch",
    default: "startup",
    doc: "When the gateway first gets a Google access token: `startup` (ChatService health is NOT_SERVING until it has one) or `first_call` (SERVING until a fetch fails). Either way a failed fetch is retried in the background and health is NOT_SERVING until a token comes.",
    parse: oneOf("startup", "first_call"),
  }),
  credentialsRetryMaxMs: setting({
    env: "VERTEXCHAT_CREDENTIALS_RETRY_MAX_MS",
    flag: "--credentials-retry-max-ms",
    default: "30000",
    doc: "Longest wait between background attempts to get Google credentials while none can be had (from 500 ms, doubling, with jitter).",
    parse: atLeastOne,
  }),
  maxRequestBytes: setting({
    env: "VERTEXCHAT_MAX_REQUEST_BYTES",
    flag: "--max-request-bytes",
    default: "33554432",
    doc: "Largest request message accepted (RESOURCE_EXHAUSTED beyond).",
    parse: atLeastOne,
  }),
  maxInlineImageBytes: setting({
    env: "VERTEXCHAT_MAX_INLINE_IMAGE_BYTES",
    flag: "--max-inline-image-bytes",
    default: String(VERTEX_INLINE_IMAGE_BYTES),
    doc: "Largest inline image (Vertex's limit is 7 MB per image); larger ones belong in Cloud Storage.",
    parse: atLeastOne,
  }),
  maxInlineMediaBytes: setting({
    env: "VERTEXCHAT_MAX_INLINE_MEDIA_BYTES",
    flag: "--max-inline-media-bytes",
    default: String(VERTEX_INLINE_MEDIA_BYTES),
    doc: "Largest inline audio, video or document.",
    parse: atLeastOne,
  }),
  maxConcurrentStreams: setting({
    env: "VERTEXCHAT_MAX_CONCURRENT_STREAMS",
    flag: "--max-concurrent-streams",
    default: "auto",
    doc: "Streaming calls served at once by this process; more are refused with RESOURCE_EXHAUSTED and RetryInfo. `auto`: derived from what the process may use — V8's heap limit or the container's memory limit, whichever is lower (64 KiB per stream after 48 MiB idle, in three quarters of it), and the open-files limit (two sockets per stream); the listening line shows the cap and the limit that decided it.",
    parse: (raw) => (raw === "auto" ? "auto" : atLeastOne(raw)),
  }),
  unknownJsonFields: setting({
    env: "VERTEXCHAT_UNKNOWN_JSON_FIELDS",
    flag: "--unknown-json-fields",
    default: "reject",
    doc: "Connect JSON requests with a field the contract does not have: `reject` (INVALID_ARGUMENT naming the field and the nearest known one) or `ignore` (dropped, for clients built from a newer contract).",
    parse: oneOf("reject", "ignore"),
  }),
  openaiApi: setting({
    env: "VERTEXCHAT_OPENAI_API",
    flag: "--openai-api",
    default: "on",
    doc: "The OpenAI-compatible REST API (`POST /v1/chat/completions`, `GET /v1/models`, Vertex-shaped paths) on the same listener, behind the same auth and limits: `on` or `off`.",
    parse: oneOf("on", "off"),
  }),
  warmUp: setting({
    env: "VERTEXCHAT_WARM_UP",
    flag: "--warm-up",
    default: "on",
    doc: "Before listening, send one unary and one streaming call through the gateway's own code against a canned loopback upstream (no call reaches a configured upstream, nothing is logged or counted), so that the first caller does not pay for compiling the request path; and open a connection to each HTTPS upstream (its first location; a `GET /` without credentials, its answer ignored, waiting at most 1 s), so that the first call does not wait for the TCP and TLS handshakes: `on` or `off`.",
    parse: oneOf("on", "off"),
  }),
  playground: setting({
    env: "VERTEXCHAT_PLAYGROUND",
    flag: "--playground",
    default: "auto",
    doc: "The browser playground at `/playground/`: `auto` serves it when answers come from the built-in emulator, or on a loopback address with `VERTEXCHAT_AUTH=none`; `on` always (behind the same caller auth for its calls); `off` never.",
    parse: oneOf("auto", "on", "off"),
  }),
  reflection: setting({
    env: "VERTEXCHAT_REFLECTION",
    flag: "--reflection",
    default: "on",
    doc: "gRPC server reflection (v1 and v1alpha), so buf curl, grpcurl and Postman work without proto files: `on` or `off`.",
    parse: oneOf("on", "off"),
  }),
  auth: setting({
    env: "VERTEXCHAT_AUTH",
    flag: "--auth",
    default: "none",
    doc: "How callers prove who they are: `none`, or a comma list of `api_key`, `id_token` (Google-signed ID tokens), `mtls` (client certificates). See Operations.",
    parse(raw: string) {
      const modes = raw
        .split(",")
        .map((m) => m.trim())
        .filter(Boolean);
      const bad = modes.find((m) => !(AUTH_MODES as readonly string[]).includes(m));
      if (bad !== undefined || modes.length === 0)
        throw new Error(`accepted: none, or a comma list of api_key, id_token, mtls`);
      if (modes.includes("none") && modes.length > 1)
        throw new Error("accepted: none alone, or a comma list of api_key, id_token, mtls");
      return modes as AuthMode[];
    },
  }),
  allowUnauthenticated: setting({
    env: "VERTEXCHAT_ALLOW_UNAUTHENTICATED",
    flag: "--allow-unauthenticated",
    default: "false",
    doc: "With `VERTEXCHAT_AUTH=none`, also serve on a non-loopback address (`true`); refused otherwise, so a gateway that spends Google quota is never left open by accident.",
    parse: (raw: string) => oneOf("true", "false")(raw) === "true",
  }),
  callersFile: setting({
    env: "VERTEXCHAT_CALLERS_FILE",
    flag: "--callers-file",
    default: "",
    doc: "Callers file (YAML or JSON): each caller's API keys, service accounts, certificate subjects, allowed models and methods, and limits. Required with any auth mode but `none`.",
    parse: text,
  }),
  idTokenAudience: setting({
    env: "VERTEXCHAT_ID_TOKEN_AUDIENCE",
    flag: "--id-token-audience",
    default: "",
    doc: "With `id_token`: the audience the tokens must carry (usually the gateway's URL).",
    parse: text,
  }),
  idTokenCertsUrl: setting({
    env: "VERTEXCHAT_ID_TOKEN_CERTS_URL",
    flag: "--id-token-certs-url",
    default: "https://www.googleapis.com/oauth2/v1/certs",
    doc: "With `id_token`: where Google's signing certificates are published (PEM by key id), cached as the response's Cache-Control says.",
    parse: text,
  }),
  upstreamCa: setting({
    env: "VERTEXCHAT_UPSTREAM_CA",
    flag: "--upstream-ca",
    default: "",
    doc: "PEM file of CAs to trust for HTTPS upstreams besides the system's (a TLS-inspecting proxy, a private endpoint, the emulator over TLS).",
    parse: text,
  }),
  tlsClientCa: setting({
    env: "VERTEXCHAT_TLS_CLIENT_CA",
    flag: "--tls-client-ca",
    default: "",
    doc: "With `mtls`: PEM file of the CA that signs client certificates (needs `VERTEXCHAT_TLS_CERT`).",
    parse: text,
  }),
  openServices: setting({
    env: "VERTEXCHAT_OPEN_SERVICES",
    flag: "--open-services",
    default: "grpc.health.v1.Health,grpc.reflection.v1.ServerReflection,grpc.reflection.v1alpha.ServerReflection",
    doc: "Services served without caller authentication (comma list; empty for none).",
    parse: (raw: string) =>
      raw
        .split(",")
        .map((s) => s.trim())
        .filter(Boolean),
  }),
  redisUrl: setting({
    env: "VERTEXCHAT_REDIS_URL",
    flag: "--redis-url",
    default: "",
    doc: "Redis for per-caller limits shared by every replica (`redis://host:6379`). Unset: limits are per process.",
    parse: text,
  }),
  adminListen: setting({
    env: "VERTEXCHAT_ADMIN_LISTEN",
    flag: "--admin-listen",
    default: "127.0.0.1:9464",
    doc: "Admin address for Prometheus metrics (`/metrics`), as `host:port`; `off` to disable.",
    parse(raw: string) {
      if (raw === "off") return undefined;
      return hostPort(raw);
    },
  }),
  tracing: setting({
    env: "VERTEXCHAT_TRACING",
    flag: "--tracing",
    default: "off",
    doc: "OpenTelemetry tracing: `on` exports spans over OTLP/HTTP and passes W3C trace context to the upstream.",
    parse: oneOf("on", "off"),
  }),
  otlpEndpoint: setting({
    env: "VERTEXCHAT_OTLP_ENDPOINT",
    flag: "--otlp-endpoint",
    default: "http://127.0.0.1:4318/v1/traces",
    doc: "With tracing on: the OTLP/HTTP traces endpoint.",
    parse: text,
  }),
  shutdownGraceMs: setting({
    env: "VERTEXCHAT_SHUTDOWN_GRACE_MS",
    flag: "--shutdown-grace-ms",
    default: "30000",
    doc: "On SIGTERM/SIGINT: how long in-flight calls may go on (health is NOT_SERVING and new calls are refused at once); then they end with UNAVAILABLE.",
    parse: positiveInt,
  }),
  logLevel: setting({
    env: "VERTEXCHAT_LOG_LEVEL",
    flag: "--log-level",
    default: "info",
    doc: "Log level.",
    parse: oneOf("fatal", "error", "warn", "info", "debug", "trace", "silent"),
  }),
} as const;

export type SettingName = keyof typeof SETTINGS;
