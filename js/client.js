// connect(): Server-Sent Events over fetch — any method, headers and body — with reconnection,
// Last-Event-ID, the server's `retry`, capped exponential backoff with jitter, and AbortSignal.
// The result is both an async iterable of events and an EventTarget.

import { ConnectionError } from "./errors.js";
import { createParser } from "./parser.js";

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 2;
/** No reconnection happens sooner than this, whatever `retry` says: a clean end never spins. */
const MIN_DELAY_MS = 10;
/** While iterating, reading pauses when this many events wait for the consumer. */
const HIGH_WATER = 1024;

/** Dispatched as "error": `error` says why; `retryInMs` is set when a reconnection follows. */
export class SseErrorEvent extends Event {
  constructor(error, retryInMs) {
    super("error");
    this.error = error;
    this.retryInMs = retryInMs;
  }
}

function sleep(ms, signal) {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

function checkOptions(options) {
  const { retryMs = 3000, maxRetries = Infinity, backoff, body, fetch: fetchFn } = options;
  if (!(Number.isSafeInteger(retryMs) && retryMs >= 0)) throw new RangeError("eric-sse: retryMs must be a non-negative integer");
  if (!(maxRetries === Infinity || (Number.isSafeInteger(maxRetries) && maxRetries >= 0))) {
    throw new RangeError("eric-sse: maxRetries must be a non-negative integer or Infinity");
  }
  if (backoff !== undefined && backoff !== false && typeof backoff !== "object") {
    throw new TypeError("eric-sse: backoff must be { factor, maxMs, jitter } or false");
  }
  if (body instanceof ReadableStream) {
    throw new TypeError("eric-sse: a ReadableStream body cannot be sent again on reconnection; pass a string, bytes, Blob, FormData or URLSearchParams");
  }
  if (fetchFn !== undefined && typeof fetchFn !== "function") throw new TypeError("eric-sse: fetch must be a function");
}

export class SseClient extends EventTarget {
  static CONNECTING = CONNECTING;
  static OPEN = OPEN;
  static CLOSED = CLOSED;

  #url;
  #options;
  #fetch;
  #abort = new AbortController();
  #state = CONNECTING;
  #retryMs;
  #parser;
  #queue = [];
  #head = 0;
  #iterating = false;
  #failure = null;
  #waiters = [];

  constructor(url, options = {}) {
    super();
    checkOptions(options);
    this.#url = String(url);
    this.#options = options;
    this.#fetch = options.fetch ?? globalThis.fetch.bind(globalThis);
    this.#retryMs = options.retryMs ?? 3000;
    this.#parser = createParser({
      onEvent: (event) => this.#event(event),
      onRetry: (ms) => { this.#retryMs = ms; },
      onError: (error) => this.dispatchEvent(new SseErrorEvent(error)),
      maxLineBytes: options.maxLineBytes ?? 0,
      lastEventId: options.lastEventId ?? "",
    });
    const { signal } = options;
    if (signal?.aborted) {
      this.close();
      return;
    }
    signal?.addEventListener("abort", () => this.close(), { once: true });
    this.#run();
  }

  get url() {
    return this.#url;
  }
  /** 0 connecting (or waiting to reconnect), 1 open, 2 closed. */
  get readyState() {
    return this.#state;
  }
  /** The last event id seen (sent as Last-Event-ID on reconnection). */
  get lastEventId() {
    return this.#parser.lastEventId;
  }
  /** The reconnection delay in force (the server's `retry`, else `retryMs`). */
  get retryMs() {
    return this.#retryMs;
  }

  /** Ends the connection: the body is cancelled and every pending promise settles. */
  close() {
    if (this.#state === CLOSED) return;
    this.#state = CLOSED;
    this.#abort.abort();
    this.#wake();
  }

  [Symbol.asyncIterator]() {
    this.#iterating = true;
    return {
      next: () => this.#next(),
      return: async () => {
        this.close();
        return { done: true, value: undefined };
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  async #next() {
    for (;;) {
      if (this.#head < this.#queue.length) {
        const value = this.#queue[this.#head];
        this.#queue[this.#head] = undefined;
        this.#head += 1;
        if (this.#head === this.#queue.length) {
          this.#queue = [];
          this.#head = 0;
        }
        this.#wake();
        return { done: false, value };
      }
      if (this.#failure) {
        const failure = this.#failure;
        this.#failure = null;
        throw failure;
      }
      if (this.#state === CLOSED) return { done: true, value: undefined };
      await new Promise((resolve) => this.#waiters.push(resolve));
    }
  }

  #wake() {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  #event(event) {
    const message = new MessageEvent(event.type, {
      data: event.data, lastEventId: event.lastEventId, origin: new URL(this.#url).origin,
    });
    this.dispatchEvent(message);
    if (this.#iterating) {
      this.#queue.push(event);
      this.#wake();
    }
  }

  #request() {
    const { method = "GET", headers, body } = this.#options;
    const merged = new Headers(headers);
    merged.set("accept", "text/event-stream");
    merged.set("cache-control", "no-cache");
    if (this.lastEventId !== "") merged.set("last-event-id", this.lastEventId);
    return { method, headers: merged, body, signal: this.#abort.signal, cache: "no-store" };
  }

  async #run() {
    let failures = 0;
    while (this.#state !== CLOSED) {
      this.#state = CONNECTING;
      let response;
      try {
        response = await this.#fetch(this.#url, this.#request());
      } catch (error) {
        if (!(await this.#retry(error, (failures += 1)))) return;
        continue;
      }
      if (!this.#accept(response, failures)) return;
      failures = 0;
      let error = new ConnectionError("the server ended the stream");
      try {
        await this.#read(response.body);
      } catch (thrown) {
        error = thrown;
      }
      if (!(await this.#retry(error, (failures += 1)))) return;
    }
  }

  /** Opens on 2xx text/event-stream; 204 ends cleanly; anything else fails for good. */
  #accept(response, failures) {
    if (this.#state === CLOSED) {
      response.body?.cancel().catch(() => {});
      return false;
    }
    const type = response.headers.get("content-type") ?? "";
    if (response.status === 204 || !response.ok || !/^text\/event-stream\b/i.test(type)) {
      response.body?.cancel().catch(() => {});
      if (response.status === 204) this.close();
      else {
        const why = response.ok ? `expected text/event-stream, got "${type}"` : `HTTP status ${response.status}`;
        this.#fail(new ConnectionError(`${why} from ${this.#url}`, { status: response.status, attempts: failures + 1 }));
      }
      return false;
    }
    this.#state = OPEN;
    this.#parser.reset();
    this.dispatchEvent(new Event("open"));
    return true;
  }

  async #read(body) {
    if (!body) return;
    const reader = body.getReader();
    for (;;) {
      const { value, done } = await reader.read();
      if (done || this.#state === CLOSED) return;
      this.#parser.feed(value);
      while (this.#iterating && this.#queue.length - this.#head > HIGH_WATER && this.#state !== CLOSED) {
        await new Promise((resolve) => this.#waiters.push(resolve));
      }
    }
  }

  /** Waits before the next attempt, or gives up after maxRetries consecutive failures. */
  async #retry(error, failures) {
    if (this.#state === CLOSED) return false;
    const { maxRetries = Infinity } = this.#options;
    if (failures > maxRetries) {
      this.#fail(new ConnectionError(`gave up after ${failures} failed attempts: ${error?.message ?? error}`,
        { cause: error, attempts: failures }));
      return false;
    }
    const delay = this.#delay(failures);
    this.#state = CONNECTING;
    this.dispatchEvent(new SseErrorEvent(error, delay));
    await sleep(delay, this.#abort.signal);
    return this.#state !== CLOSED;
  }

  /** The base delay, then base·factor^(n−1) capped at maxMs, less up to `jitter` of it. */
  #delay(failures) {
    const base = Math.max(MIN_DELAY_MS, this.#retryMs);
    const { backoff = {} } = this.#options;
    if (backoff === false || failures <= 1) return base;
    const { factor = 2, maxMs = 30_000, jitter = 0.3 } = backoff;
    const grown = Math.max(base, Math.min(maxMs, base * factor ** (failures - 1)));
    return Math.max(MIN_DELAY_MS, Math.round(grown * (1 - jitter * Math.random())));
  }

  #fail(error) {
    this.#failure = error;
    this.close();
    this.dispatchEvent(new SseErrorEvent(error));
  }
}

/**
 * Opens an SSE connection with fetch. Options: method, headers, body, lastEventId, retryMs
 * (3000), maxRetries (Infinity), backoff ({ factor: 2, maxMs: 30000, jitter: 0.3 } or false),
 * maxLineBytes, signal, fetch. Iterate it (`for await`) or listen to its events.
 */
export function connect(url, options) {
  return new SseClient(url, options);
}
