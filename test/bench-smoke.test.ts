import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { promisify } from "node:util";

test("the benchmark runs end to end (smoke: a few seconds, every section, numbers present, no errors)", {
  timeout: 180_000,
}, async () => {
  const root = new URL("..", import.meta.url).pathname;
  const { stdout } = await promisify(execFile)(process.execPath, [`${root}bench/run.ts`, "--smoke"], {
    cwd: root,
    maxBuffer: 16 * 1024 * 1024,
  });
  for (const section of [
    "## Load generator ceiling",
    "## Unary",
    "## Streaming",
    "## Paced streams",
    "## Memory",
    "## Cancellation",
    "## Targets",
  ]) {
    assert.ok(stdout.includes(section), `${section} missing:\n${stdout}`);
  }
  const rows = stdout.split("\n").filter((l) => /^\| \d+ \| /.test(l));
  assert.ok(rows.length >= 8, stdout);
  for (const row of rows) {
    const cells = row.split("|").map((c) => c.trim());
    assert.equal(cells.at(-2), "0", `no errors: ${row}`);
    assert.ok(!cells.slice(3, 5).includes("—"), `measured: ${row}`);
  }
  assert.match(stdout, /gateway aborted its upstream request \d+ ms later/);
});
