/**
 * What answers an HTTP request on the main listener: the playground's files, the OpenAI-compatible REST door, or
 * Connect's adapter over the services (gRPC, gRPC-Web, Connect), each given the context values of its request.
 */
import type { IncomingMessage } from "node:http";
import type { Http2ServerRequest } from "node:http2";
import type { TLSSocket } from "node:tls";
import {
  type ConnectRouter,
  type ContextValues,
  createConnectRouter,
  createContextValues,
  type Interceptor,
  type ServiceImpl,
} from "@connectrpc/connect";
import { compressionBrotli, compressionGzip } from "@connectrpc/connect-node";
import type { Logger } from "pino";
import { Health } from "../../gen/grpc/health/v1/health_pb.ts";
import { ServerReflection as ReflectionV1 } from "../../gen/grpc/reflection/v1/reflection_pb.ts";
import { ServerReflection as ReflectionV1alpha } from "../../gen/grpc/reflection/v1alpha/reflection_pb.ts";
import { ChatService } from "../../gen/vertexchat/v1/chat_service_pb.ts";
import type { Config } from "../config/load-config.ts";
import { inProcessChat } from "../openai/in-process-client.ts";
import { openAiDoor } from "../openai/openai-door.ts";
import { type buildPlayground, playgroundHandler } from "../playground/playground.ts";
import { PEER_CERTIFICATE } from "./auth/auth-interceptor.ts";
import { createHealthService, type HealthState } from "./health.ts";
import { leanServerStreaming, leanUnary } from "./lean-stream-handler.ts";
import type { NodeHandler } from "./listen.ts";
import type { Metrics } from "./metrics.ts";
import { nodeAdapter } from "./node-adapter.ts";
import { observeHttp, refusalGate } from "./observe-interceptor.ts";
import type { createReflectionServices } from "./reflection.ts";

export interface GatewayServices {
  chat: ServiceImpl<typeof ChatService>;
  health: HealthState;
  reflection: ReturnType<typeof createReflectionServices> | undefined;
}

/** Takes the requests of its paths (true), and passes the rest on (false). */
type PathHandler = (req: IncomingMessage | Http2ServerRequest, res: Parameters<NodeHandler>[1]) => boolean;

/**
 * The Node request handler: the playground and the OpenAI-compatible REST door for their paths, Connect's adapter
 * over the services for the rest, with refusals before any RPC observed too. The REST door calls the same services
 * behind the same interceptors.
 */
export function requestHandler(
  config: Config,
  services: GatewayServices,
  interceptors: Interceptor[],
  parts: { logger: Logger; metrics: Metrics; playground: ReturnType<typeof buildPlayground> | undefined },
): NodeHandler {
  const { logger, metrics, playground } = parts;
  const httpCalls = observeHttp(logger, metrics);
  const options = {
    interceptors,
    requestGate: refusalGate(logger, metrics),
    jsonOptions: { ignoreUnknownFields: config.unknownJsonFields === "ignore" },
    readMaxBytes: config.maxRequestBytes,
    acceptCompression: [compressionGzip, compressionBrotli],
  };
  const routes = (r: ConnectRouter) => {
    serveChat(r, services.chat, options);
    r.service(Health, createHealthService(services.health));
    if (services.reflection) {
      r.service(ReflectionV1, services.reflection.v1);
      r.service(ReflectionV1alpha, services.reflection.v1alpha);
    }
  };
  const contract = httpCalls.wrap(
    nodeAdapter({
      ...options,
      routes,
      logger,
      contextValues: (req) => {
        const values = peerValues(req);
        httpCalls.attach(req, values);
        return values;
      },
    }),
  );
  // Each takes the requests of its paths; the contract's handler takes what is left.
  const doors: PathHandler[] = [];
  if (playground) doors.push(playgroundHandler(playground, logger));
  if (config.openaiApi === "on") {
    const router = createConnectRouter(options);
    routes(router);
    doors.push(
      openAiDoor({
        chat: inProcessChat(router.handlers, { readMaxBytes: config.maxRequestBytes }),
        contextValues: peerValues,
        maxRequestBytes: config.maxRequestBytes,
        logger,
        observer: metrics,
      }),
    );
  }
  return (req, res) => {
    for (const door of doors) if (door(req, res)) return;
    contract(req, res);
  };
}

/**
 * ChatService on a router, its streamed answers' gRPC and Connect calls and its unary gRPC calls on the lean
 * handlers (where the CPU of a streamed chunk goes, and gRPC's unary pipeline; see lean-stream-handler.ts). The
 * warm-up serves it the same way.
 */
export function serveChat(
  r: ConnectRouter,
  chat: ServiceImpl<typeof ChatService>,
  options: Parameters<typeof leanServerStreaming>[2],
): void {
  r.service(ChatService, chat);
  const at = (method: (typeof ChatService.methods)[number]) => r.handlers.findIndex((h) => h.method === method);
  const stream = at(ChatService.method.streamChatCompletion);
  r.handlers[stream] = leanServerStreaming(
    r.handlers[stream] as (typeof r.handlers)[number],
    chat.streamChatCompletion.bind(chat),
    options,
  );
  const unary = at(ChatService.method.createChatCompletion);
  r.handlers[unary] = leanUnary(
    r.handlers[unary] as (typeof r.handlers)[number],
    chat.createChatCompletion.bind(chat),
    options,
  );
}

/** The context values of a call from its HTTP request: the TLS client certificate, when the caller sent one. */
function peerValues(req: IncomingMessage | Http2ServerRequest): ContextValues {
  const values = createContextValues();
  const socket = req.socket as TLSSocket;
  if (typeof socket.getPeerCertificate === "function") {
    const cert = socket.getPeerCertificate();
    if (cert && Object.keys(cert).length > 0) {
      values.set(PEER_CERTIFICATE, { authorized: socket.authorized, subjectCommonName: cert.subject?.CN });
    }
  }
  return values;
}
