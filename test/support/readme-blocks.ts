/**
 * The commands of one ```sh block of README.md, each with the output it promises: every command is preceded by a
 * comment ending in `expect /regex/`; "(exits non-zero)" marks an expected failure. Backslash-continued lines join.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";

const root = new URL("../..", import.meta.url).pathname;

export interface Example {
  command: string;
  expect: RegExp;
  fails: boolean;
}

/** The text of the first ```<language> block after `heading` (a program README asks to save as written). */
export function readmeCode(heading: string, language: string): string {
  const readme = readFileSync(`${root}README.md`, "utf8");
  const at = readme.indexOf(heading);
  assert.ok(at >= 0, `README has no heading ${heading}`);
  const fence = "```";
  const code = new RegExp(`${fence}${language}\\n([\\s\\S]*?)${fence}`).exec(readme.slice(at))?.[1];
  assert.ok(code !== undefined, `README has no ${language} block after ${heading}`);
  return code;
}

/** The first ```sh block after `heading`. */
export function readmeBlock(heading: string): Example[] {
  const block = readmeCode(heading, "sh");
  const examples: Example[] = [];
  let pending: { expect: RegExp; fails: boolean } | undefined;
  for (const line of block.replace(/\\\n\s*/g, "").split("\n")) {
    const expectation = /expect \/(.*)\/$/.exec(line);
    if (line.startsWith("#")) {
      if (expectation?.[1]) pending = { expect: new RegExp(expectation[1]), fails: line.includes("exits non-zero") };
      continue;
    }
    if (line.trim() === "") continue;
    assert.ok(pending, `README command without an "expect /…/" comment: ${line}`);
    examples.push({ command: line, ...pending });
    pending = undefined;
  }
  return examples;
}
