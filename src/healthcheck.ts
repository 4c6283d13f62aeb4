/**
 * `node src/healthcheck.ts [url]`: exits 0 when the gateway's grpc.health.v1.Health/Check answers SERVING (over the
 * Connect protocol, plain HTTP/1.1 JSON), 1 otherwise. For container HEALTHCHECKs, where no gRPC probe exists.
 */
const url = process.argv[2] ?? `http://127.0.0.1:${process.env.PORT ?? "8080"}`;
try {
  const res = await fetch(`${url}/grpc.health.v1.Health/Check`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: "{}",
    signal: AbortSignal.timeout(3000),
  });
  const body = (await res.json()) as { status?: string };
  process.exit(res.ok && body.status === "SERVING" ? 0 : 1);
} catch {
  process.exit(1);
}
