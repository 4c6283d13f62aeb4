/**
 * Wires a running gateway from a Config: routing and upstream clients, the services (chat, health, reflection),
 * the interceptors (observe → shutdown gate → tracing → auth → per-caller limits → stream cap → validation), the
 * listener (its request handler is request-handler.ts), and the admin port with metrics. main.ts and the end-to-end
 * tests both start the gateway through here.
 */
import { totalmem } from "node:os";
import type { Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import { file_google_rpc_error_details } from "../../gen/google/rpc/error_details_pb.ts";
import { Health } from "../../gen/grpc/health/v1/health_pb.ts";
import { ServerReflection as ReflectionV1 } from "../../gen/grpc/reflection/v1/reflection_pb.ts";
import { ServerReflection as ReflectionV1alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.ts";
import { ChatService } from "../../gen/vertexchat/v1/chat_service_pb.ts";
import { type ChatServiceOptions, createChatService } from "../chat/chat-service.ts";
import { createRouter } from "../chat/model-router.ts";
import { createRequestValidator } from "../chat/request-validation.ts";
import { type Callers, loadCallersFile, NO_CALLERS } from "../config/callers-file.ts";
import { readConfigFile } from "../config/file-checks.ts";
import { type Config, isLoopback } from "../config/load-config.ts";
import { loadRoutingFile } from "../config/routing-file.ts";
import { routingFromEnv } from "../config/routing-from-env.ts";
import { ConfigError } from "../config/settings.ts";
import { buildPlayground, playgroundEnabled } from "../playground/playground.ts";
import type { GoogleTokenSource } from "../upstream/google-token-source.ts";
import { UpstreamHttp } from "../upstream/lean-fetch.ts";
import { authInterceptor } from "./auth/auth-interceptor.ts";
import { createAuthenticator } from "./auth/caller-auth.ts";
import { IdTokenVerifier } from "./auth/id-token-verifier.ts";
import { HealthState, ServingStatus } from "./health.ts";
import { type StreamGauge, streamLimitInterceptor } from "./limits/concurrency-limit.ts";
import { type LimitStore, MemoryLimitStore } from "./limits/limit-store.ts";
import { limitsInterceptor } from "./limits/limits-interceptor.ts";
import { processLimits, type StreamCap, streamCapFor } from "./limits/stream-cap.ts";
import { type Listener, type ListenOptions, listen } from "./listen.ts";
import { Metrics, serveMetrics } from "./metrics.ts";
import { observeInterceptor } from "./observe-interceptor.ts";
import { createReflectionServices } from "./reflection.ts";
import { type GatewayServices, requestHandler } from "./request-handler.ts";
import { ShutdownGate } from "./shutdown-gate.ts";
import { type EmulatorEndpoint, upstreamClients } from "./upstream-clients.ts";
import { validationInterceptor } from "./validation-interceptor.ts";
import { warmUp } from "./warm-up.ts";

export interface GatewayDeps {
  logger: Logger;
  /** The built-in emulator, when it runs: the environment's Vertex upstream and `origin: emulator` go there. */
  emulator?: EmulatorEndpoint;
}

export interface RunningGateway {
  /** `http://host:port` or `https://host:port`. */
  url: string;
  /** The admin address (`/metrics`), when enabled. */
  adminUrl: string | undefined;
  /** Streaming calls open now. */
  streams: StreamGauge;
  health: HealthState;
  /**
   * Graceful shutdown: health NOT_SERVING and new calls refused at once; calls in flight get `graceMs` to finish,
   * then end with UNAVAILABLE; then every connection is closed. Resolves with whether all calls finished in time.
   */
  shutdown(graceMs: number): Promise<boolean>;
  /** Shutdown without grace. */
  close(): Promise<void>;
}

export async function startGateway(config: Config, deps: GatewayDeps): Promise<RunningGateway> {
  const { logger } = deps;
  const routing = config.routingFile
    ? loadRoutingFile(config.routingFile, process.env)
    : routingFromEnv(config, deps.emulator !== undefined);
  // The upstream connection pool belongs to this gateway and closes with it.
  const upstreamHttp = new UpstreamHttp(config.upstreamCa ? { ca: readUpstreamCa(config.upstreamCa) } : {});
  const clients = upstreamClients(
    deps.emulator,
    {
      fetchAtStart: config.credentialsFetch === "startup",
      retry: { initialMs: Math.min(500, config.credentialsRetryMaxMs), maxMs: config.credentialsRetryMaxMs },
    },
    upstreamHttp,
  );
  const router = createRouter(routing, clients.factory);
  const callers: Callers = config.callersFile ? loadCallersFile(config.callersFile) : NO_CALLERS;
  // Tracing and Redis are loaded only when configured: their packages cost memory and start-up time.
  const tracingModule = config.tracing === "on" ? await import("./tracing.ts") : undefined;
  const tracing = tracingModule?.startTracing(config.otlpEndpoint);
  const streamCap = maxStreams(config);
  const streams = streamLimitInterceptor(streamCap.cap);
  const metrics = new Metrics(() => streams.gauge.active);
  const gate = new ShutdownGate();
  const limitStore: LimitStore = config.redisUrl
    ? await (await import("./limits/redis-limit-store.ts")).RedisLimitStore.connect(config.redisUrl)
    : new MemoryLimitStore();

  const services = gatewayServices(config, {
    router,
    logger,
    onUpstreamAttempt: (attempt) => metrics.upstreamAttempt(attempt),
    stopSignal: gate.stopSignal,
  });
  const validator = createRequestValidator(config);
  // In order: observe → shutdown gate → tracing → who is calling → per-caller limits → stream cap → validation.
  const interceptors: Interceptor[] = [
    observeInterceptor(logger, metrics),
    gate.interceptor,
    ...(tracingModule ? [tracingModule.tracingInterceptor()] : []),
    ...callerInterceptors(config, callers, limitStore),
    streams.interceptor,
    validationInterceptor(validator),
  ];
  // The playground is bundled in the background: the gateway listens without waiting, its first page load waits.
  const playground = playgroundEnabled(config.playground, {
    emulator: deps.emulator !== undefined,
    loopback: isLoopback(config.listen.host),
    authNone: config.auth.includes("none"),
  })
    ? buildPlayground()
    : undefined;
  const handler = requestHandler(config, services, interceptors, { logger, metrics, playground });
  // Before listening, so that the first caller does not pay for compiling the request path (see warm-up.ts).
  if (config.warmUp === "on") {
    await warmUp(validator).catch((err: unknown) =>
      logger.warn({ err }, "the start-up warm-up failed; the first calls will be slower, nothing else changes"),
    );
    await connectAhead(upstreamHttp, clients.baseUrls, logger);
  }
  const listener: Listener = await bindOrExplain(
    "VERTEXCHAT_LISTEN",
    config.listen,
    listen(handler, { host: config.listen.host, port: config.listen.port, ...tlsOptions(config) }),
  );
  const admin = config.adminListen
    ? await bindOrExplain(
        "VERTEXCHAT_ADMIN_LISTEN",
        config.adminListen,
        serveMetrics(metrics, config.adminListen.host, config.adminListen.port),
      )
    : undefined;
  const readiness = watchReadiness(services.health, clients.googleCredentials);
  logger.info(
    {
      url: listener.url,
      admin: admin?.url,
      ...(playground ? { playground: `${listener.url}/playground/` } : {}),
      ...describeSetup(config, routing.source, clients.baseUrls),
      max_concurrent_streams: streamCap.cap,
      ...(streamCap.by === "setting" ? {} : { max_concurrent_streams_from: streamCap.reason }),
    },
    "vertexchat listening",
  );

  const shutdown = shutdownSequence({
    logger,
    readiness,
    credentials: clients.googleCredentials,
    gate,
    listener,
    owned: [
      upstreamHttp,
      ...(admin ? [admin] : []),
      limitStore,
      ...(tracing ? [{ close: () => tracing.shutdown() }] : []),
    ],
  });
  return {
    url: listener.url,
    adminUrl: admin?.url,
    streams: streams.gauge,
    health: services.health,
    shutdown,
    close: async () => {
      await shutdown(0);
    },
  };
}

/** How long start-up waits for the connections it opens ahead to the upstreams. */
const CONNECT_AHEAD_TIMEOUT_MS = 1000;

/**
 * A connection to each HTTPS upstream (its first location) before listening, so that the first call does not wait
 * for the TCP and TLS handshakes (round trips to Google's front end, tens of milliseconds from a region). Plain
 * HTTP upstreams (the emulator, a model server beside the gateway) would save only a TCP connect, and get nothing
 * they did not ask for. An upstream that cannot be reached is logged and changes nothing else: its calls open
 * their connection as they would have.
 */
async function connectAhead(http: UpstreamHttp, baseUrls: Map<string, string[]>, logger: Logger): Promise<void> {
  const origins = [...baseUrls.values()].flatMap((urls) => {
    const url = urls[0] ? new URL(urls[0]) : undefined;
    return url?.protocol === "https:" ? [url.origin] : [];
  });
  const failed = await http.connectAhead(origins, CONNECT_AHEAD_TIMEOUT_MS);
  if (failed.length > 0) {
    logger.warn(
      { upstreams: failed },
      "could not open a connection to an upstream at start-up; its first call will open one (nothing else changes)",
    );
  }
}

/**
 * The shutdown sequence, once however often asked: NOT_SERVING and no new calls, calls in flight get the grace
 * period, then are ended; their statuses are written out; then the connections and what the gateway owns close,
 * in order. Resolves with whether every call finished in time.
 */
function shutdownSequence(parts: {
  logger: Logger;
  readiness: { stopServing(): void };
  credentials: GoogleTokenSource[];
  gate: ShutdownGate;
  listener: Listener;
  owned: { close(): Promise<unknown> }[];
}): (graceMs: number) => Promise<boolean> {
  const { logger, gate, listener } = parts;
  let stopping: Promise<boolean> | undefined;
  return (graceMs) => {
    stopping ??= (async () => {
      parts.readiness.stopServing();
      for (const source of parts.credentials) source.close();
      gate.drain();
      listener.stopAccepting();
      const finished = await gate.waitIdle(graceMs);
      if (!finished)
        logger.warn({ in_flight: gate.inFlight, grace_ms: graceMs }, "grace period over; ending calls in flight");
      gate.stop();
      // The ended calls write their status before the connections go (a health Watch never ends by itself).
      await listener.responsesWritten(1000, (path) => path.endsWith(`/${Health.typeName}/Watch`));
      await listener.close();
      for (const part of parts.owned) await part.close();
      return finished;
    })();
    return stopping;
  };
}

/** The stream cap: the setting's number, or derived from the process's limits (`auto`, see stream-cap.ts). */
function maxStreams(config: Config): { cap: number; by: StreamCap["by"] | "setting"; reason: string } {
  if (config.maxConcurrentStreams !== "auto") return { cap: config.maxConcurrentStreams, by: "setting", reason: "" };
  const derived = streamCapFor(processLimits(totalmem()));
  const limit = derived.by === "open files" ? String(derived.limit) : `${Math.round(derived.limit / 2 ** 20)} MiB`;
  return { ...derived, reason: `${derived.by} limit ${limit}` };
}

/** What the listening line says about the set-up (never a credential: base URLs have none). */
function describeSetup(config: Config, routingSource: string, baseUrls: Map<string, string[]>) {
  return {
    routing: routingSource,
    upstreams: Object.fromEntries(baseUrls),
    auth: config.auth,
    limits: config.redisUrl ? "redis" : "memory",
    tracing: config.tracing,
  };
}

/** The services served: chat, health (for every service served) and, when on, reflection. */
function gatewayServices(
  config: Config,
  parts: Pick<ChatServiceOptions, "router" | "logger" | "onUpstreamAttempt" | "stopSignal">,
): GatewayServices {
  const chat = createChatService({
    ...parts,
    googleFieldsPlacement: config.googleFieldsPlacement,
    defaultTimeoutMs: config.defaultTimeoutMs,
    retry: {
      maxAttempts: config.retryMaxAttempts,
      initialBackoffMs: config.retryInitialBackoffMs,
      maxBackoffMs: config.retryMaxBackoffMs,
    },
    streamLimits: { firstChunkTimeoutMs: config.streamFirstChunkTimeoutMs, idleTimeoutMs: config.streamIdleTimeoutMs },
  });
  const served = [ChatService.typeName, Health.typeName];
  const reflection =
    config.reflection === "on"
      ? createReflectionServices(
          // The error details file too, so that tools can decode the details of our errors.
          [ChatService.file, Health.file, ReflectionV1.file, ReflectionV1alpha.file, file_google_rpc_error_details],
          [...served, ReflectionV1.typeName, ReflectionV1alpha.typeName],
        )
      : undefined;
  return { chat, health: new HealthState(served), reflection };
}

/** Who is calling, and what they may still spend: caller auth, then per-caller limits. */
function callerInterceptors(config: Config, callers: Callers, limitStore: LimitStore): Interceptor[] {
  const idTokens = config.auth.includes("id_token")
    ? new IdTokenVerifier({ certsUrl: config.idTokenCertsUrl, audience: config.idTokenAudience })
    : undefined;
  return [
    authInterceptor({
      authenticator: createAuthenticator(config.auth, callers, idTokens),
      openServices: config.openServices,
      defaultLimits: callers.defaultLimits,
    }),
    limitsInterceptor(limitStore),
  ];
}

function tlsOptions(config: Config): Pick<ListenOptions, "tls"> {
  if (!config.tlsCert) return {};
  return {
    tls: {
      certFile: config.tlsCert,
      keyFile: config.tlsKey,
      ...(config.tlsClientCa ? { clientCaFile: config.tlsClientCa } : {}),
    },
  };
}

/**
 * Health: SERVING once listening; ChatService also needs Google credentials it can use (readiness), so it follows
 * the token sources; everything goes NOT_SERVING when shutdown begins.
 */
function watchReadiness(health: HealthState, credentials: GoogleTokenSource[]): { stopServing(): void } {
  let lifecycle: ServingStatus = ServingStatus.SERVING;
  const refresh = () => {
    const credentialsUsable = credentials.every((source) => source.usable);
    for (const service of health.all().keys()) {
      const needsCredentials = service === ChatService.typeName && !credentialsUsable;
      health.set(service, needsCredentials ? ServingStatus.NOT_SERVING : lifecycle);
    }
  };
  for (const source of credentials) source.onChange(refresh);
  refresh();
  return {
    stopServing() {
      lifecycle = ServingStatus.NOT_SERVING;
      refresh();
    },
  };
}

/** A listen that fails for a reason the operator can fix becomes a ConfigError naming the setting and the fix. */
async function bindOrExplain<T>(setting: string, at: { host: string; port: number }, bound: Promise<T>): Promise<T> {
  try {
    return await bound;
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    const address = `${at.host.includes(":") ? `[${at.host}]` : at.host}:${at.port}`;
    const other =
      setting === "VERTEXCHAT_ADMIN_LISTEN"
        ? "; a second gateway on this machine needs its own admin port too, or VERTEXCHAT_ADMIN_LISTEN=off to go without /metrics"
        : "";
    if (code === "EADDRINUSE")
      throw new ConfigError(
        `${setting}=${address}: the address is in use (another vertexchat, or another program, listens there); stop it or choose another port (port 0 picks a free one)${other}`,
      );
    if (code === "EACCES")
      throw new ConfigError(
        `${setting}=${address}: not allowed to listen there (ports below 1024 need privileges); choose a port ≥ 1024`,
      );
    if (code === "EADDRNOTAVAIL")
      throw new ConfigError(
        `${setting}=${address}: no network interface of this machine has that address; use 0.0.0.0, 127.0.0.1 or one of its addresses`,
      );
    throw err;
  }
}

/** The extra CAs for HTTPS upstreams, checked at start-up so that a wrong path is a start-up error, not a failed call. */
function readUpstreamCa(path: string): string {
  const pem = readConfigFile(path, "PEM file of upstream CAs", "VERTEXCHAT_UPSTREAM_CA");
  if (!pem.includes("-----BEGIN CERTIFICATE-----")) {
    throw new ConfigError(`VERTEXCHAT_UPSTREAM_CA: ${path} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
  }
  return pem;
}
