/**
 * One log line per RPC: method, model, status code and latency. Prompt and answer text are never logged.
 */
import { Code, ConnectError, type Interceptor } from "@connectrpc/connect";
import type { Logger } from "pino";

export function loggingInterceptor(logger: Logger): Interceptor {
  return (next) => async (req) => {
    const started = performance.now();
    const method = `${req.service.typeName}/${req.method.name}`;
    const model = req.stream ? undefined : (req.message as { model?: unknown }).model;
    const done = (code: string, extra: object = {}) =>
      logger.info(
        { method, model, code, latency_ms: Math.round((performance.now() - started) * 10) / 10, ...extra },
        "rpc",
      );
    try {
      const res = await next(req);
      if (!res.stream) {
        done("ok");
        return res;
      }
      return {
        ...res,
        message: (async function* () {
          try {
            yield* res.message;
            done("ok");
          } catch (err) {
            const e = ConnectError.from(err);
            done(codeName(e), { error: e.rawMessage });
            throw err;
          }
        })(),
      };
    } catch (err) {
      const e = ConnectError.from(err);
      done(codeName(e), { error: e.rawMessage });
      throw err;
    }
  };
}

function codeName(err: ConnectError): string {
  return Code[err.code];
}
