/**
 * Loaded into a measured process with `node --expose-gc --import ./bench/heap-probe.ts` (bench/memory.ts does):
 * on SIGUSR2 it collects garbage fully and writes the live heap and resident memory to a file named after the
 * process, so that the benchmark can tell what the process holds from what V8 has not collected yet.
 */
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const probeFile = (pid: number) => join(tmpdir(), `vertexchat-heap-probe-${pid}.json`);

const collect = (globalThis as { gc?: () => void }).gc;
if (collect) {
  process.on("SIGUSR2", () => {
    // Twice: the first collection can leave objects with finalizers (weak references) for the second.
    collect();
    collect();
    const { heapUsed, rss } = process.memoryUsage();
    writeFileSync(probeFile(process.pid), JSON.stringify({ heapUsed, rss }));
  });
}
