/**
 * Two things several interceptors need: the request message of a unary or server-streaming call (read ahead,
 * then handed on unchanged), and a callback when a response — unary or streamed — is over.
 */
import type { Message } from "@bufbuild/protobuf";
import type { StreamRequest, StreamResponse, UnaryRequest, UnaryResponse } from "@connectrpc/connect";
import { createAsyncIterable } from "@connectrpc/connect/protocol";
import type { RpcInfo } from "../rpc/rpc-info.ts";

type Request = UnaryRequest | StreamRequest;
type Response = UnaryResponse | StreamResponse;

/**
 * The single request message of a unary or server-streaming call, and a request to pass on in its place. Other
 * streaming kinds are interactive and are not read ahead (undefined).
 */
export async function readRequestMessage(req: Request): Promise<{ message: Message | undefined; req: Request }> {
  if (!req.stream) return { message: req.message, req };
  if (req.method.methodKind !== "server_streaming") return { message: undefined, req };
  const messages: Message[] = [];
  for await (const message of req.message) messages.push(message);
  return { message: messages[0], req: { ...req, message: createAsyncIterable(messages) } };
}

/**
 * Calls `done` once when the response is over: at once for unary, at the end (or failure) of a stream; a stream's
 * error is first passed through `mapError` (and the mapped error is what the caller gets).
 */
export function onResponseEnd<R extends Response>(
  res: R,
  callback: (error?: unknown) => void,
  mapError: (error: unknown) => unknown = (error) => error,
): R {
  let called = false;
  const done = (error?: unknown) => {
    if (called) return;
    called = true;
    callback(error);
  };
  if (!res.stream) {
    done();
    return res;
  }
  const stream = res as StreamResponse;
  // A hand-written iterator, not an async generator: this wrapper sees every message of every stream.
  const inner = stream.message[Symbol.asyncIterator]();
  const failed = (err: unknown): never => {
    const error = mapError(err);
    done(error);
    throw error;
  };
  const passOn = (result: IteratorResult<unknown>) => {
    if (result.done === true) done();
    return result;
  };
  const iterator: AsyncIterator<unknown> = {
    next: () => inner.next().then(passOn, failed),
    // A caller that goes away ends the stream without an error.
    return: (value?: unknown) => {
      done();
      return inner.return ? inner.return(value) : Promise.resolve({ done: true, value });
    },
    throw: (err?: unknown) => (inner.throw ? inner.throw(err) : Promise.reject(err)).then(passOn, failed),
  };
  return { ...stream, message: { [Symbol.asyncIterator]: () => iterator } } as unknown as R;
}

/**
 * Runs `callback` when the call is over, through the RPC's end callbacks (one stream wrapper for every interceptor,
 * not one each), or by wrapping the response when the call has no RPC info.
 */
export function whenCallEnds<R extends Response>(
  info: RpcInfo | undefined,
  res: R,
  callback: (error?: unknown) => void,
): R {
  if (!info) return onResponseEnd(res, callback);
  info.onEnd.push(callback);
  return res;
}
