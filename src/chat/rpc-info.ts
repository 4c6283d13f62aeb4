/**
 * What a handler learned about one RPC (where it was served, how many upstream attempts it took), shared with the
 * interceptors that log and measure it, through Connect's context values.
 */
import { createContextKey } from "@connectrpc/connect";

export interface RpcInfo {
  model: string;
  upstream: string;
  location: string;
  attempts: number;
}

export const RPC_INFO = createContextKey<RpcInfo | undefined>(undefined, { description: "vertexchat RPC info" });
