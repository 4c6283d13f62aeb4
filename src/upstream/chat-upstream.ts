/**
 * Calls one OpenAI-compatible base URL with the `openai` client, a fresh Bearer token per request, and the
 * caller's cancellation signal and deadline; reads the answers' bodies itself (JSON, or SSE in batches). Speaks wire
 * JSON only.
 */
import { type Context, context, propagation, type Span, SpanKind, SpanStatusCode, trace } from "@opentelemetry/api";
import OpenAI from "openai";
import type { WireChunk, WireRequest, WireResponse } from "../wire/vertex-wire.ts";
import { type LeanFetch, nodeBody } from "./lean-fetch.ts";
import { linkedAbort } from "./linked-abort.ts";
import { readChunkBatches, type StreamEnd } from "./sse-reader.ts";
import type { TokenSource } from "./token-source.ts";
import { toUpstreamError, UpstreamError } from "./upstream-failure.ts";
import { checkResponse } from "./wire-shape.ts";

export interface UpstreamCall {
  /** Aborted when the caller cancels or disconnects; aborts the HTTP request. */
  signal: AbortSignal;
  /** The time left for the whole upstream call (the caller's deadline, or the configured default). */
  timeoutMs: number;
  /** Headers the request itself asks for (Priority PayGo's tier header). */
  headers?: Readonly<Record<string, string>> | undefined;
  /** The trace the upstream request belongs to (OpenTelemetry); its span is opened here. */
  traceContext?: Context | undefined;
  /**
   * Told when the upstream answered 401 and the request is sent again with a refreshed token: the rejected request
   * was an attempt of its own.
   */
  onStaleToken?: (() => void) | undefined;
}

export interface StreamLimits {
  /** The most time from sending the request to the first chunk (a long think is fine; a stall is not). */
  firstChunkTimeoutMs: number;
  /** The most time between two chunks. */
  idleTimeoutMs: number;
}

export class ChatUpstream {
  readonly baseUrl: string;
  /**
   * The openai client builds, authenticates, sends and checks every request; the gateway reads the answer's body
   * itself from the Node stream under it (leanFetch's nodeBody): whole answers as JSON, streams with the batching
   * SSE reader. Measured against the SDK's own parsing, see bench/RESULTS.md.
   */
  readonly #client: OpenAI;
  readonly #tokens: TokenSource;

  constructor(opts: { baseUrl: string; tokens: TokenSource; fetch: LeanFetch }) {
    this.baseUrl = opts.baseUrl;
    this.#tokens = opts.tokens;
    this.#client = new OpenAI({
      baseURL: opts.baseUrl,
      // The real token is set per request (see #requestOptions); the client insists on having one at construction.
      apiKey: "per-request",
      // Retries are decided by the gateway, which knows whether a byte already reached the caller.
      maxRetries: 0,
      fetch: opts.fetch,
    });
  }

  /** A whole completion (this class owns the body's `stream` flag: absent here, true in stream()). Throws UpstreamError. */
  async complete(body: WireRequest, call: UpstreamCall): Promise<WireResponse> {
    const span = this.#startSpan(call);
    try {
      const response = await this.#withTokenRetry(
        async (options) => {
          const answer = await this.#client.post("/chat/completions", { ...options, body }).asResponse();
          return checkResponse(await readJson(answer));
        },
        call,
        span,
      );
      endSpan(span);
      return response;
    } catch (err) {
      endSpan(span, err);
      throw err;
    }
  }

  /**
   * A streamed completion, in batches of the chunks that arrived together. Resolves once the upstream answered
   * with a success status (so an HTTP error is thrown here, before any byte reaches the caller); iterating throws
   * UpstreamError on a broken, stalled or unfinished stream (one that ends without `data: [DONE]`).
   */
  async stream(body: WireRequest, call: UpstreamCall, limits: StreamLimits): Promise<AsyncIterable<WireChunk[]>> {
    // One timer for the whole stream: each batch only notes the time; the timer re-arms itself for what is left.
    const abort = linkedAbort([call.signal]);
    let stalled: UpstreamError | undefined;
    let lastChunkAt = performance.now();
    let limitMs = limits.firstChunkTimeoutMs;
    let what = "first chunk";
    const check = () => {
      const left = lastChunkAt + limitMs - performance.now();
      if (left > 0) {
        timer = setTimeout(check, left);
        return;
      }
      stalled = new UpstreamError({ kind: "stalled", message: `the upstream sent no ${what} within ${limitMs} ms` });
      abort.abort(stalled);
    };
    let timer = setTimeout(check, limitMs);
    const signal = abort.signal;
    const span = this.#startSpan(call);
    let answer: Response;
    try {
      answer = await this.#withTokenRetry(
        (options) =>
          this.#client.post("/chat/completions", { ...options, body: { ...body, stream: true } }).asResponse(),
        { ...call, signal },
        span,
      );
    } catch (err) {
      clearTimeout(timer);
      abort.release();
      const error = stalled ?? err;
      endSpan(span, error);
      throw error;
    }
    const bodyStream = nodeBody(answer);
    const end: StreamEnd = { sawDone: false };
    const reader = readChunkBatches(bodyStream, end);
    let open = true;
    /** Once, however the stream ends: the timer, the abort link, and a body that has not seen [DONE]. */
    const close = () => {
      if (!open) return;
      open = false;
      clearTimeout(timer);
      abort.release();
      // A caller that stops reading early (cancel, failure downstream) leaves a body that must not linger.
      if (!end.sawDone && !bodyStream.readableEnded) bodyStream.destroy();
    };
    const batch = (result: IteratorResult<WireChunk[]>): IteratorResult<WireChunk[]> => {
      if (result.done !== true) {
        lastChunkAt = performance.now();
        if (what === "first chunk") {
          // The timer is armed for the first-chunk limit; from now on the (usually much shorter) idle limit holds.
          limitMs = limits.idleTimeoutMs;
          what = "next chunk";
          clearTimeout(timer);
          timer = setTimeout(check, limitMs);
        }
        return result;
      }
      close();
      const ending =
        stalled && !call.signal.aborted
          ? stalled
          : end.sawDone
            ? undefined
            : new UpstreamError({ kind: "stream", message: "the upstream stream ended without data: [DONE]" });
      endSpan(span, ending);
      if (ending) throw ending;
      return result;
    };
    const failed = (err: unknown): never => {
      close();
      const error = stalled && !call.signal.aborted ? stalled : midStream(toUpstreamError(err));
      endSpan(span, error);
      throw error;
    };
    // A hand-written iterator, not an async generator: it sees every chunk of every stream.
    const batches: AsyncIterableIterator<WireChunk[]> = {
      [Symbol.asyncIterator]: () => batches,
      next: () => reader.next().then(batch, failed),
      return: async () => {
        if (open) endSpan(span);
        await reader.return?.();
        close();
        return { done: true, value: undefined };
      },
    };
    return batches;
  }

  /** A 401 means our token went stale early (revoked, clock skew): refresh it once and try once more. */
  async #withTokenRetry<T>(
    send: (options: OpenAI.RequestOptions) => Promise<T>,
    call: UpstreamCall,
    span: Span,
  ): Promise<T> {
    try {
      return await send(await this.#requestOptions(call, span));
    } catch (err) {
      const failure = toUpstreamError(err);
      if (failure.failure.kind !== "http" || failure.failure.status !== 401) throw failure;
      this.#tokens.invalidate();
      call.onStaleToken?.();
      try {
        return await send(await this.#requestOptions(call, span));
      } catch (retryErr) {
        throw toUpstreamError(retryErr);
      }
    }
  }

  async #requestOptions(call: UpstreamCall, span: Span): Promise<OpenAI.RequestOptions> {
    const token = await this.#tokens.token();
    const headers: Record<string, string> = { ...call.headers, Authorization: `Bearer ${token}` };
    propagation.inject(trace.setSpan(call.traceContext ?? context.active(), span), headers);
    return { headers, signal: call.signal, timeout: Math.max(1, Math.floor(call.timeoutMs)) };
  }

  #startSpan(call: UpstreamCall): Span {
    return trace.getTracer("vertexchat").startSpan(
      "POST chat/completions",
      {
        kind: SpanKind.CLIENT,
        attributes: { "server.address": new URL(this.baseUrl).host, "url.full": `${this.baseUrl}/chat/completions` },
      },
      call.traceContext ?? context.active(),
    );
  }
}

function endSpan(span: Span, err?: unknown): void {
  if (err !== undefined) {
    const failure = toUpstreamError(err).failure;
    if (failure.kind === "http") span.setAttribute("http.response.status_code", failure.status);
    span.setStatus({ code: SpanStatusCode.ERROR, message: failure.message });
  }
  span.end();
}

/** Once the stream is open, a lost connection is a broken stream, not an unreachable upstream. */
function midStream(error: UpstreamError): UpstreamError {
  if (error.failure.kind !== "connection") return error;
  return new UpstreamError(
    { kind: "stream", message: `the connection broke mid-stream: ${error.failure.message}` },
    { cause: error },
  );
}

/** A whole answer's JSON; a body that is not JSON is a malformed answer, quoted so the log shows what came. */
async function readJson(answer: Response): Promise<unknown> {
  const text = (await nodeBody(answer).setEncoding("utf8").toArray()).join("");
  try {
    return JSON.parse(text);
  } catch {
    throw new UpstreamError({
      kind: "malformed",
      message: `the upstream sent a completion that is not JSON: ${JSON.stringify(text.slice(0, 200))}`,
    });
  }
}
