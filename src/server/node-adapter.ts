/**
 * Connect's Node adapter for the contract's services, with a write loop of its own for streamed answers.
 *
 * Connect's `universalResponseToNodeResponse` writes every message through a promise with an 'error' and a 'drain'
 * listener added and removed; for a streamed answer served by the lean streaming handler, whose request has been
 * read whole, each message is one `write()` here, and only a full socket buffer waits (for 'drain'); a Connect
 * unary answer served by lean-connect-unary.ts is one `end()`. Everything else — gRPC-Web, a response that comes
 * before its request was read (a refusal), every other service — is written by Connect's own function, as
 * `connectNodeAdapter` would.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Http2ServerRequest, Http2ServerResponse } from "node:http2";
import {
  Code,
  ConnectError,
  type ConnectRouter,
  type ConnectRouterOptions,
  type ContextValues,
  createConnectRouter,
} from "@connectrpc/connect";
import type { UniversalServerResponse } from "@connectrpc/connect/protocol";
import { universalRequestFromNodeRequest, universalResponseToNodeResponse } from "@connectrpc/connect-node";
import type { Logger } from "pino";
import { drained } from "./drained.ts";
import { leanUnaryBody } from "./lean-connect-unary.ts";
import { isLeanResponse } from "./lean-stream-handler.ts";

type NodeRequest = IncomingMessage | Http2ServerRequest;
type NodeResponse = ServerResponse | Http2ServerResponse;

export interface NodeAdapterOptions extends ConnectRouterOptions {
  routes(router: ConnectRouter): void;
  contextValues(req: NodeRequest): ContextValues;
  logger: Logger;
}

export function nodeAdapter(opts: NodeAdapterOptions): (req: NodeRequest, res: NodeResponse) => void {
  const router = createConnectRouter(opts);
  opts.routes(router);
  const paths = new Map(router.handlers.map((handler) => [handler.requestPath, handler]));
  return (req, res) => {
    const handler = paths.get(req.url?.split("?", 2)[0] ?? "");
    if (!handler) {
      (res as ServerResponse).writeHead(404);
      res.end();
      return;
    }
    const uReq = universalRequestFromNodeRequest(req as never, res as never, undefined, opts.contextValues(req));
    handler(uReq)
      .then((uRes) => {
        if (!req.complete) return universalResponseToNodeResponse(uRes, res as never);
        const whole = leanUnaryBody(uRes);
        if (whole) return writeWhole(uRes, whole, res);
        return isLeanResponse(uRes)
          ? writeStream(uRes, res, uReq.signal)
          : universalResponseToNodeResponse(uRes, res as never);
      })
      .catch((reason: unknown) => {
        if (ConnectError.from(reason).code === Code.Aborted) return;
        opts.logger.error(
          { err: reason, rpc: `${handler.service.typeName}/${handler.method.name}` },
          "a handler failed",
        );
      });
  };
}

/** A unary answer whose request was read whole: its headers and its one body, at once. */
function writeWhole(uRes: UniversalServerResponse, body: Uint8Array, res: NodeResponse): void {
  // A caller that went away has nothing to be written to, and that is no failure of the handler. (An HTTP/2
  // response has no `destroyed`; its writeHead() and end() do nothing once the stream is closed.)
  if ((res as ServerResponse).destroyed) return;
  (res as ServerResponse).writeHead(uRes.status, nodeHeaders(uRes.header));
  res.end(body);
}

/** A streamed answer: headers once the first message is there, one write per message, trailers, end. */
async function writeStream(uRes: UniversalServerResponse, res: NodeResponse, signal: AbortSignal): Promise<void> {
  const it = (uRes.body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator]();
  let writing = false;
  try {
    let chunk = await it.next();
    writing = true;
    (res as ServerResponse).writeHead(uRes.status, nodeHeaders(uRes.header));
    while (chunk.done !== true) {
      if (!(res as ServerResponse).write(chunk.value)) await drained(res, signal);
      writing = false;
      chunk = await it.next();
      writing = true;
    }
    if (res.destroyed) return;
    if (uRes.trailer) res.addTrailers(nodeHeaders(uRes.trailer));
    res.end();
  } catch (err) {
    // A write that failed (the caller is gone) is told to the handler, which stops the implementation.
    if (writing) await it.throw?.(err).catch(() => undefined);
    // A caller that went away is not a failure of the handler (not logged, as Connect's own writer does not).
    throw signal.aborted || res.destroyed
      ? new ConnectError("the caller went away", Code.Aborted, undefined, undefined, err)
      : err;
  } finally {
    await it.return?.().catch(() => undefined);
  }
}

/** Web headers as Node's: a header sent several times (Set-Cookie) as an array. */
function nodeHeaders(headers: UniversalServerResponse["header"]): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  const web = headers instanceof Headers ? headers : new Headers(headers);
  web.forEach((value, name) => {
    out[name] = value;
  });
  const cookies = web.getSetCookie();
  if (cookies.length > 0) out["set-cookie"] = cookies;
  return out;
}
