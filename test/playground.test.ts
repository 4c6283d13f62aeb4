/**
 * The browser playground: served by the gateway when it should be, and driven in a real headless Chromium (Debian's
 * package, through puppeteer-core) against a live gateway on the emulator — by the controls' accessible names, as a
 * screen reader would. Screenshots of the main states go to .cache/playground-screenshots/ for a person to look at.
 */
import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { promisify } from "node:util";
import puppeteer, { type Browser, type Page } from "puppeteer-core";
import { snippet } from "../src/playground/page/snippets.ts";
import { playgroundEnabled } from "../src/playground/playground.ts";
import { writeTemp } from "./support/certs.ts";
import { type Stack, startStack } from "./support/stack.ts";

/** The page's globals as the callbacks below, which run in the browser, use them (no DOM types in a Node project). */
interface PageNode {
  textContent: string | null;
  hidden: boolean;
  options: { length: number };
}
declare const document: {
  getElementById(id: string): PageNode | null;
  querySelector(selector: string): PageNode | null;
};
declare const window: { updatesBeforeEnd: number };
declare const MutationObserver: new (callback: () => void) => { observe(target: unknown, options: object): void };
declare const localStorage: { length: number };
declare const sessionStorage: { length: number };

const root = new URL("..", import.meta.url).pathname;
const screenshots = join(root, ".cache/playground-screenshots");

describe("the playground is served when it should be", () => {
  test("auto: on from the emulator or on loopback without auth; off otherwise; on and off as set", () => {
    const facts = (emulator: boolean, loopback: boolean, authNone: boolean) => ({ emulator, loopback, authNone });
    assert.equal(playgroundEnabled("auto", facts(true, false, false)), true);
    assert.equal(playgroundEnabled("auto", facts(false, true, true)), true);
    assert.equal(playgroundEnabled("auto", facts(false, true, false)), false);
    assert.equal(playgroundEnabled("auto", facts(false, false, true)), false);
    assert.equal(playgroundEnabled("on", facts(false, false, false)), true);
    assert.equal(playgroundEnabled("off", facts(true, true, true)), false);
  });

  test("its files carry a Content-Security-Policy that allows this origin only; /playground redirects", async () => {
    const stack = await startStack();
    try {
      const page = await fetch(`${stack.gateway.url}/playground/`);
      assert.equal(page.status, 200);
      assert.match(page.headers.get("content-security-policy") ?? "", /default-src 'self'.*connect-src 'self'/);
      assert.match(await page.text(), /<script type="module" src="app.js"><\/script>/);
      const script = await fetch(`${stack.gateway.url}/playground/app.js`);
      assert.match(script.headers.get("content-type") ?? "", /javascript/);
      assert.ok((await script.arrayBuffer()).byteLength > 10_000);
      const bare = await fetch(`${stack.gateway.url}/playground`, { redirect: "manual" });
      assert.equal(bare.headers.get("location"), "/playground/");
    } finally {
      await stack.close();
    }
  });

  test("VERTEXCHAT_PLAYGROUND=off: not served", async () => {
    const stack = await startStack({ VERTEXCHAT_PLAYGROUND: "off" });
    try {
      assert.equal((await fetch(`${stack.gateway.url}/playground/`)).status, 404);
    } finally {
      await stack.close();
    }
  });

  test("Copy as… never writes the API key out, and quotes the request for the shell", () => {
    const json = `{"model":"m","messages":[{"role":"ROLE_USER","content":[{"text":"it's"}]}]}`;
    const command = snippet("buf-curl", { json, origin: "http://127.0.0.1:8080", withApiKey: true });
    assert.match(command, /-H "Authorization: Bearer \$VERTEXCHAT_API_KEY"/);
    assert.ok(command.includes(`'{"model":"m","messages":[{"role":"ROLE_USER","content":[{"text":"it'\\''s"}]}]}'`));
  });
});

/** Chromium, installed by the project's script when missing; undefined (with the reason) where it cannot be. */
function chromium(): { path: string } | { skip: string } {
  try {
    execFileSync("bash", [join(root, "scripts/install-chromium.sh")], { stdio: ["ignore", "ignore", "pipe"] });
    return { path: execFileSync("bash", ["-c", "command -v chromium"]).toString().trim() };
  } catch (err) {
    return {
      skip: `no Chromium could be installed here: ${String((err as { stderr?: Buffer }).stderr ?? err).trim()}`,
    };
  }
}

const browserAt = chromium();
const skip = "skip" in browserAt ? browserAt.skip : false;

/** A control by its accessible name and role, as assistive technology finds it. */
const named = (role: string, name: string) => `::-p-aria([name="${name}"][role="${role}"])`;

describe("the playground in a headless Chromium", { skip }, () => {
  let stack: Stack;
  let browser: Browser;
  let page: Page;
  const shot = (name: string) => page.screenshot({ path: join(screenshots, `${name}.png`), fullPage: true });
  const text = (selector: string) => page.$eval(selector, (e) => e.textContent ?? "");
  const lastTurn = ".turn.assistant:last-of-type";
  const waitForUsage = () => page.waitForSelector("#usage dl", { timeout: 15_000 });
  const upstreamRequest = (needle: string) =>
    [...stack.emulator.requests].reverse().find((r) => JSON.stringify(r.body).includes(needle));

  before(async () => {
    mkdirSync(screenshots, { recursive: true });
    stack = await startStack();
    browser = await puppeteer.launch({
      executablePath: (browserAt as { path: string }).path,
      headless: true,
      args: ["--no-sandbox", "--disable-dev-shm-usage"],
    });
    page = await browser.newPage();
    await page.setViewport({ width: 1280, height: 900 });
    await page.goto(`${stack.gateway.url}/playground/`);
    await page.waitForFunction(() => (document.getElementById("model")?.options.length ?? 0) > 0);
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  const ask = async (message: string) => {
    await page.locator(named("textbox", "Message")).fill(message);
    await page.locator(named("button", "Send")).click();
  };
  const newConversation = () => page.locator(named("button", "New conversation")).click();

  test("Model is filled from ListModels; the screenshots go to a folder", async (t) => {
    t.diagnostic(`screenshots: ${screenshots}`);
    const models = await page.$$eval("#model option", (options) => options.map((o) => o.value));
    assert.ok(models.includes("google/gemini-2.5-flash"));
    assert.ok(!models.some((m) => m.includes("*")));
    await page.locator(named("combobox", "Model")).fill("google/gemini-2.5-flash");
    await shot("01-loaded");
  });

  test("the answer streams in, thoughts stay in their own region, usage shows", async () => {
    await page.evaluate(() => {
      window.updatesBeforeEnd = 0;
      new MutationObserver(() => {
        if (!document.querySelector("#usage dl")) window.updatesBeforeEnd++;
      }).observe(document.getElementById("conversation"), {
        subtree: true,
        childList: true,
        characterData: true,
      });
    });
    await page.locator(named("checkbox", "Thinking")).click();
    await ask("Hello playground [[emulate words=20 pacing_ms=40]]");
    await waitForUsage();
    const updates = await page.evaluate(() => window.updatesBeforeEnd);
    // 20 deltas 40 ms apart: most arrive apart even on a busy machine (a few may share a read).
    assert.ok(updates >= 5, `${updates} DOM updates before the answer ended`);
    const answer = await text(`${lastTurn} .answer`);
    const thoughts = await text(`${lastTurn} .thought-text`);
    assert.equal(answer.split(/\s+/).filter(Boolean).length, 20, answer);
    assert.match(thoughts, /Thinking about/);
    assert.ok(!answer.includes(thoughts));
    assert.equal(await page.$eval(`${lastTurn} details.thoughts`, (e) => (e as unknown as PageNode).hidden), false);
    const usage = await text("#usage");
    assert.match(
      usage,
      /prompt\d+completion\d+reasoning[1-9]\d*cached.+total[1-9]\d*time to first token\d+ mstotal time\d+ ms/,
    );
    await shot("02-streamed-answer");
    await page.locator(named("checkbox", "Thinking")).click();
  });

  test("Stop cancels mid-stream, and the gateway aborts its upstream call", async () => {
    await ask("Stop me [[emulate words=400 pacing_ms=25]]");
    await page.waitForFunction(
      (turn) => (document.querySelector(`${turn} .answer`)?.textContent ?? "").split(" ").length > 5,
      {},
      lastTurn,
    );
    await page.locator(named("button", "Stop")).click();
    for (let i = 0; i < 100 && !upstreamRequest("Stop me")?.closedAt; i++) await new Promise((r) => setTimeout(r, 50));
    assert.equal(upstreamRequest("Stop me")?.aborted, true);
    await page.waitForFunction(
      (turn) => /stopped/.test(document.querySelector(`${turn} .note`)?.textContent ?? ""),
      {},
      lastTurn,
    );
    await shot("03-stopped");
  });

  test("a tool round trip with Gemini 3: the call shows, a typed result continues it, signatures go back", async () => {
    await newConversation();
    await page.locator(named("combobox", "Model")).fill("google/gemini-3-pro-preview");
    await page
      .locator(named("textbox", "Tools"))
      .fill(
        JSON.stringify([
          { name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } },
        ]),
      );
    await ask("Weather in Paris?");
    await page.locator(named("button", "Send tool results")).wait();
    assert.match(await text(`${lastTurn} .tool-call`), /get_weather/);
    await shot("04-tool-call");
    await page.locator(named("textbox", "Result of get_weather")).fill('{"sunny": true}');
    await page.locator(named("button", "Send tool results")).click();
    await page.waitForFunction(
      (turn) => /Tool results/.test(document.querySelector(`${turn} .answer`)?.textContent ?? ""),
      { timeout: 15_000 },
      lastTurn,
    );
    const sent = upstreamRequest('{\\"sunny\\": true}')?.body as {
      messages: { role: string; tool_calls?: { extra_content?: { google?: { thought_signature?: string } } }[] }[];
    };
    const call = sent.messages.find((m) => m.role === "assistant")?.tool_calls?.[0];
    assert.ok(call?.extra_content?.google?.thought_signature, "the call's signature went back");
    await shot("05-tool-answer");
    await page.locator(named("textbox", "Tools")).fill("");
  });

  test("an invalid request shows the field violation and the reason", async () => {
    await newConversation();
    await page.locator(named("combobox", "Model")).fill("google/gemini-2.5-flash");
    await page.locator(named("spinbutton", "Temperature")).fill("5");
    await ask("Too hot");
    await page.waitForSelector("#error:not([hidden])");
    const error = await text("#error");
    assert.match(error, /InvalidArgument: invalid request: temperature/);
    assert.match(error, /reason INVALID_REQUEST \(vertexchat\)/);
    assert.match(error, /field temperature: /);
    await shot("06-error");
    await page.locator(named("spinbutton", "Temperature")).fill("");
  });

  test("an attached image reaches the upstream as inline data", async () => {
    await newConversation();
    const png = Buffer.from(
      "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
      "base64",
    );
    const file = join(screenshots, "dot.png");
    writeFileSync(file, png);
    const input = await page.$("#attach");
    assert.ok(input);
    await (input as unknown as { uploadFile(path: string): Promise<void> }).uploadFile(file);
    await ask("What is in the picture?");
    await waitForUsage();
    const sent = upstreamRequest("What is in the picture?")?.body as {
      messages: { content: { type: string; image_url?: { url: string } }[] }[];
    };
    const image = sent.messages.at(-1)?.content.find((p) => p.type === "image_url");
    assert.equal(image?.image_url?.url, `data:image/png;base64,${png.toString("base64")}`);
    await shot("07-attachment");
  });

  test("Copy as… buf curl gives a command that runs as shown", async () => {
    await newConversation();
    await page.locator(named("textbox", "Message")).fill("Hello from the copied command");
    await page.locator(named("combobox", "Copy as…")).fill("buf-curl");
    const command = await text("#snippet");
    assert.match(command, /^npx buf curl --protocol connect -d '/);
    const { stdout } = await promisify(execFile)("bash", ["-c", command], {
      cwd: root,
      env: { ...process.env, PATH: `${root}node_modules/.bin:${process.env.PATH}` },
    });
    assert.match(stdout, /Hello from the copied command[\s\S]*"finished"/);
    await shot("08-copy-as");
  });

  test("Copy as… TypeScript gives a program that runs as shown", async () => {
    await page.locator(named("textbox", "Message")).fill("Hello from the copied program");
    await page.locator(named("combobox", "Copy as…")).fill("typescript");
    const program = join(root, ".cache/playground-snippet.ts");
    writeFileSync(program, await text("#snippet"));
    const { stdout } = await promisify(execFile)(process.execPath, [program]);
    assert.match(stdout, /says: Hello from the copied program\n$/);
  });
});

describe("the playground behind caller auth", { skip }, () => {
  let stack: Stack;
  let browser: Browser;
  before(async () => {
    const callers = writeTemp("playground-callers.yaml", "callers:\n  tester:\n    apiKeys: [playground-key]\n");
    stack = await startStack({
      VERTEXCHAT_AUTH: "api_key",
      VERTEXCHAT_CALLERS_FILE: callers,
      VERTEXCHAT_PLAYGROUND: "on",
    });
    browser = await puppeteer.launch({
      executablePath: (browserAt as { path: string }).path,
      headless: true,
      args: ["--no-sandbox", "--disable-dev-shm-usage"],
    });
  });
  after(async () => {
    await browser?.close();
    await stack?.close();
  });

  test("asks for an API key, and with it lists models and answers", async () => {
    const page = await browser.newPage();
    await page.goto(`${stack.gateway.url}/playground/`);
    await page.waitForSelector("#error:not([hidden])");
    assert.match(await page.$eval("#error", (e) => e.textContent ?? ""), /Unauthenticated/);
    await page.locator(named("textbox", "API key")).fill("playground-key");
    await page.keyboard.press("Tab");
    await page.waitForFunction(() => (document.getElementById("model")?.options.length ?? 0) > 0);
    await page.locator(named("textbox", "Message")).fill("Hello with a key");
    await page.locator(named("button", "Send")).click();
    await page.waitForSelector("#usage dl");
    assert.match(await page.$eval(".turn.assistant .answer", (e) => e.textContent ?? ""), /Hello with a key/);
    await page.screenshot({ path: join(screenshots, "09-with-api-key.png"), fullPage: true });
    assert.equal(await page.evaluate(() => localStorage.length + sessionStorage.length), 0, "the key is not stored");
  });
});
