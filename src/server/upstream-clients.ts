/**
 * Builds the ChatUpstream for each configured upstream and location: its base URL (the one place for Vertex's URL
 * shapes is wire/vertex-urls.ts) and its credentials. Application Default Credentials are shared by every upstream
 * that uses them; each key file and API key gets its own token source.
 */
import type { ClientFactory } from "../chat/model-router.ts";
import type { Credentials, Upstream } from "../config/routing.ts";
import { EMULATOR_ORIGIN } from "../config/routing-file.ts";
import { ConfigError } from "../config/settings.ts";
import { ChatUpstream } from "../upstream/chat-upstream.ts";
import { GoogleTokenSource } from "../upstream/google-token-source.ts";
import type { UpstreamHttp } from "../upstream/lean-fetch.ts";
import { staticTokenSource, type TokenSource } from "../upstream/token-source.ts";
import { dedicatedEndpointBaseUrl, vertexBaseUrl } from "../wire/vertex-urls.ts";

export interface EmulatorEndpoint {
  origin: string;
  token: string;
}

export interface UpstreamClients {
  factory: ClientFactory;
  /** The base URL of every upstream client built, by upstream name (no credentials are ever in them). */
  baseUrls: Map<string, string[]>;
  /** Every Google token source the upstreams use (Application Default Credentials, key files), for readiness. */
  googleCredentials: GoogleTokenSource[];
}

export function upstreamClients(
  emulator: EmulatorEndpoint | undefined,
  googleOptions: { fetchAtStart: boolean; retry: { initialMs: number; maxMs: number } },
  http: UpstreamHttp,
): UpstreamClients {
  const google = new Map<string, GoogleTokenSource>();
  const baseUrls = new Map<string, string[]>();
  const built = (name: string, client: ChatUpstream) => {
    const url = new URL(client.baseUrl);
    url.username = "";
    url.password = "";
    baseUrls.set(name, [...(baseUrls.get(name) ?? []), url.href.replace(/\/$/, "")]);
    return client;
  };
  const googleSource = (keyFile: string | undefined, projectId: string | undefined) => {
    const key = keyFile ?? "";
    let source = google.get(key);
    if (!source) {
      source = new GoogleTokenSource({
        ...(keyFile ? { keyFile } : {}),
        ...(projectId ? { projectId } : {}),
        ...googleOptions,
      });
      google.set(key, source);
    }
    return source;
  };
  const tokensFor = (credentials: Credentials, projectId?: string): TokenSource => {
    switch (credentials.type) {
      case "adc":
        return googleSource(undefined, projectId);
      case "service_account_key":
        return googleSource(credentials.keyFile, projectId);
      case "api_key":
        return staticTokenSource(credentials.value);
      case "static":
        return staticTokenSource(credentials.token);
    }
  };

  const factory: ClientFactory = (upstream: Upstream, location: string) => {
    if (upstream.kind === "openai-compatible") {
      return built(
        upstream.name,
        new ChatUpstream({ baseUrl: upstream.baseUrl, tokens: tokensFor(upstream.credentials), fetch: http.fetch }),
      );
    }
    let origin = upstream.origin;
    let credentials = upstream.credentials;
    if (origin === EMULATOR_ORIGIN) {
      if (!emulator) {
        throw new ConfigError(
          `upstreams.${upstream.name}.origin: "emulator" needs the built-in emulator; set VERTEXCHAT_EMULATOR=on`,
        );
      }
      origin = emulator.origin;
      credentials = { type: "static", token: emulator.token };
    }
    const common = { location, apiVersion: upstream.apiVersion, ...(origin ? { origin } : {}) };
    const baseUrl =
      upstream.kind === "vertex"
        ? vertexBaseUrl({ project: upstream.project, ...common })
        : upstream.dns === "shared"
          ? vertexBaseUrl({ project: upstream.project, endpointId: upstream.endpointId, ...common })
          : dedicatedEndpointBaseUrl({
              projectNumber: upstream.projectNumber ?? upstream.project,
              endpointId: upstream.endpointId,
              ...common,
            });
    return built(
      upstream.name,
      new ChatUpstream({ baseUrl, tokens: tokensFor(credentials, upstream.project), fetch: http.fetch }),
    );
  };
  return {
    factory,
    baseUrls,
    get googleCredentials() {
      return [...google.values()];
    },
  };
}
