/**
 * The default cap on streams served at once (`VERTEXCHAT_MAX_CONCURRENT_STREAMS=auto`), derived from what this
 * process may use:
 * - memory: V8's heap limit (`--max-old-space-size`, or V8's default from the machine's memory), or the container's
 *   memory limit when that is lower;
 * - file descriptors: a stream from an HTTP/1.1 caller to an HTTP/1.1 upstream holds two sockets.
 * A fixed default either refuses load a large process could carry or lets a small container run out of memory or
 * sockets; the derived one does neither, and the listening line says what it came from.
 */
import { readFileSync } from "node:fs";
import { getHeapStatistics } from "node:v8";

/** What an open stream holds on the heap (bench/RESULTS.md, live heap after a full collection at 1,000 and 4,000 open streams: 33–36 KiB, the bare proxy 37), with room to spare. */
export const HEAP_PER_STREAM_BYTES = 64 * 1024;
/** The heap of a started gateway with nothing open (heap snapshots: 43 MiB), with room to spare. */
export const IDLE_HEAP_BYTES = 48 * 2 ** 20;
/** The part of the limit streams may fill: the rest is headroom for garbage between collections and for bursts. */
const USABLE_FRACTION = 0.75;
/** Sockets a stream may hold: its caller's connection and its own upstream connection. */
const SOCKETS_PER_STREAM = 2;
/** Descriptors kept for everything else: listeners, the admin port, files, DNS, Redis, the OTLP exporter. */
const RESERVED_DESCRIPTORS = 64;
/** A cap below this would refuse ordinary load: such a process is misconfigured, and the listening line shows it. */
const MIN_CAP = 16;

export interface ProcessLimits {
  /** V8's heap limit, in bytes. */
  heapLimitBytes: number;
  /** The container's (cgroup's) memory limit in bytes; 0, or more than the machine has, when there is none. */
  constrainedBytes: number;
  /** The machine's memory, in bytes. */
  totalBytes: number;
  /** The open-files limit (RLIMIT_NOFILE), or undefined when it cannot be read. */
  openFiles: number | undefined;
}

export interface StreamCap {
  cap: number;
  /** Which limit decided the cap, for the listening line. */
  by: "heap" | "container memory" | "open files" | "minimum";
  /** That limit: bytes for memory, a count for open files. */
  limit: number;
}

/** The limits of this process. */
export function processLimits(totalBytes: number): ProcessLimits {
  return {
    heapLimitBytes: getHeapStatistics().heap_size_limit,
    constrainedBytes: process.constrainedMemory(),
    totalBytes,
    openFiles: openFilesLimit(),
  };
}

/** The stream cap for these limits. */
export function streamCapFor(limits: ProcessLimits): StreamCap {
  const container = limits.constrainedBytes > 0 && limits.constrainedBytes < limits.totalBytes;
  const memory =
    container && limits.constrainedBytes < limits.heapLimitBytes
      ? { by: "container memory" as const, limit: limits.constrainedBytes }
      : { by: "heap" as const, limit: limits.heapLimitBytes };
  const byMemory = Math.floor((memory.limit * USABLE_FRACTION - IDLE_HEAP_BYTES) / HEAP_PER_STREAM_BYTES);
  const byFiles =
    limits.openFiles === undefined
      ? Number.POSITIVE_INFINITY
      : Math.floor((limits.openFiles - RESERVED_DESCRIPTORS) / SOCKETS_PER_STREAM);
  const decided =
    byFiles < byMemory
      ? { cap: byFiles, by: "open files" as const, limit: limits.openFiles ?? 0 }
      : { cap: byMemory, ...memory };
  return decided.cap < MIN_CAP ? { ...decided, cap: MIN_CAP, by: "minimum" } : decided;
}

/** RLIMIT_NOFILE's soft limit, from /proc (Linux); undefined elsewhere or when unlimited. */
function openFilesLimit(): number | undefined {
  try {
    const line = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync("/proc/self/limits", "utf8"))?.[1];
    return line === undefined || line === "unlimited" ? undefined : Number(line);
  } catch {
    return undefined;
  }
}
