/**
 * What the routing file and the callers file share: reading a YAML-or-JSON document, and checks that stop start-up
 * with one message naming the file, the path inside it and the fix.
 */
import { readFileSync } from "node:fs";
import { parse } from "yaml";
import { ConfigError } from "./settings.ts";

export type Node = Record<string, unknown>;
export type Fail = (at: string, problem: string) => never;

/** Reads a file a setting names; `what` and `setting` name it in the message when that fails. */
export function readConfigFile(path: string, what: string, setting: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    throw new ConfigError(
      `${path}: cannot read the ${what} (${(err as NodeJS.ErrnoException).code ?? err}); check ${setting}`,
    );
  }
}

/** Reads and parses a file; `what` and `setting` name it in the message when that fails. */
export function readDocument(path: string, what: string, setting: string): unknown {
  const text = readConfigFile(path, what, setting);
  try {
    return parse(text);
  } catch (err) {
    throw new ConfigError(`${path}: not valid YAML or JSON: ${(err as Error).message.split("\n")[0]}`);
  }
}

/** A `fail` that throws ConfigError("<file>: <path>: <problem>"). */
export function failIn(file: string): Fail {
  return (at, problem) => {
    throw new ConfigError(`${file}: ${at}: ${problem}`);
  };
}

export function mapping(value: unknown, at: string, fail: Fail): Node {
  if (typeof value !== "object" || value === null || Array.isArray(value))
    fail(at, "must be a mapping of keys to values");
  return value as Node;
}

export function onlyKeys(node: Node, allowed: string[], at: string, fail: Fail): void {
  for (const key of Object.keys(node)) {
    if (!allowed.includes(key)) fail(`${at}.${key}`, `unknown key; the keys here are ${allowed.join(", ")}`);
  }
}

export function requiredString(value: unknown, at: string, fail: Fail, what: string): string {
  if (typeof value !== "string" || value.trim() === "") fail(at, `is missing or empty; set it to ${what}`);
  return value as string;
}

/** A list of non-empty strings; absent is an empty list. */
export function stringList(value: unknown, at: string, fail: Fail): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.some((v) => typeof v !== "string" || v === "")) {
    fail(at, "must be a list of non-empty strings");
  }
  return value as string[];
}

export function oneOf<T extends string>(value: unknown, allowed: readonly T[], at: string, fail: Fail): T {
  if (!isOneOf(value, allowed)) fail(at, `${JSON.stringify(value)} is not accepted; use ${allowed.join(" or ")}`);
  return value;
}

function isOneOf<T extends string>(value: unknown, allowed: readonly T[]): value is T {
  return typeof value === "string" && (allowed as readonly string[]).includes(value);
}

export function httpUrl(value: unknown, at: string, fail: Fail, example: string): string {
  const text = requiredString(value, at, fail, `a URL such as ${example}`);
  let parsed: URL | undefined;
  try {
    parsed = new URL(text);
  } catch {
    parsed = undefined;
  }
  if (!parsed || !/^https?:$/.test(parsed.protocol))
    fail(at, `"${text}" is not an http(s) URL; write it like ${example}`);
  return text.replace(/\/+$/, "");
}
