/**
 * Prometheus metrics, served on the admin port: the usual grpc_server_* counters and histograms by method and code
 * (the counters also by front door: `contract` or `openai`),
 * upstream latency and errors by upstream, location and status, time to first token, tokens by model and caller.
 */

import { once } from "node:events";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Attempt } from "../chat/attempt-runner.ts";
import type { Door, RpcInfo } from "../rpc/rpc-info.ts";
import type { RpcObserver } from "./observe-interceptor.ts";

const LATENCY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300];

/** One upstream attempt as the attempt runner reports it (the HTTP status, or the failure kind). */
type UpstreamObservation = Pick<Attempt, "upstream" | "location" | "status" | "seconds">;

export class Metrics implements RpcObserver {
  readonly registry = new Registry();
  readonly #started = new Counter({
    name: "grpc_server_started_total",
    help: "RPCs started on the server.",
    labelNames: ["grpc_service", "grpc_method", "door"],
    registers: [this.registry],
  });
  readonly #handled = new Counter({
    name: "grpc_server_handled_total",
    help: "RPCs completed on the server, by status code.",
    labelNames: ["grpc_service", "grpc_method", "grpc_code", "door"],
    registers: [this.registry],
  });
  readonly #handling = new Histogram({
    name: "grpc_server_handling_seconds",
    help: "Time to complete an RPC (for streams: to its end).",
    labelNames: ["grpc_service", "grpc_method"],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly #upstream = new Histogram({
    name: "vertexchat_upstream_request_seconds",
    help: "Time of each upstream attempt until its answer began (or failed), by upstream, location and status.",
    labelNames: ["upstream", "location", "status"],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly #upstreamErrors = new Counter({
    name: "vertexchat_upstream_errors_total",
    help: "Failed upstream attempts, by upstream, location and status.",
    labelNames: ["upstream", "location", "status"],
    registers: [this.registry],
  });
  readonly #ttft = new Histogram({
    name: "vertexchat_time_to_first_token_seconds",
    help: "Time from a streaming call's start to its first answer event.",
    labelNames: ["model"],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });
  readonly #tokens = new Counter({
    name: "vertexchat_tokens_total",
    help: "Tokens used, by model, caller and kind (prompt, completion, reasoning), as the upstream reported them.",
    labelNames: ["model", "caller", "kind"],
    registers: [this.registry],
  });
  /** @param openStreams read at every scrape, so the gauge is never stale. */
  constructor(openStreams: () => number) {
    collectDefaultMetrics({ register: this.registry });
    new Gauge({
      name: "vertexchat_streams_active",
      help: "Streaming calls open now.",
      registers: [this.registry],
      collect() {
        this.set(openStreams());
      },
    });
  }

  started(method: string, door: Door): void {
    const [service, name] = split(method);
    this.#started.inc({ grpc_service: service, grpc_method: name, door });
  }

  finished(method: string, code: string, seconds: number, info: RpcInfo): void {
    const [service, name] = split(method);
    this.#handled.inc({ grpc_service: service, grpc_method: name, grpc_code: code, door: info.door });
    this.#handling.observe({ grpc_service: service, grpc_method: name }, seconds);
    if (info.timeToFirstTokenMs !== undefined)
      this.#ttft.observe({ model: info.upstreamModel }, info.timeToFirstTokenMs / 1000);
    for (const [kind, value] of [
      ["prompt", info.promptTokens],
      ["completion", info.completionTokens],
      ["reasoning", info.reasoningTokens],
    ] as const) {
      if (value > 0) this.#tokens.inc({ model: info.upstreamModel, caller: info.caller, kind }, value);
    }
  }

  upstreamAttempt(o: UpstreamObservation): void {
    const labels = { upstream: o.upstream, location: o.location, status: o.status };
    this.#upstream.observe(labels, o.seconds);
    if (o.status !== "200") this.#upstreamErrors.inc(labels);
  }
}

function split(method: string): [string, string] {
  const slash = method.lastIndexOf("/");
  if (slash < 0) return [method, method];
  return [method.slice(0, slash), method.slice(slash + 1)];
}

/** Serves `/metrics` (Prometheus text format) on the admin address. */
export async function serveMetrics(
  metrics: Metrics,
  host: string,
  port: number,
): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer(async (req, res) => {
    if (req.url === "/metrics") {
      res.writeHead(200, { "content-type": metrics.registry.contentType });
      res.end(await metrics.registry.metrics());
    } else {
      res.writeHead(404).end("not found; metrics are at /metrics\n");
    }
  });
  server.listen(port, host);
  await once(server, "listening");
  const address = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(":") ? `[${host}]` : host}:${address.port}`,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, "close");
    },
  };
}
