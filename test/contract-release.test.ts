/**
 * The contract is checked against its last release (the image `contract/released.binpb`, a file in the tree, so a
 * clone without tags or history checks the same), not the previous commit, so a break spread over two commits is
 * caught. Run on a clone of this repository with a field deleted in one commit and an unrelated change in the next.
 */
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, test } from "node:test";
import { promisify } from "node:util";

const root = new URL("..", import.meta.url).pathname;

describe("the contract as a promise", () => {
  const clone = join(mkdtempSync(join(tmpdir(), "vertexchat-contract-")), "repo");
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", ...args], { cwd: clone });
  const run = (command: string) =>
    promisify(execFile)("bash", ["-c", command], {
      cwd: clone,
      env: { ...process.env, PATH: `${root}node_modules/.bin:${process.env.PATH}` },
    }).then(
      (r) => ({ code: 0, output: r.stdout + r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, output: e.stdout + e.stderr }),
    );

  before(() => {
    // --no-tags --depth 1: a CI checkout may carry neither tags nor history, and the check must not need them.
    execFileSync("git", ["clone", "-q", "--no-tags", "--depth", "1", `file://${root}`, clone]);
    symlinkSync(join(root, "node_modules"), join(clone, "node_modules"));
    const options = join(clone, "proto/vertexchat/v1/options.proto");
    const text = readFileSync(options, "utf8");
    const field = /\n\s*string thought_tag_marker = 4;/;
    assert.match(text, field);
    writeFileSync(options, text.replace(field, ""));
    git("commit", "-qam", "delete a field");
    writeFileSync(join(clone, "NOTES.md"), "an unrelated change\n");
    git("add", "NOTES.md");
    git("commit", "-qm", "something else");
  });

  test("a clone without tags or history carries the released contract", () => {
    assert.equal(git("tag", "--list").toString(), "");
    assert.ok(statSync(join(clone, "contract/released.binpb")).size > 0);
  });

  test("checking only against the previous commit misses a break made one commit earlier", async () => {
    const { code } = await run('buf breaking --against ".git#ref=HEAD~1"');
    assert.equal(code, 0);
  });

  test("npm run lint:contract catches it, naming the deleted field", async () => {
    const { code, output } = await run("npm run lint:contract");
    assert.notEqual(code, 0);
    assert.match(output, /options\.proto.*Previously present field "4" with name "thought_tag_marker"/);
  });

  test("a release made as README says makes the current contract the new baseline", async () => {
    const release = await run("npm run contract:release");
    assert.equal(release.code, 0, release.output);
    const { code, output } = await run("npm run lint:contract");
    assert.equal(code, 0, output);
  });
});
