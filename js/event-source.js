// EventSource over fetch: the WHATWG EventSource processing model (html.spec.whatwg.org,
// "Server-sent events"), usable wherever `fetch` exists, plus what users come to libraries for
// (headers, method, body, a custom fetch, backoff, max retries, limits). connect() in client.js
// is the async-iterator face of this same machinery.
//
// Spec steps this follows: the URL is parsed against the API base URL at construction (failure:
// SyntaxError); the response opens the stream only with status 200 and Content-Type
// text/event-stream ("announce the connection": OPEN, then `open`); any other response fails the
// connection (CLOSED, then `error`, no reconnection); a network error or the end of the body
// reestablishes it (CONNECTING, `error`, wait the reconnection time, fetch again with
// Last-Event-ID = the last event ID string, UTF-8); events dispatch only while not CLOSED, with
// `origin` from the final (post-redirect) response URL; the last event ID is the id committed
// by the last complete block, never an `id:` of a block the stream was cut inside.

import { ConnectionError } from "./errors.js";
import { createParser } from "./parser.js";

const CONNECTING = 0;
const OPEN = 1;
const CLOSED = 2;
/**
 * The `on<type>` attributes and what they hold: a function called with the event, or null
 * (`this` is the source; EventTarget here, so that the handler types of index.d.ts fit).
 * @typedef {"open" | "message" | "error"} HandlerType
 * @typedef {((this: EventTarget, event: Event) => unknown) | null} Handler
 */
/**
 * EventTarget with the listener types of index.d.ts (a "message" listener gets an
 * SseMessageEvent, an "error" one an SseErrorEvent): the class EventSource extends.
 * @typedef {new () => Pick<EventTarget, "dispatchEvent">
 *   & Pick<import("../index.js").EventSource, "addEventListener" | "removeEventListener">} SseEventTarget
 */
/** setTimeout's largest delay; a longer one fires at once in every runtime. */
export const MAX_DELAY_MS = 2 ** 31 - 1;
const DEFAULTS = {
  retryMs: 3000,
  minRetryMs: 10,
  maxRetries: Infinity,
  maxEventBytes: 16 * 1024 * 1024,
};

/**
 * Hooks for the subclass behind connect() (not exported from the package): `event` sees each
 * dispatched event, `failed` the error that closed the connection for good, `closed` runs on
 * close, `drain` is awaited after each chunk (to pause reading while events wait).
 */
const EVENT = Symbol("eric-sse.event");
const FAILED = Symbol("eric-sse.failed");
const CLOSED_HOOK = Symbol("eric-sse.closed");
const DRAIN = Symbol("eric-sse.drain");
export const hook = /** @type {const} */ ({ event: EVENT, failed: FAILED, closed: CLOSED_HOOK, drain: DRAIN });

/**
 * What is read of an error, which may be any value (a ConnectionError has both fields).
 * @typedef {{ status?: number, message?: string } | null | undefined} ErrorFields
 */

/**
 * Dispatched as "error": `error` says why; `retryInMs` is set when a reconnection follows.
 * `code` (the HTTP status, when there is one) and `message` are there for code written for the
 * `eventsource` package's ErrorEvent.
 */
export class SseErrorEvent extends Event {
  static get name() { return "SseErrorEvent"; } // minification renames the class
  /** @param {unknown} error @param {number} [retryInMs] */
  constructor(error, retryInMs) {
    super("error");
    this.error = error;
    this.retryInMs = retryInMs;
  }
  get code() {
    return /** @type {ErrorFields} */ (this.error)?.status;
  }
  get message() {
    return /** @type {ErrorFields} */ (this.error)?.message ?? "";
  }
}

/** The API base URL: the document's base URL in a page, the worker's URL in a worker. */
function baseUrl() {
  try {
    const base = globalThis.document?.baseURI ?? globalThis.location?.href;
    return typeof base === "string" ? base : undefined;
  } catch {
    return undefined;
  }
}

/** @param {string | URL} url */
function parseUrl(url) {
  const text = String(url);
  try {
    return new URL(text, baseUrl());
  } catch {
    throw new DOMException(`eric-sse: cannot parse the EventSource URL ${JSON.stringify(text)}`, "SyntaxError");
  }
}

/** @type {{ unicodeHeaders: boolean, cache?: boolean, mode?: boolean, credentials?: boolean } | undefined} */
let support;
/** What this runtime's Request accepts (workerd once refused some fields; a refusal would throw). */
function requestSupport() {
  if (support) return support;
  support = { unicodeHeaders: false };
  for (const [key, value] of /** @type {const} */ ([["cache", "no-store"], ["mode", "cors"], ["credentials", "same-origin"]])) {
    try {
      new Request("http://127.0.0.1/", { [key]: value });
      support[key] = true;
    } catch {
      support[key] = false;
    }
  }
  try {
    // workerd takes any string and sends it UTF-8; the others take only bytes (ByteString).
    new Headers({ "x-probe": "\u2026" });
    support.unicodeHeaders = true;
  } catch {
    // Bytes only: the id goes as its UTF-8 bytes, one char each.
  }
  return support;
}

/** @type {boolean | undefined} */
let callsHandlers;
/**
 * Whether this runtime's EventTarget itself calls `on<type>` properties (workerd does): then
 * the handler attributes must not add a listener too, or each handler would run twice.
 */
function targetCallsHandlers() {
  if (callsHandlers === undefined) {
    const probe = new EventTarget();
    callsHandlers = false;
    /** @type {any} */ (probe).onprobe = () => {
      callsHandlers = true;
    };
    probe.dispatchEvent(new Event("probe"));
  }
  return callsHandlers;
}

/** Characters no HTTP header can carry (the parser never lets CR, LF or NUL into an id). */
const UNSENDABLE = /[\x00-\x08\x0a-\x1f\x7f]/;
const encoder = new TextEncoder();

/** The header value carrying `text` as UTF-8 ("Last-Event-ID … encoded as UTF-8"). @param {string} text */
function utf8HeaderValue(text) {
  if (/^[\x00-\x7f]*$/.test(text) || requestSupport().unicodeHeaders) return text;
  const bytes = encoder.encode(text);
  let out = "";
  for (let i = 0; i < bytes.length; i += 8192) out += String.fromCharCode(...bytes.subarray(i, i + 8192));
  return out;
}

const MIME_TYPE = /^[!#$%&'*+.^_`|~0-9a-z-]+\/[!#$%&'*+.^_`|~0-9a-z-]+$/;

/**
 * Whether the Content-Type names text/event-stream, read as Fetch's "extract a MIME type" does
 * (whatwg/html#7630): a header sent twice arrives joined by commas, and the last valid type
 * other than *\/* wins.
 * @param {string | null} contentType
 */
function isEventStream(contentType) {
  let essence = "";
  // Commas inside quoted parameter values do not split.
  for (const value of (contentType ?? "").match(/(?:"(?:[^"\\]|\\.)*"?|[^,"])+/g) ?? []) {
    const type = value.split(";")[0].trim().toLowerCase();
    if (MIME_TYPE.test(type) && type !== "*/*") essence = type;
  }
  return essence === "text/event-stream";
}

/**
 * Whether what fetch resolved to looks like a Response (a custom fetch may resolve to anything).
 * @param {Partial<Response> | null | undefined} value
 */
function isResponse(value) {
  return value !== null && typeof value === "object" && typeof value.status === "number"
    && typeof value.headers?.get === "function";
}

/** @param {string} responseUrl @param {URL} fallback */
function originOf(responseUrl, fallback) {
  try {
    return responseUrl ? new URL(responseUrl).origin : fallback.origin;
  } catch {
    return fallback.origin;
  }
}

/**
 * Checks a count option: undefined, or an integer ≥ `min` (or Infinity when `infinite`).
 * @param {string} name
 * @param {unknown} value
 * @param {{ min?: number, infinite?: boolean }} [limits]
 */
function count(name, value, { min = 0, infinite = false } = {}) {
  if (value === undefined) return;
  if ((infinite && value === Infinity) || (Number.isSafeInteger(value) && /** @type {number} */ (value) >= min)) return;
  throw new RangeError(`eric-sse: ${name} must be an integer ≥ ${min}${infinite ? " or Infinity" : ""}`);
}

/**
 * Validates the options once, so nothing deterministic can fail on every reconnection.
 * @param {unknown} init
 * @returns {Record<string, any>}
 */
function settle(init) {
  if (init !== undefined && init !== null && typeof init !== "object") {
    throw new TypeError("eric-sse: the EventSource options must be an object");
  }
  /** @type {Record<string, any>} */
  const options = { ...DEFAULTS, ...Object.fromEntries(Object.entries(init ?? {}).filter(([, v]) => v !== undefined)) };
  count("retryMs", options.retryMs);
  count("minRetryMs", options.minRetryMs);
  count("maxRetries", options.maxRetries, { infinite: true });
  count("maxEventBytes", options.maxEventBytes);
  options.maxLineBytes ??= options.maxEventBytes;
  count("maxLineBytes", options.maxLineBytes);
  const { backoff, body, fetch: fetchFn } = options;
  if (backoff !== undefined && backoff !== false) {
    if (typeof backoff !== "object" || backoff === null) {
      throw new TypeError("eric-sse: backoff must be { factor, maxMs, jitter } or false");
    }
    const { factor = 2, maxMs = 30_000, jitter = 0.3 } = backoff;
    if (!(typeof factor === "number" && factor >= 1 && Number.isFinite(factor))) throw new RangeError("eric-sse: backoff.factor must be a number ≥ 1");
    count("backoff.maxMs", maxMs);
    if (!(typeof jitter === "number" && jitter >= 0 && jitter <= 1)) throw new RangeError("eric-sse: backoff.jitter must be between 0 and 1");
  }
  if (typeof ReadableStream === "function" && body instanceof ReadableStream) {
    throw new TypeError("eric-sse: a ReadableStream body cannot be sent again on reconnection; pass a string, bytes, Blob, FormData or URLSearchParams");
  }
  options.method = String(options.method ?? "GET").toUpperCase();
  if (body !== undefined && body !== null && (options.method === "GET" || options.method === "HEAD")) {
    throw new TypeError(`eric-sse: a ${options.method} request cannot have a body`);
  }
  if (fetchFn !== undefined && typeof fetchFn !== "function") throw new TypeError("eric-sse: fetch must be a function");
  // Header names and values are checked here, once (Headers throws on invalid ones).
  options.headers = Object.fromEntries(new Headers(options.headers ?? {}));
  if (options.lastEventId !== undefined && options.lastEventId !== null) options.lastEventId = String(options.lastEventId);
  else options.lastEventId = "";
  return options;
}

/**
 * Waits `ms`, or until `wake.current()` is called.
 * @param {number} ms
 * @param {{ current: (() => void) | null }} wake
 * @returns {Promise<void>}
 */
function sleep(ms, wake) {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(), ms);
    wake.current = () => {
      clearTimeout(timer);
      resolve();
    };
  });
}

/**
 * `new EventSource(url, { withCredentials })`, as in browsers, with these options besides:
 * `headers`, `method`, `body`, `fetch`, `lastEventId` (the first request's Last-Event-ID),
 * `retryMs` (reconnection time until the server sends `retry:`, default 3000), `minRetryMs`
 * (floor, default 10), `maxRetries` (consecutive failures before giving up, default Infinity),
 * `backoff` (`{ factor: 2, maxMs: 30000, jitter: 0.3 }` from the second consecutive failure, or
 * false), `maxEventBytes` (default 16 MiB), `maxLineBytes` (default: maxEventBytes), `signal`.
 */
export class EventSource extends /** @type {SseEventTarget} */ (EventTarget) {
  static get name() { return "EventSource"; } // minification renames the class
  static CONNECTING = CONNECTING;
  static OPEN = OPEN;
  static CLOSED = CLOSED;
  /** The constants on instances too, as the browser's EventSource has them. */
  get CONNECTING() { return /** @type {0} */ (CONNECTING); }
  get OPEN() { return /** @type {1} */ (OPEN); }
  get CLOSED() { return /** @type {2} */ (CLOSED); }

  #url;
  #options;
  /** @type {typeof fetch} */
  #fetch;
  #withCredentials;
  #state = CONNECTING;
  #retryMs;
  #parser;
  #origin;
  /** @type {AbortController | null} */
  #controller = null;
  /** @type {{ current: (() => void) | null }} */
  #wake = { current: null };
  /** @type {Record<HandlerType, Handler>} */
  #handlers = { open: null, message: null, error: null };
  /** @type {(() => void) | null} */
  #onAbort = null;
  /** The last event ID when the source closed: the parser may still be inside the chunk that a
   * handler closed it in, and the events after are never dispatched. @type {string | null} */
  #closedId = null;

  /** @param {string | URL} url @param {import("../index.js").EventSourceInit} [eventSourceInitDict] */
  constructor(url, eventSourceInitDict = undefined) {
    super();
    this.#url = parseUrl(url);
    const options = settle(eventSourceInitDict);
    this.#options = options;
    this.#withCredentials = Boolean(options.withCredentials);
    this.#fetch = options.fetch ?? ((/** @type {any} */ input, /** @type {any} */ init) => globalThis.fetch(input, init));
    this.#retryMs = options.retryMs;
    this.#origin = this.#url.origin;
    this.#parser = createParser({
      onEvent: (event) => this.#dispatchMessage(event),
      onRetry: (ms) => {
        this.#retryMs = ms;
      },
      onError: (error) => {
        if (this.#state !== CLOSED) this.#fire(new SseErrorEvent(error));
      },
      maxLineBytes: options.maxLineBytes,
      maxEventBytes: options.maxEventBytes,
      lastEventId: options.lastEventId,
    });
    const { signal } = options;
    if (signal?.aborted) {
      this.#state = CLOSED;
      return;
    }
    if (signal) {
      this.#onAbort = () => this.close();
      signal.addEventListener("abort", this.#onAbort, { once: true });
    }
    // The spec fires every event from a queued task: nothing before the constructor's caller
    // has had its turn to add listeners.
    setTimeout(() => this.#run(), 0);
  }

  get url() {
    return this.#url.href;
  }
  get withCredentials() {
    return this.#withCredentials;
  }
  /** 0 connecting (or waiting to reconnect), 1 open, 2 closed. */
  get readyState() {
    return /** @type {0 | 1 | 2} */ (this.#state);
  }
  /** The last event ID string: sent as Last-Event-ID on reconnection. */
  get lastEventId() {
    return this.#closedId ?? this.#parser.lastEventId;
  }
  /** The reconnection time in force (the server's `retry`, else `retryMs`). */
  get retryMs() {
    return this.#retryMs;
  }

  /** @returns {Handler} */
  get onopen() {
    return this.#handlers.open;
  }
  /** @param {Handler} value */
  set onopen(value) {
    this.#setHandler("open", value);
  }
  /** @returns {Handler} */
  get onmessage() {
    return this.#handlers.message;
  }
  /** @param {Handler} value */
  set onmessage(value) {
    this.#setHandler("message", value);
  }
  /** @returns {Handler} */
  get onerror() {
    return this.#handlers.error;
  }
  /** @param {Handler} value */
  set onerror(value) {
    this.#setHandler("error", value);
  }

  /** Event handler IDL attributes: one listener, added when first set, kept in place on change.
   * @param {HandlerType} type @param {Handler} value */
  #setHandler(type, value) {
    const handler = typeof value === "function" || (typeof value === "object" && value !== null) ? value : null;
    const had = this.#handlers[type] !== null;
    this.#handlers[type] = handler;
    if (targetCallsHandlers()) return;
    if (handler && !had) this.addEventListener(type, this.#handlerListener(type));
    else if (!handler && had) this.removeEventListener(type, this.#handlerListener(type));
  }

  /** @type {Partial<Record<HandlerType, (event: Event) => void>>} */
  #listeners = {};
  /** @param {HandlerType} type */
  #handlerListener(type) {
    this.#listeners[type] ??= (event) => {
      const handler = this.#handlers[type];
      if (typeof handler === "function") handler.call(this, event);
    };
    return this.#listeners[type];
  }

  /** Aborts the connection (or the wait before the next one); no event fires. */
  close() {
    this.#close(true);
  }

  /** @param {boolean} byUser close() or the signal, not a failure */
  #close(byUser) {
    if (this.#state === CLOSED) return;
    this.#closedId = this.#parser.lastEventId;
    this.#state = CLOSED;
    this.#controller?.abort();
    this.#wake.current?.();
    if (this.#onAbort) this.#options.signal.removeEventListener("abort", this.#onAbort);
    this[hook.closed](byUser);
  }

  /** An event was dispatched (connect() queues it for iteration). @param {any} _event @param {string} _origin */
  [hook.event](_event, _origin) {}
  /** The connection failed for good. @param {unknown} _error */
  [hook.failed](_error) {}
  /** The source closed. @param {boolean} _byUser by close() or the signal (not a failure) */
  [hook.closed](_byUser) {}
  /** Reading may wait here (connect() pauses while its queue is full). @returns {void | Promise<void>} */
  [hook.drain]() {}

  /** @param {Event} event */
  #fire(event) {
    this.dispatchEvent(event);
  }

  /** @param {import("../index.js").SseEvent} event */
  #dispatchMessage(event) {
    if (this.#state === CLOSED) return;
    this.#fire(new MessageEvent(event.type, { data: event.data, lastEventId: event.lastEventId, origin: this.#origin }));
    if (this.#state !== CLOSED) this[hook.event](event, this.#origin);
  }

  async #run() {
    try {
      let failures = 0;
      while (this.#state !== CLOSED) {
        const outcome = await this.#attempt();
        if (outcome === "opened") failures = 0;
        if (outcome === "done" || this.#state === CLOSED) return;
        failures += 1;
        if (!(await this.#reestablish(this.#lastError, failures))) return;
      }
    } catch (error) {
      // Nothing may escape as an unhandled rejection: an unexpected failure ends the source.
      this.#failConnection(error);
    }
  }

  /** @type {unknown} */
  #lastError = null;

  /** One fetch: "done" (failed or closed for good), "failed" (reconnect), "opened" (then ended). */
  async #attempt() {
    const id = this.lastEventId;
    if (UNSENDABLE.test(id)) {
      this.#failConnection(new ConnectionError(`the last event id ${JSON.stringify(id)} holds control characters no HTTP header can carry`));
      return "done";
    }
    const controller = new AbortController();
    this.#controller = controller;
    let response;
    try {
      response = await this.#fetch(this.#url.href, this.#request(id, controller.signal));
    } catch (error) {
      this.#lastError = error;
      return this.#state === CLOSED ? "done" : "failed";
    }
    if (this.#state === CLOSED) {
      response?.body?.cancel?.().catch(() => {});
      return "done";
    }
    if (!isResponse(response)) {
      this.#failConnection(new TypeError("eric-sse: fetch must resolve to a Response"));
      return "done";
    }
    const { status } = response;
    const contentType = response.headers.get("content-type");
    if (status !== 200 || !isEventStream(contentType)) {
      response.body?.cancel?.().catch(() => {});
      const why = status === 204
        ? "HTTP 204 No Content: the server asks not to reconnect"
        : status !== 200 ? `HTTP status ${status}` : `expected text/event-stream, got ${JSON.stringify(contentType ?? "")}`;
      this.#failConnection(new ConnectionError(`${why} from ${this.#url.href}`, { status }));
      return "done";
    }
    const { body } = response;
    if (body !== null && body !== undefined && typeof body.getReader !== "function") {
      this.#failConnection(new TypeError("eric-sse: the response body must be a ReadableStream"));
      return "done";
    }
    this.#origin = originOf(response.url, this.#url);
    this.#parser.reset();
    this.#state = OPEN;
    this.#fire(new Event("open"));
    this.#lastError = new ConnectionError("the server ended the stream");
    try {
      if (body && this.#state !== CLOSED) await this.#read(body);
    } catch (error) {
      this.#lastError = error;
    }
    return "opened";
  }

  /** @param {string} id @param {AbortSignal} signal @returns {RequestInit} */
  #request(id, signal) {
    const options = this.#options;
    const supported = requestSupport();
    const headers = { ...options.headers };
    headers.accept ??= "text/event-stream";
    // Browsers' fetch adds it for cache "no-store"; set by hand it would make a cross-origin
    // request need a preflight, so only where there is no origin to cross.
    const here = (() => {
      try {
        return globalThis.location?.origin;
      } catch {
        return undefined;
      }
    })();
    if (typeof here !== "string" || here === "null" || here === this.#url.origin) headers["cache-control"] ??= "no-cache";
    if (id !== "") headers["last-event-id"] = utf8HeaderValue(id);
    /** @type {RequestInit} */
    const init = { method: options.method, headers, signal, redirect: "follow" };
    if (options.body !== undefined && options.body !== null) init.body = options.body;
    if (supported.cache) init.cache = "no-store";
    if (supported.mode) init.mode = "cors";
    if (supported.credentials) init.credentials = this.#withCredentials ? "include" : "same-origin";
    return init;
  }

  /** @param {ReadableStream<Uint8Array>} body */
  async #read(body) {
    const reader = body.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done || this.#state === CLOSED) return;
        this.#parser.feed(value);
        await this[hook.drain]();
        if (this.#state === CLOSED) return;
      }
    } finally {
      if (this.#state === CLOSED) reader.cancel().catch(() => {});
      else reader.releaseLock?.();
    }
  }

  /** CONNECTING, `error` (with the delay), then wait; false when it gives up or is closed.
   * @param {unknown} error @param {number} failures */
  async #reestablish(error, failures) {
    if (this.#state === CLOSED) return false;
    const { maxRetries } = this.#options;
    if (failures > maxRetries) {
      const cause = /** @type {ErrorFields} */ (error);
      this.#failConnection(new ConnectionError(`gave up after ${failures} failed attempts: ${cause?.message ?? cause}`,
        { cause, attempts: failures }));
      return false;
    }
    const delay = this.#delay(failures);
    this.#state = CONNECTING;
    this.#fire(new SseErrorEvent(error, delay));
    if (this.#state === CLOSED) return false;
    await sleep(delay, this.#wake);
    this.#wake.current = null;
    return this.#state === CONNECTING;
  }

  /** The reconnection time (floored, clamped to what timers can wait), grown on repeated failures.
   * @param {number} failures */
  #delay(failures) {
    const { minRetryMs, backoff } = this.#options;
    const clamp = (/** @type {number} */ ms) => Math.min(MAX_DELAY_MS, Math.max(minRetryMs, ms));
    const base = clamp(this.#retryMs);
    if (backoff === false || failures <= 1) return base;
    const { factor = 2, maxMs = 30_000, jitter = 0.3 } = backoff ?? {};
    const grown = Math.min(maxMs, base * factor ** (failures - 1));
    // Never under the reconnection time ("wait a delay equal to the reconnection time", then
    // optionally more): the jitter comes off the growth only.
    return clamp(Math.max(base, Math.round(grown * (1 - jitter * Math.random()))));
  }

  /** "Fail the connection": CLOSED, then `error`; no reconnection. @param {unknown} error */
  #failConnection(error) {
    if (this.#state === CLOSED) return;
    this[hook.failed](error);
    this.#close(false);
    this.#fire(new SseErrorEvent(error));
  }
}

