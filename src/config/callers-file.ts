/**
 * The callers file (YAML or JSON): who may call, how each proves it, what each may use, and each one's limits.
 * Mistakes stop start-up with one message naming the file, the path inside it and the fix.
 *
 *   callers:
 *     billing:
 *       apiKeys: ["sha256:<hex>", "<plain key>"]
 *       serviceAccounts: [billing@my-project.iam.gserviceaccount.com]
 *       certificateSubjects: [billing.internal]          # the client certificate's CN
 *       models: ["google/*", fast]                       # default: every model
 *       methods: [CreateChatCompletion, StreamChatCompletion, ListModels]   # default: every method
 *       limits: {concurrentStreams: 10, requestsPerMinute: 600, tokensPerMinute: 1000000}
 *   defaults:
 *     limits: {concurrentStreams: 100}
 */
import { createHash } from "node:crypto";
import { type Fail, failIn, mapping, onlyKeys, readDocument, stringList } from "./file-checks.ts";

export interface CallerLimits {
  concurrentStreams: number | undefined;
  requestsPerMinute: number | undefined;
  tokensPerMinute: number | undefined;
}

export interface Caller {
  name: string;
  /** SHA-256 digests of the caller's API keys. */
  apiKeyDigests: Buffer[];
  serviceAccounts: string[];
  certificateSubjects: string[];
  /** Model patterns (exact, or prefix ending in `*`). */
  models: string[];
  /** Method names; empty means every method. */
  methods: string[];
  limits: CallerLimits;
}

export interface Callers {
  callers: Caller[];
  /** Limits for callers that set none, and for anonymous callers when auth is off. */
  defaultLimits: CallerLimits;
}

const NO_LIMITS: CallerLimits = Object.freeze({
  concurrentStreams: undefined,
  requestsPerMinute: undefined,
  tokensPerMinute: undefined,
});

/** No callers file: no known callers, and no limits for anyone. */
export const NO_CALLERS: Callers = Object.freeze({ callers: [], defaultLimits: NO_LIMITS });

export function loadCallersFile(path: string): Callers {
  return parseCallers(readDocument(path, "callers file", "VERTEXCHAT_CALLERS_FILE"), path);
}

function parseCallers(doc: unknown, file: string): Callers {
  const fail = failIn(file);
  const root = mapping(doc, "(top level)", fail);
  onlyKeys(root, ["callers", "defaults"], "(top level)", fail);
  const defaults = root.defaults === undefined ? {} : mapping(root.defaults, "defaults", fail);
  onlyKeys(defaults, ["limits"], "defaults", fail);
  const defaultLimits = defaults.limits === undefined ? NO_LIMITS : limits(defaults.limits, "defaults.limits", fail);
  const callers: Caller[] = [];
  const keysSeen = new Map<string, string>();
  for (const [name, value] of Object.entries(mapping(root.callers, "callers", fail))) {
    const at = `callers.${name}`;
    const node = mapping(value, at, fail);
    onlyKeys(node, ["apiKeys", "serviceAccounts", "certificateSubjects", "models", "methods", "limits"], at, fail);
    const apiKeyDigests = stringList(node.apiKeys, `${at}.apiKeys`, fail).map((key, i) => {
      const digest = key.startsWith("sha256:") ? Buffer.from(key.slice(7), "hex") : sha256(key);
      if (digest.length !== 32) fail(`${at}.apiKeys[${i}]`, "a sha256: digest must be 64 hex digits");
      const other = keysSeen.get(digest.toString("hex"));
      if (other)
        fail(`${at}.apiKeys[${i}]`, `the same key is already given to ${other}; every key must name one caller`);
      keysSeen.set(digest.toString("hex"), name);
      return digest;
    });
    const caller: Caller = {
      name,
      apiKeyDigests,
      serviceAccounts: stringList(node.serviceAccounts, `${at}.serviceAccounts`, fail),
      certificateSubjects: stringList(node.certificateSubjects, `${at}.certificateSubjects`, fail),
      models: node.models === undefined ? ["*"] : stringList(node.models, `${at}.models`, fail),
      methods: stringList(node.methods, `${at}.methods`, fail),
      limits:
        node.limits === undefined
          ? defaultLimits
          : { ...defaultLimits, ...limits(node.limits, `${at}.limits`, fail, true) },
    };
    if (caller.apiKeyDigests.length + caller.serviceAccounts.length + caller.certificateSubjects.length === 0) {
      fail(at, "has no way to prove who it is; give it apiKeys, serviceAccounts or certificateSubjects");
    }
    callers.push(caller);
  }
  return { callers, defaultLimits };
}

export function sha256(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

function limits(value: unknown, at: string, fail: Fail, partial = false): CallerLimits {
  const node = mapping(value, at, fail);
  const names = ["concurrentStreams", "requestsPerMinute", "tokensPerMinute"] as const;
  onlyKeys(node, [...names], at, fail);
  const out: Partial<Record<(typeof names)[number], number | undefined>> = {};
  for (const name of names) {
    const v = node[name];
    if (v === undefined) {
      if (!partial) out[name] = undefined;
      continue;
    }
    if (typeof v !== "number" || !Number.isInteger(v) || v < 1)
      fail(`${at}.${name}`, "must be a whole number ≥ 1 (leave it out for no limit)");
    out[name] = v as number;
  }
  return out as CallerLimits;
}
