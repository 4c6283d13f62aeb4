/**
 * The one place that knows the shape of Vertex's OpenAI-compatible URLs. The client appends `/chat/completions`.
 */

export type VertexApiVersion = "v1" | "v1beta1";

export interface VertexEndpoint {
  project: string;
  /** A region such as `us-central1`, or `global`. */
  location: string;
  apiVersion: VertexApiVersion;
  /** `openapi` for Gemini and partner models; a numeric id for a self-deployed Model Garden endpoint. */
  endpointId?: string;
  /**
   * Replaces Google's host (scheme and authority only), keeping the path shape: the local emulator, a Private
   * Service Connect address, or a test server.
   */
  origin?: string;
}

/** `https://{LOC}-aiplatform.googleapis.com`, or `https://aiplatform.googleapis.com` for `global`. */
export function vertexOrigin(location: string): string {
  return location === "global" ? "https://aiplatform.googleapis.com" : `https://${location}-aiplatform.googleapis.com`;
}

export function vertexBaseUrl(endpoint: VertexEndpoint): string {
  const origin = (endpoint.origin ?? vertexOrigin(endpoint.location)).replace(/\/+$/, "");
  const project = encodeURIComponent(endpoint.project);
  const location = encodeURIComponent(endpoint.location);
  const endpointId = encodeURIComponent(endpoint.endpointId ?? "openapi");
  return `${origin}/${endpoint.apiVersion}/projects/${project}/locations/${location}/endpoints/${endpointId}`;
}

/**
 * A self-deployed Model Garden endpoint on its dedicated DNS name:
 * `https://{ENDPOINT_ID}.{LOC}-{PROJECT_NUMBER}.prediction.vertexai.goog/v1/projects/{PROJECT_NUMBER}/locations/{LOC}/endpoints/{ENDPOINT_ID}`.
 */
export function dedicatedEndpointBaseUrl(endpoint: {
  projectNumber: string;
  location: string;
  endpointId: string;
  apiVersion: VertexApiVersion;
  origin?: string;
}): string {
  const origin =
    endpoint.origin ??
    `https://${endpoint.endpointId}.${endpoint.location}-${endpoint.projectNumber}.prediction.vertexai.goog`;
  return vertexBaseUrl({
    project: endpoint.projectNumber,
    location: endpoint.location,
    apiVersion: endpoint.apiVersion,
    endpointId: endpoint.endpointId,
    origin,
  });
}

/** The location in a context cache's resource name (`projects/P/locations/L/cachedContents/ID`). */
export function cachedContentLocation(name: string): string | undefined {
  return /^projects\/[^/]+\/locations\/([^/]+)\/cachedContents\/[^/]+$/.exec(name)?.[1];
}

/** The path pattern the emulator serves; kept beside the builder so the two cannot disagree. */
export const VERTEX_CHAT_PATH =
  /^\/(v1|v1beta1)\/projects\/([^/]+)\/locations\/([^/]+)\/endpoints\/([^/]+)\/chat\/completions$/;

/** A Vertex location: `global` or a region such as `us-central1` (the one pattern for settings and routing). */
export const LOCATION_PATTERN = /^(global|[a-z]+-[a-z]+\d+)$/;
