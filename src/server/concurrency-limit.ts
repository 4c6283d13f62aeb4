/**
 * Caps the streaming calls one process serves at once; the next one is refused with RESOURCE_EXHAUSTED and a
 * RetryInfo instead of queueing behind streams that may last minutes.
 */
import { create } from "@bufbuild/protobuf";
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import { ErrorInfoSchema, RetryInfoSchema } from "../../gen/google/rpc/error_details_pb.ts";
import { ERROR_DOMAIN } from "../chat/error-mapping.ts";

export interface StreamGauge {
  /** Streams open now. */
  readonly active: number;
}

export function streamLimitInterceptor(maxStreams: number): { interceptor: Interceptor; gauge: StreamGauge } {
  let active = 0;
  const interceptor: Interceptor = (next) => async (req) => {
    if (req.method.methodKind !== "server_streaming") return next(req);
    if (active >= maxStreams) {
      throw new ConnectError(
        `this gateway is already serving ${maxStreams} streams; retry shortly or on another replica`,
        Code.ResourceExhausted,
        undefined,
        [
          { desc: RetryInfoSchema, value: create(RetryInfoSchema, { retryDelay: { seconds: 1n, nanos: 0 } }) },
          {
            desc: ErrorInfoSchema,
            value: create(ErrorInfoSchema, {
              reason: "TOO_MANY_STREAMS",
              domain: ERROR_DOMAIN,
              metadata: { limit: String(maxStreams) },
            }),
          },
        ],
      );
    }
    active++;
    let released = false;
    const release = () => {
      if (!released) {
        released = true;
        active--;
      }
    };
    try {
      const res = await next(req);
      if (!res.stream) {
        release();
        return res;
      }
      return {
        ...res,
        message: (async function* () {
          try {
            yield* res.message;
          } finally {
            release();
          }
        })(),
      };
    } catch (err) {
      release();
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
