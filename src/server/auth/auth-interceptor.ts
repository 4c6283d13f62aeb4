/**
 * Who is calling, and may they? Missing or bad credentials → UNAUTHENTICATED; a known caller asking for a method
 * or model it is not allowed → PERMISSION_DENIED. Open services (health, reflection by default) skip both.
 */
import { type ConnectError, createContextKey, type Interceptor } from "@connectrpc/connect";
import { matchesAny } from "../../chat/model-router.ts";
import type { Caller, CallerLimits } from "../../config/callers-file.ts";
import { gatewayError } from "../../rpc/error-catalogue.ts";
import { RPC_INFO } from "../../rpc/rpc-info.ts";
import { readRequestMessage } from "../interceptor-utils.ts";
import type { CallerAuthenticator, PeerCertificate } from "./caller-auth.ts";

/** The TLS client certificate of the connection, set by the server from the socket. */
export const PEER_CERTIFICATE = createContextKey<PeerCertificate | undefined>(undefined, { description: "TLS peer" });

/** The caller's limits, for the limits interceptor. */
export const CALLER_LIMITS = createContextKey<CallerLimits | undefined>(undefined, { description: "caller limits" });

export function authInterceptor(opts: {
  authenticator: CallerAuthenticator;
  openServices: string[];
  defaultLimits: CallerLimits;
}): Interceptor {
  return (next) => async (request) => {
    if (opts.openServices.includes(request.service.typeName)) return next(request);
    const result = await opts.authenticator.authenticate(request.header, request.contextValues.get(PEER_CERTIFICATE));
    if (result.kind === "unauthenticated") throw gatewayError("CALLER_UNAUTHENTICATED", result.message);
    if (result.kind === "anonymous") {
      request.contextValues.set(CALLER_LIMITS, opts.defaultLimits);
      return next(request);
    }
    const caller = result.caller;
    const info = request.contextValues.get(RPC_INFO);
    if (info) info.caller = caller.name;
    request.contextValues.set(CALLER_LIMITS, caller.limits);
    if (caller.methods.length > 0 && !caller.methods.includes(request.method.name)) {
      throw denied(caller, `may not call ${request.method.name}; allowed: ${caller.methods.join(", ")}`);
    }
    const { message, req } = await readRequestMessage(request);
    const model = (message as { model?: unknown } | undefined)?.model;
    if (typeof model === "string" && !matchesAny(model, caller.models)) {
      throw denied(caller, `may not use model ${JSON.stringify(model)}; allowed: ${caller.models.join(", ")}`);
    }
    return next(req);
  };
}

function denied(caller: Caller, what: string): ConnectError {
  return gatewayError("CALLER_NOT_ALLOWED", `caller ${caller.name} ${what}`, { metadata: { caller: caller.name } });
}
