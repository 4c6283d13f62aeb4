/**
 * A server that answers every request at once with a fixed small body: what the load generator can drive at most
 * on this machine, so that no number limited by the generator is mistaken for one of a gateway.
 * `node bench/ceiling-server.ts <port>`.
 */
import { createServer } from "node:http";

const body = JSON.stringify({
  id: "x",
  object: "chat.completion",
  choices: [{ index: 0, message: { content: "ok" } }],
});
const server = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) });
    res.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(Number(process.argv[2] ?? 0), "127.0.0.1", () => {
  console.log(`listening ${(server.address() as { port: number }).port}`);
});
