/**
 * Reads the routing file (YAML or JSON): upstreams and routes. Every mistake stops start-up with one message that
 * names the file, the path inside it, and the fix.
 */
import { LOCATION_PATTERN } from "../wire/vertex-urls.ts";
import {
  type Fail,
  failIn,
  httpUrl,
  mapping,
  type Node,
  oneOf,
  onlyKeys,
  readDocument,
  requiredString,
  stringList,
} from "./file-checks.ts";
import {
  type Capabilities,
  type Credentials,
  DEFAULT_GLOBAL_ONLY_MODELS,
  type RouteRule,
  type Routing,
  type Upstream,
  type UsageSemantics,
} from "./routing.ts";

/** The `origin` value that means "the built-in emulator". */
export const EMULATOR_ORIGIN = "emulator";

const UPSTREAM_KINDS = ["vertex", "vertex-endpoint", "openai-compatible"] as const;

const KEYS: Record<(typeof UPSTREAM_KINDS)[number], string[]> = {
  vertex: ["kind", "project", "locations", "apiVersion", "origin", "credentials", "globalOnlyModels"],
  "vertex-endpoint": [
    "kind",
    "project",
    "location",
    "endpointId",
    "dns",
    "projectNumber",
    "deployedModel",
    "sharedDnsStreaming",
    "apiVersion",
    "origin",
    "credentials",
    "usageSemantics",
  ],
  "openai-compatible": ["kind", "baseUrl", "apiKeyEnv", "usageSemantics"],
};

export function loadRoutingFile(path: string, env: NodeJS.ProcessEnv): Routing {
  return parseRouting(readDocument(path, "routing file", "VERTEXCHAT_CONFIG"), path, env);
}

/** Pure: a parsed document → Routing, or ConfigError. */
export function parseRouting(doc: unknown, file: string, env: NodeJS.ProcessEnv): Routing {
  const fail = failIn(file);
  const root = mapping(doc, "(top level)", fail);
  onlyKeys(root, ["upstreams", "routes", "default"], "(top level)", fail);
  const upstreamsNode = mapping(root.upstreams, "upstreams", fail);
  if (Object.keys(upstreamsNode).length === 0) fail("upstreams", "no upstream is defined; add at least one");
  const upstreams = new Map<string, Upstream>();
  for (const [name, value] of Object.entries(upstreamsNode)) {
    upstreams.set(name, parseUpstream(name, mapping(value, `upstreams.${name}`, fail), env, fail));
  }
  const known = () => [...upstreams.keys()].join(", ");
  const routes: RouteRule[] = [];
  const seen = new Map<string, number>();
  const routeNodes = root.routes === undefined ? [] : root.routes;
  if (!Array.isArray(routeNodes)) fail("routes", "must be a list of routes");
  for (const [i, value] of (routeNodes as unknown[]).entries()) {
    const at = `routes[${i}]`;
    const node = mapping(value, at, fail);
    onlyKeys(node, ["match", "upstream", "model", "capabilities"], at, fail);
    const match = requiredString(
      node.match,
      `${at}.match`,
      fail,
      "a model name, an alias, or a prefix ending in * such as google/*",
    );
    if (match.indexOf("*") !== -1 && match.indexOf("*") !== match.length - 1) {
      fail(`${at}.match`, `"${match}": * may only end a prefix, as in google/*`);
    }
    const previous = seen.get(match);
    if (previous !== undefined)
      fail(`${at}.match`, `"${match}" is already routed by routes[${previous}]; remove one of them`);
    seen.set(match, i);
    const upstream = requiredString(node.upstream, `${at}.upstream`, fail, `the name of an upstream (${known()})`);
    if (!upstreams.has(upstream)) fail(`${at}.upstream`, `no upstream is named "${upstream}"; use one of: ${known()}`);
    const model =
      node.model === undefined
        ? undefined
        : requiredString(node.model, `${at}.model`, fail, "the model name to send upstream");
    if (model !== undefined && match.endsWith("*"))
      fail(`${at}.model`, "a prefix route cannot rename models; route an exact name instead");
    const capabilities =
      node.capabilities === undefined ? undefined : parseCapabilities(node.capabilities, `${at}.capabilities`, fail);
    routes.push({ match, upstream, model, capabilities });
  }
  let defaultUpstream: string | undefined;
  if (root.default !== undefined) {
    defaultUpstream = requiredString(root.default, "default", fail, "the name of an upstream");
    if (!upstreams.has(defaultUpstream))
      fail("default", `no upstream is named "${defaultUpstream}"; use one of: ${known()}`);
  }
  if (routes.length === 0 && defaultUpstream === undefined)
    fail("routes", "no route and no default; add routes or a default upstream");
  return { source: file, upstreams, routes, defaultUpstream };
}

function parseUpstream(name: string, node: Node, env: NodeJS.ProcessEnv, fail: Fail): Upstream {
  const at = `upstreams.${name}`;
  const kind = node.kind;
  if (!UPSTREAM_KINDS.includes(kind as never)) {
    fail(`${at}.kind`, `${JSON.stringify(kind)} is not an upstream kind; use ${UPSTREAM_KINDS.join(", ")}`);
  }
  const k = kind as (typeof UPSTREAM_KINDS)[number];
  onlyKeys(node, KEYS[k], at, fail);
  if (k === "openai-compatible") return parseOpenAiCompatible(name, node, env, fail);
  const project = requiredString(node.project, `${at}.project`, fail, "the Google Cloud project id");
  const apiVersion = oneOf(node.apiVersion ?? "v1", ["v1", "v1beta1"] as const, `${at}.apiVersion`, fail);
  // `emulator` stands for the built-in emulator's address (with VERTEXCHAT_EMULATOR=on).
  const origin =
    node.origin === undefined
      ? undefined
      : node.origin === EMULATOR_ORIGIN
        ? EMULATOR_ORIGIN
        : httpUrl(node.origin, `${at}.origin`, fail, "https://vertex.internal");
  const credentials = parseCredentials(node.credentials, `${at}.credentials`, fail);
  if (k === "vertex") {
    const locations = parseLocations(node.locations, `${at}.locations`, fail);
    const globalOnly =
      node.globalOnlyModels === undefined
        ? DEFAULT_GLOBAL_ONLY_MODELS
        : stringList(node.globalOnlyModels, `${at}.globalOnlyModels`, fail);
    return {
      kind: k,
      name,
      project,
      locations,
      apiVersion,
      origin,
      credentials,
      globalOnlyModels: globalOnly,
    };
  }
  const location = requiredString(node.location, `${at}.location`, fail, "a region like us-central1");
  if (!LOCATION_PATTERN.test(location) || location === "global")
    fail(`${at}.location`, `"${location}" is not a region; use one like us-central1`);
  const endpointId = requiredString(node.endpointId, `${at}.endpointId`, fail, "the numeric endpoint id");
  if (!/^\d+$/.test(endpointId))
    fail(`${at}.endpointId`, `"${endpointId}" is not an endpoint id; use the numeric id from the console`);
  const dns = oneOf(node.dns ?? "dedicated", ["shared", "dedicated"] as const, `${at}.dns`, fail);
  const projectNumber = node.projectNumber === undefined ? undefined : String(node.projectNumber);
  if (dns === "dedicated" && !projectNumber && !origin)
    fail(`${at}.projectNumber`, "a dedicated DNS name needs the project number; add projectNumber");
  return {
    kind: k,
    name,
    project,
    location,
    endpointId,
    dns,
    projectNumber,
    deployedModel:
      node.deployedModel === undefined
        ? undefined
        : requiredString(node.deployedModel, `${at}.deployedModel`, fail, "the deployed model's id"),
    sharedDnsStreaming: oneOf(
      node.sharedDnsStreaming ?? "reject",
      ["reject", "unary"] as const,
      `${at}.sharedDnsStreaming`,
      fail,
    ),
    apiVersion,
    origin,
    credentials,
    usageSemantics: usage(node.usageSemantics, `${at}.usageSemantics`, "openai", fail),
  };
}

function parseOpenAiCompatible(name: string, node: Node, env: NodeJS.ProcessEnv, fail: Fail): Upstream {
  const at = `upstreams.${name}`;
  const baseUrl = httpUrl(node.baseUrl, `${at}.baseUrl`, fail, "https://api.openai.com/v1");
  const keyEnv = requiredString(
    node.apiKeyEnv,
    `${at}.apiKeyEnv`,
    fail,
    "the name of the environment variable that holds the API key",
  );
  const key = env[keyEnv];
  if (!key)
    fail(
      `${at}.apiKeyEnv`,
      `the environment variable ${keyEnv} is not set; export it with the API key, or name another variable`,
    );
  return {
    kind: "openai-compatible",
    name,
    baseUrl,
    credentials: { type: "api_key", env: keyEnv, value: key as string },
    usageSemantics: usage(node.usageSemantics, `${at}.usageSemantics`, "openai", fail),
  };
}

function parseLocations(locations: unknown, at: string, fail: Fail): string[] {
  if (!Array.isArray(locations) || locations.length === 0)
    fail(at, "must be a non-empty list such as [us-central1, global]");
  for (const [i, l] of locations.entries()) {
    if (typeof l !== "string" || !LOCATION_PATTERN.test(l))
      fail(`${at}[${i}]`, `${JSON.stringify(l)} is not a location; use global or a region like us-central1`);
  }
  return locations as string[];
}

function parseCredentials(value: unknown, at: string, fail: Fail): Credentials {
  if (value === undefined || value === "adc") return { type: "adc" };
  const node = mapping(value, at, fail);
  onlyKeys(node, ["keyFile"], at, fail);
  return {
    type: "service_account_key",
    keyFile: requiredString(node.keyFile, `${at}.keyFile`, fail, "the path of a service-account key JSON file"),
  };
}

function parseCapabilities(value: unknown, at: string, fail: Fail): Capabilities {
  const node = mapping(value, at, fail);
  const names = ["streaming", "tools", "mediaInput", "thinking"] as const;
  onlyKeys(node, [...names], at, fail);
  const flag = (n: (typeof names)[number]) => {
    const v = node[n] ?? true;
    if (typeof v !== "boolean") fail(`${at}.${n}`, "must be true or false");
    return v as boolean;
  };
  return {
    streaming: flag("streaming"),
    tools: flag("tools"),
    mediaInput: flag("mediaInput"),
    thinking: flag("thinking"),
  };
}

function usage(value: unknown, at: string, fallback: UsageSemantics, fail: Fail): UsageSemantics {
  return oneOf<UsageSemantics>(value ?? fallback, ["vertex", "openai"], at, fail);
}
