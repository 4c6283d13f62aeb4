/**
 * Rejects an invalid request with INVALID_ARGUMENT and a google.rpc.BadRequest before any handler (and so any
 * upstream call) runs. Server-streaming requests hold exactly one message, which is read and checked first.
 */
import type { Message } from "@bufbuild/protobuf";
import type { Interceptor } from "@connectrpc/connect";
import { createAsyncIterable } from "@connectrpc/connect/protocol";
import { violationsToConnectError } from "../chat/error-mapping.ts";
import type { RequestValidator } from "../chat/request-validation.ts";

export function validationInterceptor(validate: RequestValidator): Interceptor {
  return (next) => async (req) => {
    const check = (message: Message) => {
      const violations = validate(req.method.input, message);
      if (violations.length > 0) throw violationsToConnectError(violations);
    };
    if (!req.stream) {
      check(req.message);
      return next(req);
    }
    // Only server-streaming calls (one request message) are read ahead; a bidi stream (reflection) is interactive.
    if (req.method.methodKind !== "server_streaming") return next(req);
    const messages: Message[] = [];
    for await (const message of req.message) {
      check(message);
      messages.push(message);
    }
    return next({ ...req, message: createAsyncIterable(messages) });
  };
}
