/**
 * The commands README.md shows are the commands this test runs: every command of the "Try it" block, of the
 * buf curl / grpcurl cheat sheet and of the REST curl block, against a gateway started the way `npm start` starts it. Each command is preceded
 * by a comment ending in `expect /regex/`, which its output must match; "(exits non-zero)" marks an expected failure.
 */
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { type RunningEmulator, startEmulator } from "../src/emulator/emulator-server.ts";
import { type GatewayProcess, startGatewayProcess } from "./support/gateway-process.ts";
import { readmeBlock } from "./support/readme-blocks.ts";

const root = new URL("..", import.meta.url).pathname;

describe("README's commands work against `npm start`", () => {
  let gateway: GatewayProcess;
  before(async () => {
    execFileSync("bash", [`${root}scripts/install-grpcurl.sh`], { stdio: "inherit" });
    gateway = await startGatewayProcess({ VERTEXCHAT_EMULATOR_PACING_MS: "0" });
  });
  after(() => gateway.stop());

  test("npm start without a project serves from the emulator and says so loudly", () => {
    assert.ok(
      gateway.logs.some((line) => line.includes("SERVING SYNTHETIC ANSWERS from the built-in Vertex emulator")),
    );
  });

  for (const heading of ["## Try it", "### buf curl and grpcurl cheat sheet", "### REST with curl"]) {
    const examples = readmeBlock(heading);
    test(`${heading}: the block has commands`, () => assert.ok(examples.length >= 5));
    for (const { command, expect, fails } of examples) {
      test(`${command.slice(0, 120)}`, async () => {
        const port = new URL(gateway.url).port;
        const run = promisify(execFile)("bash", ["-c", command.replaceAll("127.0.0.1:8080", `127.0.0.1:${port}`)], {
          cwd: root,
          env: { ...process.env, PATH: `${root}node_modules/.bin:${process.env.PATH}` },
        });
        let output: string;
        if (fails) {
          const err = (await run.then(
            () => assert.fail("expected a non-zero exit"),
            (e: unknown) => e,
          )) as { stdout: string; stderr: string };
          output = err.stdout + err.stderr;
        } else {
          output = (await run).stdout;
        }
        assert.match(output, expect);
      });
    }
  }
});

describe("README's probe commands work, an emulator standing in for Google", () => {
  let standIn: RunningEmulator;
  before(async () => {
    standIn = await startEmulator();
  });
  after(() => standIn.close());

  const examples = readmeBlock("### The conformance probe");
  test("the probe block has commands", () => assert.ok(examples.length >= 2));
  for (const { command, expect } of examples) {
    test(command, async () => {
      // Google is unreachable here: a command aimed at Google gets the stand-in's origin, as a proxy would be given.
      const aimed = command.includes("--vertex-origin")
        ? command.replaceAll("http://127.0.0.1:8090", standIn.origin)
        : `${command} --vertex-origin ${standIn.origin} --token test-token`;
      const out = mkdtempSync(join(tmpdir(), "vertexchat-readme-probe-"));
      const { stdout } = await promisify(execFile)("bash", ["-c", `${aimed} --out ${out}`], {
        cwd: root,
        env: { ...process.env, PATH: `${root}node_modules/.bin:${process.env.PATH}` },
      });
      assert.match(stdout, expect);
    });
  }
});
