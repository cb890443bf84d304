// connect(): the async-iterator face of the EventSource in event-source.js — the same requests,
// reconnection, Last-Event-ID, limits and events — plus `for await` over the events. Where the
// two differ on purpose: iterating yields plain `{ type, data, lastEventId, origin }` objects;
// a failure that closes the connection rejects the pending `next()` with its error (after the
// "error" event), except a 204, which is the server's way to say "done" and ends the loop;
// leaving the loop closes the connection.

import { EventSource, hook, SseErrorEvent } from "./event-source.js";

export { SseErrorEvent };

/** @typedef {import("../index.js").SseEvent} SseEvent */

/** While iterating, reading pauses when this many events, or this much data, wait. */
const HIGH_WATER = 1024;
const HIGH_WATER_CHARS = 16 * 1024 * 1024;

export class SseClient extends EventSource {
  static get name() { return "SseClient"; } // minification renames the class
  /** Events to iterate, from #head on (those before it were taken: undefined). @type {Array<SseEvent | undefined>} */
  #queue = [];
  #head = 0;
  #queuedChars = 0;
  #iterating = false;
  /** @type {unknown} */
  #failure = null;
  /** @type {Array<(value?: unknown) => void>} */
  #waiters = [];

  /** @returns {AsyncIterableIterator<SseEvent, undefined>} */
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

  /** @returns {Promise<IteratorResult<SseEvent, undefined>>} */
  async #next() {
    for (;;) {
      if (this.#head < this.#queue.length) {
        const value = /** @type {SseEvent} */ (this.#queue[this.#head]);
        this.#queue[this.#head] = undefined;
        this.#head += 1;
        this.#queuedChars -= value.data.length;
        if (this.#head === this.#queue.length) {
          this.#queue = [];
          this.#head = 0;
        }
        this.#wakeAll();
        return { done: false, value };
      }
      if (this.#failure) {
        const failure = this.#failure;
        this.#failure = null;
        throw failure;
      }
      if (this.readyState === EventSource.CLOSED) return { done: true, value: undefined };
      await new Promise((resolve) => this.#waiters.push(resolve));
    }
  }

  #wakeAll() {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** @param {SseEvent} event @param {string} origin */
  [hook.event]({ type, data, lastEventId }, origin) {
    if (!this.#iterating) return;
    this.#queue.push({ type, data, lastEventId, origin });
    this.#queuedChars += data.length;
    this.#wakeAll();
  }

  /** @param {unknown} error */
  [hook.failed](error) {
    if (/** @type {{ status?: number } | null | undefined} */ (error)?.status !== 204) this.#failure = error;
  }

  [hook.closed]() {
    this.#wakeAll();
  }

  async [hook.drain]() {
    while (this.#iterating && this.readyState !== EventSource.CLOSED
      && (this.#queue.length - this.#head >= HIGH_WATER || this.#queuedChars >= HIGH_WATER_CHARS)) {
      await new Promise((resolve) => this.#waiters.push(resolve));
    }
  }
}

/**
 * Opens an SSE connection with fetch: `new SseClient(url, options)`, with the options of
 * EventSource (withCredentials, method, headers, body, lastEventId, retryMs, minRetryMs,
 * maxRetries, backoff, maxEventBytes, maxLineBytes, signal, fetch). Iterate it (`for await`) or
 * listen to its events.
 * @param {string | URL} url
 * @param {import("../index.js").ConnectOptions} [options]
 */
export function connect(url, options) {
  return new SseClient(url, options);
}
