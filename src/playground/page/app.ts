/**
 * The playground page: a conversation with any model of this gateway, over its own Connect API from the browser
 * (the generated client over connect-web). Streams the answer as it comes, keeps thoughts apart from it, shows tool
 * calls as they accumulate, usage, and errors with their google.rpc details decoded. The history holds the
 * assistant messages as the gateway returned them, so thought signatures go back unchanged.
 */
import { create, type JsonObject, toJsonString } from "@bufbuild/protobuf";
import { Code, ConnectError, createClient } from "@connectrpc/connect";
import { createConnectTransport } from "@connectrpc/connect-web";
import { BadRequestSchema, ErrorInfoSchema, RetryInfoSchema } from "../../../gen/google/rpc/error_details_pb.ts";
import {
  type ChatCompletionRequest,
  ChatCompletionRequestSchema,
  ChatService,
  type Usage,
} from "../../../gen/vertexchat/v1/chat_service_pb.ts";
import { type ContentPart, type Message, MessageSchema, Role } from "../../../gen/vertexchat/v1/content_pb.ts";
import type { Tool } from "../../../gen/vertexchat/v1/tools_pb.ts";
import { ResponseBuilder } from "../../translate/response-builder.ts";
import { partKindOf } from "../../wire/vertex-media.ts";
import { type SnippetForm, snippet } from "./snippets.ts";

const client = createClient(ChatService, createConnectTransport({ baseUrl: location.origin, useBinaryFormat: true }));

function element<T extends HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`the page has no #${id}`);
  return found as T;
}

const ui = {
  form: element<HTMLFormElement>("request"),
  model: element<HTMLSelectElement>("model"),
  apiKey: element<HTMLInputElement>("api-key"),
  apiKeyField: element<HTMLLabelElement>("api-key-field"),
  system: element<HTMLTextAreaElement>("system"),
  message: element<HTMLTextAreaElement>("message"),
  thinking: element<HTMLInputElement>("thinking"),
  temperature: element<HTMLInputElement>("temperature"),
  tools: element<HTMLTextAreaElement>("tools"),
  attach: element<HTMLInputElement>("attach"),
  send: element<HTMLButtonElement>("send"),
  stop: element<HTMLButtonElement>("stop"),
  reset: element<HTMLButtonElement>("reset"),
  copyAs: element<HTMLSelectElement>("copy-as"),
  snippet: element<HTMLPreElement>("snippet"),
  snippetBox: element<HTMLElement>("snippet-box"),
  conversation: element<HTMLElement>("conversation"),
  usage: element<HTMLElement>("usage"),
  error: element<HTMLElement>("error"),
};

/** The conversation so far, as the contract's messages (the system prompt is added per request). */
let history: Message[] = [];
let running: AbortController | undefined;
let keyRequired = false;

/** The caller's key, held by this tab only (never stored). */
function callOptions(signal?: AbortSignal) {
  const key = ui.apiKey.value.trim();
  return { ...(key ? { headers: { authorization: `Bearer ${key}` } } : {}), ...(signal ? { signal } : {}) };
}

async function loadModels(): Promise<void> {
  try {
    const { models } = await client.listModels({}, callOptions());
    const names = models.flatMap((m) => [m.name, ...m.aliases]).filter((name) => !name.includes("*"));
    ui.model.replaceChildren(...names.map((name) => new Option(name, name)));
    const preferred = names.find((n) => n === "google/gemini-2.5-flash") ?? names[0];
    if (preferred) ui.model.value = preferred;
    hideError();
  } catch (err) {
    const error = ConnectError.from(err);
    if (error.code === Code.Unauthenticated) askForKey();
    showError(error);
  }
}

function askForKey(): void {
  keyRequired = true;
  ui.apiKeyField.classList.add("required");
  ui.apiKey.placeholder = "this gateway asks for an API key";
  ui.apiKey.focus();
}

/** Function declarations from the Tools editor: a JSON array of {name, description, parameters} (or OpenAI's {type, function}). */
function readTools(): Tool[] {
  const text = ui.tools.value.trim();
  if (!text) return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ConnectError(`Tools: not JSON (${(err as Error).message})`, Code.InvalidArgument);
  }
  const list = Array.isArray(parsed) ? parsed : [parsed];
  return list.map((item: unknown, i) => {
    const raw = item as {
      type?: string;
      function?: unknown;
      name?: unknown;
      description?: unknown;
      parameters?: unknown;
    };
    const fn = (raw.type === "function" && raw.function ? raw.function : raw) as typeof raw;
    if (typeof fn.name !== "string") throw new ConnectError(`Tools[${i}]: needs a "name"`, Code.InvalidArgument);
    return {
      kind: {
        case: "function",
        value: {
          name: fn.name,
          description: typeof fn.description === "string" ? fn.description : "",
          ...(fn.parameters ? { parameters: fn.parameters as JsonObject } : {}),
        },
      },
    } as Tool;
  });
}

function buildRequest(): ChatCompletionRequest {
  const messages: Message[] = [];
  if (ui.system.value.trim()) {
    messages.push(
      create(MessageSchema, { role: Role.SYSTEM, content: [{ kind: { case: "text", value: ui.system.value } }] }),
    );
  }
  messages.push(...history);
  const temperature = ui.temperature.value.trim();
  return create(ChatCompletionRequestSchema, {
    model: ui.model.value,
    messages,
    tools: readTools(),
    ...(temperature ? { temperature: Number(temperature) } : {}),
    ...(ui.thinking.checked ? { google: { thinkingConfig: { includeThoughts: true } } } : {}),
  });
}

/** Attached files as inline parts of the kind Vertex reads their MIME type as (the gateway's own rule). */
async function attachedParts(): Promise<ContentPart[]> {
  const parts: ContentPart[] = [];
  for (const file of Array.from(ui.attach.files ?? [])) {
    const data = new Uint8Array(await file.arrayBuffer());
    const mimeType = file.type || "application/octet-stream";
    parts.push({
      kind: {
        case: partKindOf(mimeType),
        value: { source: { case: "data", value: data }, mimeType, displayName: file.name },
      },
    } as ContentPart);
  }
  return parts;
}

ui.form.addEventListener("submit", (event) => {
  event.preventDefault();
  void (async () => {
    const text = ui.message.value;
    const parts = await attachedParts();
    if (!text.trim() && parts.length === 0)
      return showError(new ConnectError("Message: write something", Code.InvalidArgument));
    const content = [...(text ? [{ kind: { case: "text" as const, value: text } }] : []), ...parts];
    const message = create(MessageSchema, { role: Role.USER, content });
    history.push(message);
    renderUserTurn(text, parts);
    ui.message.value = "";
    ui.attach.value = "";
    await run(() => history.pop());
  })();
});

ui.stop.addEventListener("click", () => running?.abort());

ui.reset.addEventListener("click", () => {
  running?.abort();
  history = [];
  ui.conversation.replaceChildren();
  ui.usage.replaceChildren();
  hideError();
});

ui.copyAs.addEventListener("change", () => {
  const form = ui.copyAs.value as SnippetForm | "";
  if (!form) {
    ui.snippetBox.hidden = true;
    return;
  }
  try {
    const pending = ui.message.value.trim()
      ? [create(MessageSchema, { role: Role.USER, content: [{ kind: { case: "text", value: ui.message.value } }] })]
      : [];
    const request = buildRequest();
    request.messages.push(...pending);
    const json = toJsonString(ChatCompletionRequestSchema, request);
    ui.snippet.textContent = snippet(form, {
      json,
      origin: location.origin,
      withApiKey: keyRequired || !!ui.apiKey.value,
    });
    ui.snippetBox.hidden = false;
  } catch (err) {
    showError(ConnectError.from(err));
  }
});

/** One assistant turn's elements: thoughts, answer, tool calls, signature note. */
interface TurnView {
  thoughts: HTMLDetailsElement;
  thoughtText: HTMLElement;
  answer: HTMLElement;
  toolCalls: HTMLElement;
  note: HTMLElement;
}

function renderUserTurn(text: string, parts: ContentPart[]): void {
  const turn = document.createElement("article");
  turn.className = "turn user";
  turn.setAttribute("aria-label", "User turn");
  const who = Object.assign(document.createElement("div"), { className: "who", textContent: "you" });
  const body = Object.assign(document.createElement("div"), { className: "answer", textContent: text });
  turn.append(who, body);
  for (const part of parts) {
    if (part.kind.case !== "text" && part.kind.case !== undefined) {
      const media = part.kind.value;
      turn.append(
        Object.assign(document.createElement("div"), {
          className: "note",
          textContent: `attached ${media.displayName} (${media.mimeType}, ${media.source.case === "data" ? media.source.value.length : 0} bytes)`,
        }),
      );
    }
  }
  ui.conversation.append(turn);
}

function renderAssistantTurn(): TurnView {
  const turn = document.createElement("article");
  turn.className = "turn assistant";
  turn.setAttribute("aria-label", "Assistant turn");
  const who = Object.assign(document.createElement("div"), { className: "who", textContent: ui.model.value });
  const thoughts = document.createElement("details");
  thoughts.className = "thoughts";
  thoughts.setAttribute("aria-label", "Thoughts");
  thoughts.hidden = true;
  thoughts.open = true;
  const summary = Object.assign(document.createElement("summary"), { textContent: "Thoughts" });
  const thoughtText = Object.assign(document.createElement("div"), { className: "thought-text" });
  thoughts.append(summary, thoughtText);
  const answer = Object.assign(document.createElement("div"), { className: "answer" });
  answer.setAttribute("aria-label", "Answer");
  const toolCalls = Object.assign(document.createElement("div"), { className: "tool-calls" });
  toolCalls.setAttribute("aria-label", "Tool calls");
  const note = Object.assign(document.createElement("div"), { className: "note" });
  turn.append(who, thoughts, answer, toolCalls, note);
  ui.conversation.append(turn);
  return { thoughts, thoughtText, answer, toolCalls, note };
}

/** Streams one answer to the current history. `onFailure` undoes what the attempt added to the history. */
async function run(onFailure: () => void): Promise<void> {
  hideError();
  let request: ChatCompletionRequest;
  try {
    request = buildRequest();
  } catch (err) {
    onFailure();
    return showError(ConnectError.from(err));
  }
  const controller = new AbortController();
  running = controller;
  ui.send.disabled = true;
  ui.stop.disabled = false;
  ui.usage.replaceChildren();
  const view = renderAssistantTurn();
  const builder = new ResponseBuilder();
  const calls = new Map<number, { name: HTMLElement; args: HTMLElement; text: string }>();
  const started = performance.now();
  let firstToken: number | undefined;
  try {
    for await (const event of client.streamChatCompletion(request, callOptions(controller.signal))) {
      builder.add(event);
      if (event.event.case === "delta") {
        firstToken ??= performance.now() - started;
        const { delta } = event.event.value;
        if (delta.case === "text") view.answer.append(delta.value);
        else if (delta.case === "thought") {
          view.thoughts.hidden = false;
          view.thoughtText.append(delta.value);
        } else if (delta.case === "toolCall") showToolCall(view, calls, delta.value);
        else if (delta.case === "thoughtSignature") view.note.textContent = "thought signature kept for the next turn";
        else if (delta.case === "part") view.note.textContent = `generated ${delta.value.kind.case ?? "part"}`;
      } else if (event.event.case === "finished" && event.event.value.usage) {
        showUsage(event.event.value.usage, firstToken, performance.now() - started);
      }
    }
    const answer = builder.build().choices[0]?.message;
    if (answer) history.push(answer);
    if (answer && answer.toolCalls.length > 0) offerToolResults(view, answer);
  } catch (err) {
    const error = ConnectError.from(err);
    onFailure();
    if (controller.signal.aborted) view.note.textContent = "stopped; this turn is not kept";
    else {
      view.note.textContent = "failed; this turn is not kept";
      if (error.code === Code.Unauthenticated) askForKey();
      showError(error);
    }
  } finally {
    running = undefined;
    ui.send.disabled = false;
    ui.stop.disabled = true;
  }
}

function showToolCall(
  view: TurnView,
  calls: Map<number, { name: HTMLElement; args: HTMLElement; text: string }>,
  piece: { callIndex: number; name: string; arguments: string },
): void {
  let call = calls.get(piece.callIndex);
  if (!call) {
    const box = Object.assign(document.createElement("div"), { className: "tool-call" });
    box.setAttribute("aria-label", "Tool call");
    const name = document.createElement("code");
    const args = document.createElement("pre");
    box.append(name, args);
    view.toolCalls.append(box);
    call = { name, args, text: "" };
    calls.set(piece.callIndex, call);
  }
  if (piece.name) call.name.textContent = piece.name;
  call.text += piece.arguments;
  call.args.textContent = call.text;
}

/** After an answer with tool calls: a result field per call, and a button that sends them and continues. */
function offerToolResults(view: TurnView, answer: Message): void {
  const fields = answer.toolCalls.map((call) => {
    const label = document.createElement("label");
    label.textContent = `Result of ${call.name}`;
    const input = document.createElement("textarea");
    input.rows = 2;
    input.value = '{"ok": true}';
    label.append(input);
    view.toolCalls.append(label);
    return { call, input };
  });
  const button = Object.assign(document.createElement("button"), { type: "button", textContent: "Send tool results" });
  view.toolCalls.append(button);
  button.addEventListener("click", () => {
    button.disabled = true;
    const results = fields.map(({ call, input }) =>
      create(MessageSchema, {
        role: Role.TOOL,
        toolCallId: call.id,
        content: [{ kind: { case: "text", value: input.value || "{}" } }],
      }),
    );
    history.push(...results);
    void run(() => {
      history.splice(history.length - results.length, results.length);
      button.disabled = false;
    });
  });
}

function showUsage(usage: Usage, ttftMs: number | undefined, totalMs: number): void {
  const rows: [string, string][] = [
    ["prompt", String(usage.promptTokens)],
    ["completion", String(usage.completionTokens)],
    ["reasoning", String(usage.reasoningTokens)],
    ["cached", usage.cachedTokens === undefined ? "—" : String(usage.cachedTokens)],
    ["total", String(usage.totalTokens)],
    ["time to first token", ttftMs === undefined ? "—" : `${Math.round(ttftMs)} ms`],
    ["total time", `${Math.round(totalMs)} ms`],
  ];
  const list = document.createElement("dl");
  for (const [name, value] of rows) {
    list.append(
      Object.assign(document.createElement("dt"), { textContent: name }),
      Object.assign(document.createElement("dd"), { textContent: value }),
    );
  }
  ui.usage.replaceChildren(Object.assign(document.createElement("h2"), { textContent: "Usage" }), list);
}

function showError(error: ConnectError): void {
  const lines = [`${Code[error.code]}: ${error.rawMessage}`];
  const details = document.createElement("ul");
  for (const info of error.findDetails(ErrorInfoSchema)) {
    details.append(
      Object.assign(document.createElement("li"), { textContent: `reason ${info.reason} (${info.domain})` }),
    );
  }
  for (const badRequest of error.findDetails(BadRequestSchema)) {
    for (const v of badRequest.fieldViolations) {
      details.append(
        Object.assign(document.createElement("li"), { textContent: `field ${v.field}: ${v.description}` }),
      );
    }
  }
  for (const retry of error.findDetails(RetryInfoSchema)) {
    const seconds = Number(retry.retryDelay?.seconds ?? 0n) + (retry.retryDelay?.nanos ?? 0) / 1e9;
    details.append(Object.assign(document.createElement("li"), { textContent: `retry after ${seconds} s` }));
  }
  ui.error.replaceChildren(Object.assign(document.createElement("strong"), { textContent: lines[0] }), details);
  ui.error.hidden = false;
}

function hideError(): void {
  ui.error.hidden = true;
  ui.error.replaceChildren();
}

ui.apiKey.addEventListener("change", () => void loadModels());
void loadModels();
