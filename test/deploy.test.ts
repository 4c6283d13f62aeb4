/**
 * The deployment files are checked against the code they deploy: ports, probes, environment variable names (every
 * one must be a setting of src/config/settings.ts), the shutdown grace, the image's user and health check. No
 * Docker engine or cluster runs here, so the files are parsed and cross-checked; the health check script is run.
 */
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { parseAllDocuments } from "yaml";
import { SETTINGS } from "../src/config/settings.ts";
import { type Stack, startStack } from "./support/stack.ts";

const root = new URL("..", import.meta.url).pathname;
const SETTING_NAMES = new Set(Object.values(SETTINGS).map((s) => s.env));
// biome-ignore lint/suspicious/noExplicitAny: parsed YAML is untyped; the assertions are the schema.
type Doc = Record<string, any>;

function load(path: string): Doc[] {
  return parseAllDocuments(readFileSync(`${root}${path}`, "utf8")).map((d) => d.toJS() as Doc);
}

function checkEnv(env: { name: string; value?: string }[], where: string) {
  for (const { name } of env) assert.ok(SETTING_NAMES.has(name), `${where}: ${name} is not a vertexchat setting`);
  const value = (name: string) => env.find((e) => e.name === name)?.value;
  for (const { name, value: raw } of env) {
    if (raw === undefined || /PROJECT_ID|HASH/.test(raw)) continue;
    const setting = Object.values(SETTINGS).find((s) => s.env === name);
    assert.doesNotThrow(() => setting?.parse(raw), `${where}: ${name}=${raw} is not a valid value`);
  }
  return value;
}

describe("Kubernetes manifests", () => {
  const [deployment] = load("deploy/kubernetes/deployment.yaml");
  const container = deployment?.spec.template.spec.containers[0];

  test("the Deployment's ports, probes and environment match the gateway", () => {
    const env = checkEnv(container.env, "deployment.yaml");
    const port = Number(env("VERTEXCHAT_LISTEN")?.split(":")[1]);
    const grpcPort = container.ports.find((p: Doc) => p.name === "grpc");
    assert.equal(grpcPort.containerPort, port);
    for (const probe of ["readinessProbe", "livenessProbe", "startupProbe"]) {
      assert.equal(container[probe].grpc.port, port, `${probe} asks grpc.health.v1 on the serving port`);
    }
    assert.equal(container.readinessProbe.grpc.service, "vertexchat.v1.ChatService");
    const metricsPort = container.ports.find((p: Doc) => p.name === "metrics").containerPort;
    assert.equal(Number(env("VERTEXCHAT_ADMIN_LISTEN")?.split(":")[1]), metricsPort);
    assert.equal(Number(deployment?.spec.template.metadata.annotations["prometheus.io/port"]), metricsPort);
    assert.ok(
      deployment?.spec.template.spec.terminationGracePeriodSeconds * 1000 > Number(env("VERTEXCHAT_SHUTDOWN_GRACE_MS")),
      "the pod's grace outlasts the gateway's",
    );
  });

  test("Service, HPA, PDB and Workload Identity service account point at the Deployment", () => {
    const [service] = load("deploy/kubernetes/service.yaml");
    const [hpa] = load("deploy/kubernetes/hpa.yaml");
    const [pdb] = load("deploy/kubernetes/pdb.yaml");
    const [account] = load("deploy/kubernetes/serviceaccount.yaml");
    const labels = deployment?.spec.template.metadata.labels;
    assert.deepEqual(service?.spec.selector, labels);
    assert.deepEqual(pdb?.spec.selector.matchLabels, labels);
    const portNames = container.ports.map((p: Doc) => p.name);
    for (const p of service?.spec.ports ?? [])
      assert.ok(portNames.includes(p.targetPort), `service targets port ${p.targetPort}`);
    assert.equal(hpa?.spec.scaleTargetRef.name, deployment?.metadata.name);
    assert.ok(hpa?.spec.minReplicas >= 2 && pdb?.spec.minAvailable >= 1);
    assert.equal(deployment?.spec.template.spec.serviceAccountName, account?.metadata.name);
    assert.match(account?.metadata.annotations["iam.gke.io/gcp-service-account"], /@.*\.iam\.gserviceaccount\.com$/);
  });
});

describe("Cloud Run service", () => {
  const [service] = load("deploy/cloud-run/service.yaml");
  const spec = service?.spec.template.spec;
  const container = spec.containers[0];

  test("HTTP/2 end to end on the serving port, concurrency and min instances set, settings valid", () => {
    const env = checkEnv(container.env, "cloud-run/service.yaml");
    assert.equal(container.ports[0].name, "h2c");
    assert.equal(container.ports[0].containerPort, Number(env("VERTEXCHAT_LISTEN")?.split(":")[1]));
    assert.ok(spec.containerConcurrency > 0);
    assert.equal(service?.spec.template.metadata.annotations["autoscaling.knative.dev/minScale"], "1");
    assert.ok(Number(env("VERTEXCHAT_SHUTDOWN_GRACE_MS")) < 10_000, "Cloud Run allows 10 s after SIGTERM");
  });
});

describe("Dockerfile", () => {
  const dockerfile = readFileSync(`${root}Dockerfile`, "utf8");

  test("multi-stage on the official Node 24 slim image, production dependencies only, non-root, health check", () => {
    const froms = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]);
    assert.ok(froms.length >= 2 && froms.every((f) => f === "node:24-slim"), froms.join(", "));
    assert.match(dockerfile, /npm ci --omit=dev/);
    assert.match(dockerfile, /^USER node$/m);
    assert.match(dockerfile, /^HEALTHCHECK .*CMD \["node", "src\/healthcheck\.ts"\]$/m);
    assert.match(dockerfile, /^ENTRYPOINT \["node", "src\/main\.ts"\]$/m);
    // The compile cache is filled at build time, as the runtime user, in the folder the runtime reads it from.
    const cache = /NODE_COMPILE_CACHE=(\S+)/.exec(dockerfile)?.[1];
    assert.equal(cache, "/app/.compile-cache");
    assert.match(dockerfile, /^RUN mkdir \.compile-cache && chown node \.compile-cache$/m);
    assert.match(dockerfile, /^USER node\n(?:#.*\n)*RUN node src\/main\.ts --fill-compile-cache$/m);
    for (const path of [...dockerfile.matchAll(/^COPY (?:--from=\S+ )?(\S+)/gm)].map((m) => m[1] ?? "")) {
      if (!path.startsWith("/")) assert.ok(existsSync(`${root}${path.split(" ")[0]}`), `${path} exists`);
    }
    const env = Object.fromEntries([...dockerfile.matchAll(/(VERTEXCHAT_\w+)=(\S+)/g)].map((m) => [m[1], m[2]]));
    const exposed = [...dockerfile.matchAll(/^EXPOSE (.+)$/gm)].flatMap((m) => (m[1] ?? "").split(/\s+/).map(Number));
    assert.ok(exposed.includes(Number(String(env.VERTEXCHAT_LISTEN).split(":")[1])));
    assert.ok(exposed.includes(Number(String(env.VERTEXCHAT_ADMIN_LISTEN).split(":")[1])));
  });

  describe("the image's health check script", () => {
    let stack: Stack;
    before(async () => {
      stack = await startStack();
    });
    after(() => stack.close());

    test("exits 0 against a serving gateway and 1 against nothing", async () => {
      const run = (url: string) => promisify(execFile)(process.execPath, [`${root}src/healthcheck.ts`, url]);
      await run(stack.gateway.url);
      await assert.rejects(run("http://127.0.0.1:9"), (err: { code?: number }) => err.code === 1);
    });
  });
});
