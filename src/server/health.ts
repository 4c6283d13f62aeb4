/**
 * grpc.health.v1.Health, driven by the server's life: NOT_SERVING until the listener is ready, SERVING while it
 * serves, NOT_SERVING once shutdown begins. Statuses exist for the whole server ("") and each served service.
 */
import { create } from "@bufbuild/protobuf";
import type { ServiceImpl } from "@connectrpc/connect";
import {
  type Health,
  HealthCheckResponseSchema,
  HealthListResponseSchema,
  HealthCheckResponse_ServingStatus as ServingStatus,
} from "../../gen/grpc/health/v1/health_pb.ts";
import { gatewayError } from "../rpc/error-catalogue.ts";

export { ServingStatus };

export class HealthState {
  readonly #statuses = new Map<string, ServingStatus>();
  readonly #watchers = new Set<() => void>();

  constructor(services: string[]) {
    for (const name of ["", ...services]) this.#statuses.set(name, ServingStatus.NOT_SERVING);
  }

  /** Sets every service (and the server) to one status. */
  setAll(status: ServingStatus): void {
    for (const name of this.#statuses.keys()) this.#statuses.set(name, status);
    for (const notify of this.#watchers) notify();
  }

  /** Sets one service's status. */
  set(service: string, status: ServingStatus): void {
    if (this.#statuses.get(service) === status) return;
    this.#statuses.set(service, status);
    for (const notify of this.#watchers) notify();
  }

  get(service: string): ServingStatus | undefined {
    return this.#statuses.get(service);
  }

  all(): ReadonlyMap<string, ServingStatus> {
    return this.#statuses;
  }

  /** Resolves at the next change, or when the signal aborts. */
  changed(signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.#watchers.delete(done);
        signal.removeEventListener("abort", done);
        resolve();
      };
      this.#watchers.add(done);
      signal.addEventListener("abort", done, { once: true });
    });
  }
}

export function createHealthService(state: HealthState): ServiceImpl<typeof Health> {
  return {
    check(req) {
      const status = state.get(req.service);
      if (status === undefined)
        throw gatewayError(
          "UNKNOWN_SERVICE",
          `unknown service ${JSON.stringify(req.service)}; this server serves ${[...state.all().keys()].map((s) => JSON.stringify(s)).join(", ")}`,
        );
      return create(HealthCheckResponseSchema, { status });
    },
    list() {
      const statuses: Record<string, ReturnType<typeof create<typeof HealthCheckResponseSchema>>> = {};
      for (const [name, status] of state.all()) statuses[name] = create(HealthCheckResponseSchema, { status });
      return create(HealthListResponseSchema, { statuses });
    },
    async *watch(req, ctx) {
      let last: ServingStatus | undefined;
      while (!ctx.signal.aborted) {
        const status = state.get(req.service) ?? ServingStatus.SERVICE_UNKNOWN;
        if (status !== last) {
          last = status;
          yield create(HealthCheckResponseSchema, { status });
        }
        await state.changed(ctx.signal);
      }
    },
  };
}
