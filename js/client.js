// connect(): the async-iterator face of the EventSource in event-source.js — the same requests,
// reconnection, Last-Event-ID, limits and events — plus `for await` over the events. Where the
// two differ on purpose: iterating yields plain `{ type, data, lastEventId, origin }` objects;
// a failure that closes the connection rejects the pending `next()` with its error (after the
// "error" event), except a 204, which is the server's way to say "done" and ends the loop;
// leaving the loop closes the connection.

import { EventSource, hook, SseErrorEvent } from "./event-source.js";

export { SseErrorEvent };

/** @typedef {import("../index.js").SseEvent} SseEvent */

/** While iterating, reading pauses when this many events, or this many characters, wait. */
const HIGH_WATER = 1024;
const HIGH_WATER_CHARS = 16 * 1024 * 1024;

/** The characters a queued event holds: its data, id and type (a server may make any of them
 * long). @param {SseEvent} event */
const size = (event) => event.data.length + event.lastEventId.length + event.type.length;

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
  /** The id of the last event the loop took (the last event ID when iteration began). */
  #takenId = "";
  /** The loop was left (`return()`): `next()` only says done. */
  #left = false;

  /** @returns {AsyncIterableIterator<SseEvent, undefined>} */
  [Symbol.asyncIterator]() {
    if (!this.#iterating) this.#takenId = super.lastEventId;
    this.#iterating = true;
    return {
      next: () => this.#next(),
      return: async () => {
        this.#left = true;
        this.#failure = null;
        this.close();
        this.#drop();
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
      if (this.#left) return { done: true, value: undefined };
      if (this.#head < this.#queue.length) {
        const value = /** @type {SseEvent} */ (this.#queue[this.#head]);
        this.#queue[this.#head] = undefined;
        this.#head += 1;
        this.#queuedChars -= size(value);
        this.#takenId = value.lastEventId;
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

  /**
   * The last event ID. Once closed while iterating, the id of the last event the loop took, not
   * of the events queued after it (which close() drops): a new connection resumed from it gets
   * those again.
   */
  get lastEventId() {
    return this.#iterating && this.readyState === EventSource.CLOSED ? this.#takenId : super.lastEventId;
  }

  /** Empties the queue (the loop will not take what is in it). */
  #drop() {
    this.#queue = [];
    this.#head = 0;
    this.#queuedChars = 0;
    this.#wakeAll();
  }

  #wakeAll() {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const wake of waiters) wake();
  }

  /** @param {SseEvent} event @param {string} origin */
  [hook.event]({ type, data, lastEventId }, origin) {
    if (!this.#iterating) return;
    const event = { type, data, lastEventId, origin };
    this.#queue.push(event);
    this.#queuedChars += size(event);
    this.#wakeAll();
  }

  /** @param {unknown} error */
  [hook.failed](error) {
    if (/** @type {{ status?: number } | null | undefined} */ (error)?.status !== 204) this.#failure = error;
  }

  /** @param {boolean} byUser */
  [hook.closed](byUser) {
    // close() or the signal ends the loop at once; after a failure the loop first takes the
    // events that came before it.
    if (byUser) this.#drop();
    else this.#wakeAll();
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
