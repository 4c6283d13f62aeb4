import assert from "node:assert/strict";
import { once } from "node:events";
import { createServer, type IncomingMessage, request, type ServerResponse } from "node:http";
import { connect, createServer as createH2Server, type Http2ServerResponse } from "node:http2";
import type { AddressInfo } from "node:net";
import { describe, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { drained } from "./drained.ts";

const piece = Buffer.alloc(256 * 1024, "x");

/**
 * Writes until the response's buffer stays full: the kernel's buffers on loopback take megabytes, so a write that
 * returns false is followed by 'drain' until they are full too. Resolves with the response once 100 ms pass with
 * no 'drain' (on a slow machine that may be early, which only makes the wait in the test longer).
 */
async function fillUntilFull<R extends ServerResponse | Http2ServerResponse>(res: R): Promise<R> {
  const write = (chunk: Buffer) => (res as ServerResponse).write(chunk);
  for (;;) {
    if (write(piece)) continue;
    const drainedSoon = await Promise.race([once(res, "drain").then(() => true), sleep(100).then(() => false)]);
    if (!drainedSoon) return res;
  }
}

/** A server whose one answer fills its buffer, handed to the test, and a caller that reads nothing of it. */
async function fullAnswerOverHttp1(): Promise<{
  res: ServerResponse;
  answer: Promise<IncomingMessage>;
  leave(): void;
  close(): void;
}> {
  let handed!: (res: ServerResponse) => void;
  const full = new Promise<ServerResponse>((resolve) => {
    handed = resolve;
  });
  const server = createServer((_req, res) => {
    res.writeHead(200);
    void fillUntilFull(res).then(handed);
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const req = request({ port: (server.address() as AddressInfo).port, host: "127.0.0.1" });
  const answer = new Promise<IncomingMessage>((resolve) =>
    req.on("response", (message) => {
      message.pause();
      resolve(message);
    }),
  );
  req.on("error", () => undefined);
  req.end();
  return {
    res: await full,
    answer,
    leave: () => req.destroy(),
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

describe("drained", () => {
  test("resolves when the reader leaves while the buffer is full (no 'drain' ever comes)", {
    timeout: 10_000,
  }, async () => {
    const { res, leave, close } = await fullAnswerOverHttp1();
    const waiting = drained(res);
    leave();
    await waiting;
    close();
  });

  test("resolves on HTTP/2 when the stream is cancelled while its buffer is full", { timeout: 10_000 }, async () => {
    let handed!: (res: Http2ServerResponse) => void;
    const full = new Promise<Http2ServerResponse>((resolve) => {
      handed = resolve;
    });
    const server = createH2Server((req, res) => {
      // Read whole, as the emulator and the gateway read a request before answering it (a stream whose request
      // is left unread is not closed by a reset until it is read).
      req.resume();
      req.once("end", () => {
        res.writeHead(200);
        void fillUntilFull(res).then(handed);
      });
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const session = connect(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    const stream = session.request({ ":path": "/" });
    stream.pause();
    stream.end();
    const res = await full;
    const waiting = drained(res);
    stream.close();
    await waiting;
    session.destroy();
    server.close();
  });

  test("resolves when the reader reads again, with the response still open", { timeout: 10_000 }, async () => {
    const { res, answer, close } = await fullAnswerOverHttp1();
    const waiting = drained(res);
    (await answer).resume();
    await waiting;
    assert.equal(res.destroyed, false);
    close();
  });

  test("resolves at once when the call's signal is aborted", async () => {
    const { res, leave, close } = await fullAnswerOverHttp1();
    const controller = new AbortController();
    const waiting = drained(res, controller.signal);
    controller.abort();
    await waiting;
    assert.equal(res.destroyed, false);
    leave();
    close();
  });
});
