/**
 * The thinnest possible Node gateway, as the floor any Node gateway pays for its hop: read the body, `fetch` the
 * upstream, pipe the answer back. `node bench/bare-proxy.ts <port> <upstream URL>`.
 */
import { createServer } from "node:http";
import { Readable } from "node:stream";

const [port = "0", upstream = ""] = process.argv.slice(2);
const server = createServer(async (req, res) => {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  const answer = await fetch(upstream, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: req.headers.authorization ?? "" },
    body: Buffer.concat(parts),
  });
  res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "application/json" });
  if (answer.body) Readable.fromWeb(answer.body).pipe(res);
  else res.end();
});
server.keepAliveTimeout = 60_000;
server.listen(Number(port), "127.0.0.1", () => {
  console.log(`listening ${(server.address() as { port: number }).port}`);
});
