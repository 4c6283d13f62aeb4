/**
 * One log line per RPC: method, model, upstream, location, status code, latency and upstream attempts. Prompt and
 * answer text are never logged.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";
import { RPC_INFO, type RpcInfo } from "../chat/rpc-info.ts";

export function loggingInterceptor(logger: Logger): Interceptor {
  return (next) => async (req) => {
    const started = performance.now();
    const info: RpcInfo = { model: "", upstream: "", location: "", attempts: 0 };
    req.contextValues.set(RPC_INFO, info);
    const method = `${req.service.typeName}/${req.method.name}`;
    const done = (err?: unknown) => {
      const fields = {
        method,
        ...info,
        code: err === undefined ? "OK" : Code[ConnectError.from(err).code],
        latency_ms: Math.round((performance.now() - started) * 10) / 10,
        ...(err === undefined ? {} : { error: ConnectError.from(err).rawMessage }),
      };
      logger.info(fields, "rpc");
    };
    try {
      const res = await next(req);
      if (!res.stream) {
        done();
        return res;
      }
      return {
        ...res,
        message: (async function* () {
          try {
            yield* res.message;
          } catch (err) {
            done(err);
            throw err;
          }
          done();
        })(),
      };
    } catch (err) {
      done(err);
      throw err;
    }
  };
}
