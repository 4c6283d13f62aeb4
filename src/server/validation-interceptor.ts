/**
 * Rejects an invalid request with INVALID_ARGUMENT and a google.rpc.BadRequest before any handler (and so any
 * upstream call) runs.
 */
import type { Interceptor } from "@connectrpc/connect";
import type { RequestValidator } from "../chat/request-validation.ts";
import { violationsToConnectError } from "../rpc/error-mapping.ts";
import { readRequestMessage } from "./interceptor-utils.ts";

export function validationInterceptor(validate: RequestValidator): Interceptor {
  return (next) => async (request) => {
    const { message, req } = await readRequestMessage(request);
    if (message) {
      const violations = validate(req.method.input, message);
      if (violations.length > 0) throw violationsToConnectError(violations);
    }
    return next(req);
  };
}
