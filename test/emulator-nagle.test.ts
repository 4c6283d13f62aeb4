/**
 * The emulator sends each streamed chunk at once, over TLS too, as Google's front end does: every connection it
 * accepts has Nagle's algorithm off. node:http turns it off by default and a TLS server does not; with it on, the
 * paced chunks of a stream over TLS came in 40 ms bunches (each small write waiting for the caller's delayed ACK of
 * the one before), which made every path to a TLS upstream in the benchmark look slower than the upstream is.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { Socket } from "node:net";
import { test } from "node:test";
import { connect } from "node:tls";
import { startEmulator } from "../src/emulator/emulator-server.ts";
import { issue, makeCa } from "./support/certs.ts";

/** The remote ports of the sockets accepted on `port` that turned Nagle's algorithm off, while `body` runs. */
async function noDelayAcceptedOn(port: () => number, body: () => Promise<void>): Promise<Set<number>> {
  const seen = new Set<number>();
  const original = Socket.prototype.setNoDelay;
  Socket.prototype.setNoDelay = function setNoDelay(this: Socket, noDelay?: boolean) {
    if (noDelay !== false && this.localPort === port()) seen.add(this.remotePort ?? -1);
    return original.call(this, noDelay);
  };
  try {
    await body();
  } finally {
    Socket.prototype.setNoDelay = original;
  }
  return seen;
}

for (const alpn of ["http/1.1", "h2"]) {
  test(`the emulator over TLS turns Nagle's algorithm off on a connection that chose ${alpn}`, async () => {
    const ca = makeCa("emulator-nagle-ca");
    const emulator = await startEmulator({ tls: issue(ca, "127.0.0.1") });
    try {
      let clientPort = 0;
      const seen = await noDelayAcceptedOn(
        () => emulator.port,
        async () => {
          const client = connect({ host: "127.0.0.1", port: emulator.port, ca: ca.cert, ALPNProtocols: [alpn] });
          await once(client, "secureConnect");
          assert.equal(client.alpnProtocol, alpn);
          clientPort = client.localPort ?? 0;
          client.destroy();
        },
      );
      assert.ok(seen.has(clientPort), `the emulator's end of the connection from port ${clientPort} kept Nagle on`);
    } finally {
      await emulator.close();
    }
  });
}
