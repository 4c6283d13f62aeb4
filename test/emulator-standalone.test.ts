import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { test } from "node:test";
import OpenAI from "openai";

test("`npm run emulator` prints a base URL that the openai client can use directly, JSON and SSE", async () => {
  const child = spawn(process.execPath, [new URL("../src/emulator/main.ts", import.meta.url).pathname], {
    env: { PATH: process.env.PATH ?? "", VERTEXCHAT_EMULATOR_LISTEN: "127.0.0.1:0" },
    stdio: ["ignore", "pipe", "inherit"],
  });
  try {
    const lines = createInterface({ input: child.stdout });
    const [line] = (await once(lines, "line")) as [string];
    const baseURL = /OpenAI base URL: (\S+)/.exec(line)?.[1];
    assert.ok(baseURL, line);
    const openai = new OpenAI({ baseURL, apiKey: "any-token", maxRetries: 0 });
    const completion = await openai.chat.completions.create({
      model: "google/gemini-2.5-flash",
      messages: [{ role: "user", content: "ping" }],
    });
    assert.equal(completion.choices[0]?.message.content, "Emulated google/gemini-2.5-flash says: ping");
    assert.equal(completion.object, "chat.completion");
    let text = "";
    const stream = await openai.chat.completions.create({
      model: "google/gemini-2.5-flash",
      messages: [{ role: "user", content: "ping stream" }],
      stream: true,
    });
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    assert.equal(text, "Emulated google/gemini-2.5-flash says: ping stream");
    const unauthenticated = await fetch(`${baseURL}/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "google/gemini-2.5-flash", messages: [{ role: "user", content: "no token" }] }),
    });
    assert.equal(unauthenticated.status, 401);
    const body = (await unauthenticated.json()) as [{ error: { code: number; status: string } }];
    assert.deepEqual([body[0].error.code, body[0].error.status], [401, "UNAUTHENTICATED"]);
  } finally {
    child.kill("SIGTERM");
    await once(child, "exit");
  }
});
