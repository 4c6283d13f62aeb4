/**
 * Wires a running gateway from a Config: upstream(s), the ChatService, the Connect adapter and the listener.
 * main.ts and the end-to-end tests both start the gateway through here.
 */
import { connectNodeAdapter } from "@connectrpc/connect-node";
import type { Logger } from "pino";
import { file_google_rpc_error_details } from "../../gen/google/rpc/error_details_pb.ts";
import { Health } from "../../gen/grpc/health/v1/health_pb.ts";
import { ServerReflection as ReflectionV1 } from "../../gen/grpc/reflection/v1/reflection_pb.ts";
import { ServerReflection as ReflectionV1alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.ts";
import { ChatService } from "../../gen/vertexchat/v1/chat_service_pb.ts";
import { createChatService } from "../chat/chat-service.ts";
import { createRouter } from "../chat/model-router.ts";
import { createRequestValidator } from "../chat/request-validation.ts";
import type { Config } from "../config/load-config.ts";
import { loadRoutingFile } from "../config/routing-file.ts";
import { routingFromEnv } from "../config/routing-from-env.ts";
import { type StreamGauge, streamLimitInterceptor } from "./concurrency-limit.ts";
import { createHealthService, HealthState, ServingStatus } from "./health.ts";
import { type Listener, listen } from "./listen.ts";
import { loggingInterceptor } from "./logging-interceptor.ts";
import { createReflectionServices } from "./reflection.ts";
import { type EmulatorEndpoint, upstreamClients } from "./upstream-clients.ts";
import { validationInterceptor } from "./validation-interceptor.ts";

export interface GatewayDeps {
  logger: Logger;
  /** The built-in emulator, when it runs: the environment's Vertex upstream and `origin: emulator` go there. */
  emulator?: EmulatorEndpoint;
}

export interface RunningGateway extends Listener {
  /** Streaming calls open now. */
  streams: StreamGauge;
  /** The health service's state. */
  health: HealthState;
}

export async function startGateway(config: Config, deps: GatewayDeps): Promise<RunningGateway> {
  const routing = config.routingFile
    ? loadRoutingFile(config.routingFile, process.env)
    : routingFromEnv(config, deps.emulator);
  const router = createRouter(routing, upstreamClients(deps.emulator));
  const service = createChatService({
    router,
    googleFieldsPlacement: config.googleFieldsPlacement,
    defaultTimeoutMs: config.defaultTimeoutMs,
    retry: {
      maxAttempts: config.retryMaxAttempts,
      initialBackoffMs: config.retryInitialBackoffMs,
      maxBackoffMs: config.retryMaxBackoffMs,
    },
    streamLimits: { firstChunkTimeoutMs: config.streamFirstChunkTimeoutMs, idleTimeoutMs: config.streamIdleTimeoutMs },
    logger: deps.logger,
  });
  const validate = createRequestValidator({
    maxInlineImageBytes: config.maxInlineImageBytes,
    maxInlineMediaBytes: config.maxInlineMediaBytes,
  });
  const streams = streamLimitInterceptor(config.maxConcurrentStreams);
  const served = [ChatService.typeName, Health.typeName];
  const health = new HealthState(served);
  const reflection =
    config.reflection === "on"
      ? createReflectionServices(
          // The error details file too, so that tools can decode the details of our errors.
          [ChatService.file, Health.file, ReflectionV1.file, ReflectionV1alpha.file, file_google_rpc_error_details],
          [...served, ReflectionV1.typeName, ReflectionV1alpha.typeName],
        )
      : undefined;
  const handler = connectNodeAdapter({
    routes: (r) => {
      r.service(ChatService, service);
      r.service(Health, createHealthService(health));
      if (reflection) {
        r.service(ReflectionV1, reflection.v1);
        r.service(ReflectionV1alpha, reflection.v1alpha);
      }
    },
    // Outermost first: every call is logged, then counted against the stream limit, then validated.
    interceptors: [loggingInterceptor(deps.logger), streams.interceptor, validationInterceptor(validate)],
    readMaxBytes: config.maxRequestBytes,
  });
  const listener = await listen(handler, {
    host: config.listen.host,
    port: config.listen.port,
    ...(config.tlsCert ? { tls: { certFile: config.tlsCert, keyFile: config.tlsKey } } : {}),
  });
  deps.logger.info(
    { url: listener.url, routing: routing.source, upstreams: [...routing.upstreams.keys()] },
    "vertexchat listening",
  );
  health.setAll(ServingStatus.SERVING);
  return {
    ...listener,
    streams: streams.gauge,
    health,
    async close() {
      health.setAll(ServingStatus.NOT_SERVING);
      await listener.close();
    },
  };
}
