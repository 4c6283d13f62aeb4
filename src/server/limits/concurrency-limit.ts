/**
 * Caps the streaming calls one process serves at once; the next one is refused with RESOURCE_EXHAUSTED and a
 * RetryInfo instead of queueing behind streams that may last minutes.
 */
import type { Interceptor } from "@connectrpc/connect";
import { gatewayError } from "../../rpc/error-catalogue.ts";
import { RPC_INFO } from "../../rpc/rpc-info.ts";
import { whenCallEnds } from "../interceptor-utils.ts";

export interface StreamGauge {
  /** Streams open now. */
  readonly active: number;
}

export function streamLimitInterceptor(maxStreams: number): { interceptor: Interceptor; gauge: StreamGauge } {
  let active = 0;
  const interceptor: Interceptor = (next) => async (req) => {
    if (req.method.methodKind !== "server_streaming") return next(req);
    if (active >= maxStreams) {
      throw gatewayError(
        "TOO_MANY_STREAMS",
        `this gateway is already serving ${maxStreams} streams; retry shortly or on another replica`,
        { metadata: { limit: String(maxStreams) } },
      );
    }
    active++;
    try {
      return whenCallEnds(req.contextValues.get(RPC_INFO), await next(req), () => active--);
    } catch (err) {
      active--;
      throw err;
    }
  };
  return {
    interceptor,
    gauge: {
      get active() {
        return active;
      },
    },
  };
}
