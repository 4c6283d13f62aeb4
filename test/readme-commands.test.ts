import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import { type GatewayProcess, startGatewayProcess } from "./support/gateway-process.ts";

const root = new URL("..", import.meta.url).pathname;

/** The commands of README's "Try it" block, continuation lines joined. */
function readmeCommands(): string[] {
  const readme = readFileSync(`${root}README.md`, "utf8");
  const section = readme.slice(readme.indexOf("## Try it"), readme.indexOf("## Pointing it at real Vertex"));
  const block = /```sh\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
  return block
    .replace(/\\\n\s*/g, "")
    .split("\n")
    .filter((line) => line.trim() !== "" && !line.startsWith("#"));
}

describe("README's commands work against `npm start`", () => {
  let gateway: GatewayProcess;
  before(async () => {
    gateway = await startGatewayProcess({ VERTEXCHAT_EMULATOR_PACING_MS: "0" });
  });
  after(() => gateway.stop());

  test("npm start without a project serves from the emulator and says so loudly", () => {
    assert.ok(
      gateway.logs.some((line) => line.includes("SERVING SYNTHETIC ANSWERS from the built-in Vertex emulator")),
    );
  });

  const commands = readmeCommands();
  test("the README shows buf curl commands for unary and streaming calls over every protocol", () => {
    assert.ok(commands.length >= 6);
  });
  for (const command of commands) {
    test(command.slice(0, 110), async () => {
      const port = new URL(gateway.url).port;
      const { stdout } = await promisify(execFile)(
        "bash",
        ["-c", command.replaceAll("127.0.0.1:8080", `127.0.0.1:${port}`)],
        {
          cwd: root,
          env: { ...process.env, PATH: `${root}node_modules/.bin:${process.env.PATH}` },
        },
      );
      if (command.includes("ListModels")) {
        assert.match(stdout, /"name": "google\/gemini-2\.5-flash"/);
      } else if (command.includes("StreamChatCompletion")) {
        assert.match(stdout, /"started"/);
        assert.ok((stdout.match(/"delta"/g) ?? []).length >= 3, "several streamed chunks");
        assert.match(stdout, /"finished"[\s\S]*"usage"/);
      } else {
        assert.match(stdout, /Emulated google\/gemini-2\.5-flash says: Hello/);
      }
    });
  }
});
