/**
 * OpenTelemetry tracing (off by default): a server span per RPC, continuing the caller's W3C trace context, and
 * an OTLP/HTTP exporter. The upstream client (upstream/chat-upstream.ts) opens a child span per upstream request
 * and sends `traceparent` on. With tracing off nothing is registered and the API calls cost next to nothing.
 */

import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { context, propagation, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import { AsyncLocalStorageContextManager } from "@opentelemetry/context-async-hooks";
import { W3CTraceContextPropagator } from "@opentelemetry/core";
import { OTLPTraceExporter } from "@opentelemetry/exporter-trace-otlp-http";
import { resourceFromAttributes } from "@opentelemetry/resources";
import { BatchSpanProcessor, TracerProvider } from "@opentelemetry/sdk-trace";
import { RPC_INFO, TRACE_CONTEXT } from "../rpc/rpc-info.ts";
import { whenCallEnds } from "./interceptor-utils.ts";

export function startTracing(endpoint: string): { shutdown(): Promise<void> } {
  const provider = new TracerProvider({
    resource: resourceFromAttributes({ "service.name": "vertexchat" }),
    spanProcessors: [
      new BatchSpanProcessor({ exporter: new OTLPTraceExporter({ url: endpoint }), scheduledDelayMillis: 200 }),
    ],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  return {
    async shutdown() {
      await provider.shutdown();
    },
  };
}

export function tracingInterceptor(): Interceptor {
  const tracer = trace.getTracer("vertexchat");
  return (next) => async (req) => {
    const parent = propagation.extract(context.active(), req.header, {
      keys: (carrier) => [...carrier.keys()],
      get: (carrier, key) => carrier.get(key) ?? undefined,
    });
    const span = tracer.startSpan(
      `${req.service.typeName}/${req.method.name}`,
      {
        kind: SpanKind.SERVER,
        attributes: { "rpc.system": "grpc", "rpc.service": req.service.typeName, "rpc.method": req.method.name },
      },
      parent,
    );
    req.contextValues.set(TRACE_CONTEXT, trace.setSpan(parent, span));
    const end = (err?: unknown) => {
      if (err !== undefined) {
        const error = ConnectError.from(err);
        span.setAttribute("rpc.grpc.status_code", error.code);
        span.setStatus({ code: SpanStatusCode.ERROR, message: `${Code[error.code]}: ${error.rawMessage}` });
      }
      span.end();
    };
    try {
      return whenCallEnds(req.contextValues.get(RPC_INFO), await next(req), end);
    } catch (err) {
      end(err);
      throw err;
    }
  };
}
