import assert from "node:assert/strict";
import { once } from "node:events";
import net from "node:net";
import { after, before, test } from "node:test";
import { type Stack, startStack } from "./support/stack.ts";

// With Nagle's algorithm on, a small write waits for the ACK of the one before, which the caller's kernel delays by
// 40 ms: about one streamed chunk per stream arrived 40 ms late (measured in the benchmark) while the upstream paced
// chunks 5 ms apart. How late is a timing, and timings belong in the benchmark; what is checked here is the cause:
// every connection the gateway accepts has TCP_NODELAY set, whichever protocol it turns out to speak.
const noDelaySetFor = new Set<number>();
const realSetNoDelay = net.Socket.prototype.setNoDelay;

let stack: Stack;
before(async () => {
  net.Socket.prototype.setNoDelay = function (this: net.Socket, noDelay?: boolean) {
    if (noDelay !== false && this.remotePort !== undefined) noDelaySetFor.add(this.remotePort);
    return realSetNoDelay.call(this, noDelay);
  };
  stack = await startStack();
});
after(async () => {
  net.Socket.prototype.setNoDelay = realSetNoDelay;
  await stack.close();
});

const PREFACES = {
  "HTTP/1.1": Buffer.from("GET /no-such-path HTTP/1.1\r\nHost: gateway\r\n\r\n"),
  // The h2 connection preface and an empty SETTINGS frame: the server answers with its own SETTINGS.
  "h2c (gRPC, Connect over HTTP/2)": Buffer.concat([
    Buffer.from("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
    Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0]),
  ]),
};

for (const [protocol, preface] of Object.entries(PREFACES)) {
  test(`a ${protocol} connection is accepted with Nagle's algorithm off, so paced chunks are not held back`, async () => {
    const { hostname, port: gatewayPort } = new URL(stack.gateway.url);
    const socket = net.connect(Number(gatewayPort), hostname);
    await once(socket, "connect");
    socket.write(preface);
    await once(socket, "data"); // the gateway has accepted and read the connection
    const port = socket.localPort;
    socket.destroy();
    assert.ok(port !== undefined && noDelaySetFor.has(port), "TCP_NODELAY is set on the accepted socket");
  });
}
