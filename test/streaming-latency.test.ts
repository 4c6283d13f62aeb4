import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { userRequest } from "./support/requests.ts";
import { type Stack, startStack } from "./support/stack.ts";

let stack: Stack;
before(async () => {
  stack = await startStack();
});
after(async () => {
  await stack.close();
});

test("paced chunks are forwarded as they come: none waits for the previous one's ACK (Nagle's algorithm is off)", async () => {
  // With Nagle's algorithm on, a small write waits for the ACK of the one before, which the caller's kernel delays
  // by 40 ms: about one chunk per stream arrived 40 ms late (measured) while the upstream paced chunks 5 ms apart.
  const client = stack.client("connect", "1.1");
  const late: number[] = [];
  let gaps = 0;
  for (let i = 0; i < 8; i++) {
    let last: number | undefined;
    for await (const event of client.streamChatCompletion(userRequest(`paced ${i} [[emulate words=40 pacing_ms=5]]`))) {
      if (event.event.case !== "delta") continue;
      const now = performance.now();
      if (last !== undefined) {
        gaps++;
        if (now - last > 30) late.push(Math.round(now - last));
      }
      last = now;
    }
  }
  assert.ok(gaps > 200, `the chunks came one by one (${gaps} gaps)`);
  // One outlier is the machine (a GC pause, a busy core); Nagle's shows on every stream.
  assert.ok(late.length <= 1, `chunks held back: gaps of ${late.join(", ")} ms between chunks paced 5 ms apart`);
});
