// Channel and Listener: the JS face of the Rust core. Timing (waiting, keep-alive, stream delay),
// Web streams, async iterators and AbortSignal live here; queues, ids, history and SSE framing
// live in the wasm core (RawChannel). Waiting consumers park a resolver and are woken by
// dispatch/broadcast/notifyEnd, so an idle stream costs no CPU.

import { RawChannel } from "../pkg/eric_sse.js";
import {
  InvalidListenerError,
  InvalidMessageFormatError,
  NoMessagesError,
  QueueOverflowError,
  fromCore,
} from "./errors.js";
import { Message, SignedMessage, toJson, unpack } from "./message.js";
import { assertReady } from "./wasm.js";

const OVERFLOW_POLICIES = { disconnect: 0, "drop-oldest": 1, error: 2 };
const LIFECYCLE_ENDED = 2;
const MAX_U32 = 0xffffffff;
const KEEP_ALIVE = new TextEncoder().encode(": keep-alive\n\n");
const EMPTY = new Uint8Array(0);
const STATE = Symbol("eric-sse listener state");

let fallbackIds = 0;
/** A random UUID where the platform gives one (not at workerd's global scope), else a counter. */
export function newId(prefix) {
  try {
    return globalThis.crypto.randomUUID();
  } catch {
    fallbackIds += 1;
    return `${prefix}-${Date.now().toString(36)}-${fallbackIds}`;
  }
}

function option(options, name, fallback, max = Number.MAX_SAFE_INTEGER) {
  const value = options[name] ?? fallback;
  if (value === Infinity && max === MAX_U32) return MAX_U32;
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new RangeError(`eric-sse: option ${name} must be an integer from 0 to ${max}, got ${value}`);
  }
  return value;
}

function checkType(type) {
  if (typeof type !== "string") {
    throw new InvalidMessageFormatError(`message type must be a string, got ${typeof type}`);
  }
}

/** A listener: an id, a running flag and an optional `onMessage(msg)` hook run at delivery. */
export class Listener {
  /** @param {{ id?: string }} [options] */
  constructor({ id } = {}) {
    if (id !== undefined && typeof id !== "string") {
      throw new InvalidListenerError(`listener id must be a string, got ${typeof id}`);
    }
    this.id = id ?? newId("listener");
    this.onMessage = undefined;
    // Internal: which channel holds it, its key there, parked resolvers, open stream.
    Object.defineProperty(this, STATE, {
      value: {
        channel: null, key: -1, running: true, waiters: [], streaming: false, changes: 0, source: null, listener: this,
      },
    });
  }

  get isRunning() {
    return this[STATE].running;
  }

  start() {
    this.#setRunning(true);
  }

  stop() {
    this.#setRunning(false);
  }

  #setRunning(running) {
    const state = this[STATE];
    state.running = running;
    if (state.channel) state.channel._setRunning(state, running);
  }
}

const isReply = (reply) => reply !== null && typeof reply === "object" && typeof reply.type === "string";

/**
 * A listener that acts on its own messages (eric-sse's SimpleDistributedApplicationListener):
 * for a message whose type has an action, `fn(message)` returns zero or more replies
 * (`Message`s or `{ type, payload }`), each dispatched back to `message.senderId`, signed by
 * this listener. Types `start` and `stop` toggle it (while stopped, other messages wait in
 * order). A throwing action answers the sender with
 * an `_eric_error` message `{ type, name, message }`. Messages without an action go to
 * `onUnknown(message)`; what cannot be answered (no sender) goes to `onError(error, message)`.
 */
export class ActionListener extends Listener {
  #actions = new Map();
  onUnknown = undefined;
  onError = (error, message) => console.error(`eric-sse: action listener ${this.id} on ${message?.type}:`, error);

  setAction(name, fn) {
    if (name === "start" || name === "stop") {
      throw new InvalidMessageFormatError(`"${name}" is the message type that ${name}s the listener; it cannot be an action`);
    }
    if (typeof name !== "string" || name === "") throw new InvalidMessageFormatError("an action name is a non-empty string");
    if (typeof fn !== "function") throw new TypeError("eric-sse: an action is a function");
    this.#actions.set(name, fn);
  }

  removeAction(name) {
    this.#actions.delete(name);
  }

  /** Called by registerListener: consume this listener's queue as messages arrive. While
   * stopped it keeps reading, so a `start` anywhere restarts it; other messages are held, in
   * order, and acted on once it runs again. */
  async _attached(channel) {
    const state = this[STATE];
    const held = [];
    while (state.channel === channel) {
      if (state.running && held.length > 0) {
        await this.#handle(channel, held.shift());
        continue;
      }
      let message;
      try {
        message = channel._take(state);
      } catch (error) {
        return this.onError(error, undefined);
      }
      if (message === undefined) {
        if (channel._ended(state)) return;
        await channel._wait(state);
      } else if (message.type === "start" || message.type === "stop") {
        this[message.type]();
      } else if (state.running) {
        await this.#handle(channel, message);
      } else {
        held.push(message);
      }
    }
  }

  async #handle(channel, message) {
    const action = this.#actions.get(message.type);
    if (!action) return this.onUnknown?.(message);
    let replies;
    try {
      replies = await action(message);
    } catch (error) {
      const failure = { type: message.type, name: error?.name ?? "Error", message: String(error?.message ?? error) };
      if (message.senderId === undefined) return this.onError(error, message);
      return this.#send(() => channel._dispatchError(message.senderId, this.id, failure), message);
    }
    for (const reply of [replies].flat()) {
      if (reply === undefined || reply === null) continue;
      if (!isReply(reply)) {
        this.onError(new InvalidMessageFormatError("a reply is a Message or { type, payload }"), message);
      } else if (message.senderId === undefined) {
        this.onError(new InvalidListenerError(`message ${message.id} has no sender to reply to`), message);
      } else {
        this.#send(() => channel.dispatch(message.senderId, reply.type, reply.payload, { senderId: this.id }), message);
      }
    }
  }

  #send(fn, message) {
    try {
      fn();
    } catch (error) {
      this.onError(error, message);
    }
  }
}

export class Channel {
  #raw;
  #options;
  #listeners = new Map();
  #parked = new Set();
  #flushQueued = false;
  /** Streams whose reader waits for bytes (see SseSource). */
  _hungry = new Set();
  /** Bumped by every broadcast and notifyEnd; with each listener's own `changes` counter it
   * lets a stream that drained everything skip the next drain until something happened. */
  _generation = 0;

  /**
   * @param {object} [options] id, retryMs (5000), streamDelayMs (0), keepAliveMs (15000),
   *   historySize (256), maxQueue (10000), overflow ("disconnect" | "drop-oldest" | "error").
   */
  constructor(options = {}) {
    if (options === null || typeof options !== "object") {
      throw new TypeError("eric-sse: Channel options must be an object");
    }
    const overflow = options.overflow ?? "disconnect";
    if (!(overflow in OVERFLOW_POLICIES)) {
      throw new RangeError(`eric-sse: overflow must be "disconnect", "drop-oldest" or "error", got ${overflow}`);
    }
    if (options.id !== undefined && (typeof options.id !== "string" || options.id === "")) {
      throw new TypeError("eric-sse: channel id must be a non-empty string");
    }
    this.id = options.id ?? newId("channel");
    this.#options = {
      retryMs: option(options, "retryMs", 5000),
      streamDelayMs: option(options, "streamDelayMs", 0),
      keepAliveMs: option(options, "keepAliveMs", 15000),
      historySize: option(options, "historySize", 256, MAX_U32),
      maxQueue: Math.max(1, option(options, "maxQueue", 10000, MAX_U32)),
      overflow,
    };
    const o = this.#options;
    assertReady();
    this.#raw = new RawChannel(
      this.id, o.retryMs, o.streamDelayMs, o.keepAliveMs, o.historySize, o.maxQueue,
      OVERFLOW_POLICIES[overflow],
    );
  }

  /** The settings in force, defaults filled in. */
  get options() {
    return { ...this.#options };
  }

  /** True once notifyEnd() was called. */
  get ended() {
    return this.#raw.ended;
  }

  /** Creates, registers and returns a running listener. */
  addListener() {
    return this.registerListener(new Listener());
  }

  /** Registers a Listener (its id must be unique in this channel). */
  registerListener(listener) {
    if (!(listener instanceof Listener)) {
      throw new InvalidListenerError("registerListener expects a Listener");
    }
    const state = listener[STATE];
    if (state.channel) throw new InvalidListenerError(`listener ${listener.id} is already registered`);
    state.key = this.#call(() => this.#raw.register(listener.id));
    state.channel = this;
    this.#listeners.set(listener.id, state);
    /** @type {any} */ (listener)._attached?.(this);
    return listener;
  }

  /** Creates, registers and returns a running ActionListener (it consumes its own queue). */
  addActionListener() {
    return this.registerListener(new ActionListener());
  }

  /** Removes the listener; its streams and iterators end. */
  removeListener(listenerId) {
    const state = this.#state(listenerId);
    this.#raw.remove(state.key);
    this.#listeners.delete(listenerId);
    state.channel = null;
    this.#wake(state);
  }

  getListener(listenerId) {
    return this.#state(listenerId).listener;
  }

  /** Ids of the registered listeners. */
  listenerIds() {
    return [...this.#listeners.keys()];
  }

  /**
   * Queues a message for one listener; returns its id. `dispatch(id, message)` also accepts a
   * Message or SignedMessage instance.
   */
  /**
   * @param {string} listenerId @param {any} type @param {any} [payload]
   * @param {{ senderId?: string }} [options]
   */
  dispatch(listenerId, type, payload, { senderId } = {}) {
    if (type instanceof Message) {
      ({ type, payload } = type);
      if (arguments[1] instanceof SignedMessage) senderId = arguments[1].senderId;
    }
    const state = this.#state(listenerId);
    checkType(type);
    if (senderId !== undefined && typeof senderId !== "string") {
      throw new InvalidMessageFormatError("senderId must be a string");
    }
    const json = toJson(payload);
    const id = this.#call(() => this.#raw.dispatch(state.key, type, json, senderId));
    this.#wake(state);
    return String(id);
  }

  /** Queues a message for every listener (its frame is encoded once); returns its id. */
  broadcast(type, payload) {
    if (type instanceof Message) ({ type, payload } = type);
    checkType(type);
    const id = this.#call(() => this.#raw.broadcast(type, toJson(payload)));
    this._generation += 1;
    for (const state of this.#parked) this.#wakeNow(state);
    this.#parked.clear();
    this.#scheduleFlush();
    return String(id);
  }

  /** Takes the next message `{ id, type, payload }` or throws NoMessagesError. */
  deliverNext(listenerId) {
    const state = this.#state(listenerId);
    const message = this._take(state);
    if (message === undefined) {
      throw new NoMessagesError(`no messages queued for listener ${listenerId}`);
    }
    return message;
  }

  /**
   * Messages for one listener as an async iterator. It waits without polling and ends on
   * notifyEnd(), removeListener() or `signal` abort. Breaking out of the loop keeps the listener.
   */
  /** @param {string} listenerId @param {{ signal?: AbortSignal }} [options] */
  messages(listenerId, { signal } = {}) {
    const state = this.#state(listenerId);
    const channel = this;
    let finished = false;
    return {
      [Symbol.asyncIterator]() {
        return this;
      },
      async next() {
        for (;;) {
          if (finished || signal?.aborted || state.channel !== channel) {
            finished = true;
            return { done: true, value: undefined };
          }
          if (state.running) {
            const value = channel._take(state);
            if (value !== undefined) return { done: false, value };
            if (channel.#raw.lifecycle(state.key) === LIFECYCLE_ENDED) finished = true;
          }
          if (!finished) await channel._wait(state, signal);
        }
      },
      async return() {
        finished = true;
        return { done: true, value: undefined };
      },
    };
  }

  /**
   * The listener's messages as SSE bytes: `retry:` first, the replay after `lastEventId`, then
   * live frames (all pending frames in one chunk per read). Closing or cancelling the stream,
   * or aborting `signal`, removes the listener (its client is gone).
   */
  /** @param {string} listenerId @param {import("../index.js").StreamOptions} [options] */
  stream(listenerId, { lastEventId, signal } = {}) {
    const state = this.#state(listenerId);
    if (state.streaming) {
      throw new InvalidListenerError(`listener ${listenerId} already has an open stream`);
    }
    if (lastEventId !== undefined && lastEventId !== null && typeof lastEventId !== "string") {
      throw new TypeError("eric-sse: lastEventId must be a string");
    }
    const opening = this.#call(() => this.#raw.openStream(state.key, lastEventId ?? undefined));
    state.streaming = true;
    return new ReadableStream(new SseSource(this, state, opening, signal), { highWaterMark: 0 });
  }

  /**
   * A Response carrying stream(listenerId). `init.request` supplies Last-Event-ID and the
   * abort signal; `init.lastEventId`/`init.signal` set them directly; status and headers merge.
   */
  response(listenerId, init = {}) {
    const { request, lastEventId, signal, headers, ...rest } = init;
    const body = this.stream(listenerId, {
      lastEventId: lastEventId ?? request?.headers.get("last-event-id") ?? undefined,
      signal: signal ?? request?.signal,
    });
    const merged = new Headers(headers);
    merged.set("content-type", "text/event-stream");
    if (!merged.has("cache-control")) merged.set("cache-control", "no-cache");
    return new Response(body, { status: 200, ...rest, headers: merged });
  }

  /** Ends the channel: queued messages are delivered, then every stream and iterator ends. */
  notifyEnd() {
    this.#raw.notifyEnd();
    this._generation += 1;
    for (const state of this.#listeners.values()) this.#wakeNow(state);
    this.#parked.clear();
    this.#scheduleFlush();
  }

  // ---- internal, shared with SseSource and Listener ----

  /** The running flag lives on the JS listener (streams and iterators read it); starting wakes
   * whatever waits on it. */
  _setRunning(state, running) {
    if (running) this.#wake(state);
  }

  /** Takes one message, running onMessage first; a throwing hook leaves it queued. */
  _take(state) {
    const hook = state.listener.onMessage;
    if (typeof hook !== "function") {
      const packed = this.#call(() => this.#raw.next(state.key));
      return packed === undefined ? undefined : unpack(packed);
    }
    const message = this.#peek(state);
    if (message === undefined) return undefined;
    runHook(state.listener, hook, message);
    this.#raw.next(state.key);
    return message;
  }

  /**
   * The next delivery without taking it; undefined when none is queued. A listener cut off
   * for overflowing has, once drained, nothing left: deliverNext reports that as
   * QueueOverflowError, while a stream reports it with its closing frame (`cutOffIsEmpty`).
   */
  #peek(state, cutOffIsEmpty = false) {
    let packed;
    try {
      packed = this.#raw.peek(state.key);
    } catch (thrown) {
      const error = fromCore(thrown);
      if (cutOffIsEmpty && error instanceof QueueOverflowError) return undefined;
      throw error;
    }
    return packed === undefined ? undefined : unpack(packed);
  }

  _ended(state) {
    return this.#raw.lifecycle(state.key) === LIFECYCLE_ENDED;
  }

  /** Sends an `_eric_error` reply from `fromId` to `listenerId` (a type users cannot send). */
  _dispatchError(listenerId, fromId, payload) {
    const state = this.#state(listenerId);
    const id = this.#call(() => this.#raw.dispatchError(state.key, fromId, toJson(payload)));
    this.#wake(state);
    return String(id);
  }

  /**
   * SSE bytes of up to `max` pending deliveries, with `finished` when the closing frame is in.
   * With an onMessage hook, a throwing hook stops the batch: the frames taken before it are
   * returned with `error`, and the message it threw on stays queued.
   */
  _frames(state, max) {
    const hook = state.listener.onMessage;
    if (typeof hook !== "function") {
      const bytes = this.#call(() => this.#raw.drain(state.key, max));
      return { bytes, finished: this.#raw.finished };
    }
    const parts = [];
    for (let n = 0; n < max; n += 1) {
      const message = this.#peek(state, true);
      if (message === undefined) break;
      try {
        runHook(state.listener, hook, message);
      } catch (error) {
        return { bytes: concat(parts), finished: false, error };
      }
      parts.push(this.#raw.drain(state.key, 1));
      if (this.#raw.finished) return { bytes: concat(parts), finished: true };
    }
    parts.push(this.#call(() => this.#raw.drain(state.key, 0)));
    return { bytes: concat(parts), finished: this.#raw.finished };
  }

  _isLive(state) {
    return state.channel === this;
  }

  _close(state) {
    state.streaming = false;
    if (state.channel === this) this.removeListener(state.listener.id);
  }

  /** Parks an iterator until the listener may have something new or `signal` aborts. */
  _wait(state, signal) {
    return new Promise((resolve) => {
      const done = () => {
        signal?.removeEventListener("abort", done);
        const at = state.waiters.indexOf(done);
        if (at >= 0) state.waiters.splice(at, 1);
        resolve();
      };
      signal?.addEventListener("abort", done, { once: true });
      state.waiters.push(done);
      this.#parked.add(state);
    });
  }

  #wake(state) {
    state.changes += 1;
    this.#wakeNow(state);
    this.#parked.delete(state);
    if (state.source) this.#scheduleFlush();
  }

  /** Fills every hungry stream once, after the current task: a burst of broadcasts in one turn
   * reaches each reader as one chunk. */
  #scheduleFlush() {
    if (this.#flushQueued || this._hungry.size === 0) return;
    this.#flushQueued = true;
    queueMicrotask(() => {
      this.#flushQueued = false;
      for (const source of this._hungry) source.fill();
    });
  }

  #wakeNow(state) {
    const waiters = state.waiters;
    if (waiters.length === 0) return;
    state.waiters = [];
    for (const wake of waiters) wake();
  }

  #state(listenerId) {
    const state = this.#listeners.get(listenerId);
    if (state === undefined) {
      throw new InvalidListenerError(`no listener ${String(listenerId)} in channel ${this.id}`);
    }
    return state;
  }

  #call(fn) {
    try {
      return fn();
    } catch (thrown) {
      throw fromCore(thrown);
    }
  }
}

/** Runs a listener's onMessage hook on a delivery (not on the library's notices, id null). */
function runHook(listener, hook, message) {
  if (message.id !== null) hook.call(listener, message);
}

/** Joins byte chunks (the one chunk itself when there is one). */
export function concat(parts) {
  if (parts.length === 1) return parts[0];
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * Underlying source of a listener's SSE ReadableStream. `pull()` (a reader waits) marks it
 * hungry and tries to fill it at once; otherwise the channel fills it when something happens.
 * No promise or timer per delivery: a keep-alive timer is armed once per silence.
 */
class SseSource {
  constructor(channel, state, opening, signal) {
    this.channel = channel;
    this.state = state;
    this.opening = opening;
    this.signal = signal;
    this.options = channel.options;
    this.controller = null;
    this.hungry = false;
    this.closed = false;
    this.failure = null;
    this.lastSentAt = Date.now();
    this.nextDeliveryAt = 0;
    this.keepAliveTimer = null;
    this.delayTimer = null;
    // (channel generation, listener changes) when a drain last took everything queued.
    this.drainedAt = [-1, -1];
    // Abort ends the stream at once, read pending or not: its client is gone.
    this.onAbort = () => { if (!this.closed) this.#finish(); };
    signal?.addEventListener("abort", this.onAbort, { once: true });
    state.source = this;
  }

  start(controller) {
    this.controller = controller;
  }

  pull() {
    this.hungry = true;
    this.fill();
  }

  cancel() {
    this.#cleanup();
    this.channel._close(this.state);
  }

  /** Gives a waiting reader what there is; otherwise stays hungry until woken. */
  fill() {
    if (!this.hungry || this.closed) return;
    const { channel, state, signal, options } = this;
    if (this.failure) return this.#fail();
    if (signal?.aborted || !channel._isLive(state)) return this.#finish();
    if (!state.running) {
      return this.opening ? this.#send(this.#withOpening(EMPTY)) : this.#wait();
    }
    const delay = options.streamDelayMs > 0 ? this.nextDeliveryAt - Date.now() : 0;
    if (delay > 0) {
      this.delayTimer ??= setTimeout(() => { this.delayTimer = null; this.fill(); }, delay);
      return;
    }
    if (this.opening === null && this.#unchanged()) return this.#wait();
    const all = options.streamDelayMs === 0;
    const before = [channel._generation, state.changes];
    let frames;
    try {
      frames = channel._frames(state, all ? MAX_U32 : 1);
    } catch (error) {
      this.failure = error;
      return this.#fail();
    }
    if (all && !frames.error) this.drainedAt = before;
    this.failure = frames.error ?? null;
    const bytes = this.#withOpening(frames.bytes);
    if (bytes.length > 0) {
      this.#send(bytes);
      if (options.streamDelayMs > 0) this.nextDeliveryAt = this.lastSentAt + options.streamDelayMs;
    }
    if (frames.finished) return this.#finish();
    if (bytes.length === 0) return this.failure ? this.#fail() : this.#wait();
  }

  #unchanged() {
    return this.drainedAt[0] === this.channel._generation && this.drainedAt[1] === this.state.changes;
  }

  #send(bytes) {
    this.controller.enqueue(bytes);
    this.hungry = false;
    this.channel._hungry.delete(this);
    this.lastSentAt = Date.now();
  }

  /** Waits to be woken; arms the keep-alive for this silence if it is not armed yet. */
  #wait() {
    this.channel._hungry.add(this);
    const ms = this.options.keepAliveMs;
    if (ms > 0 && this.keepAliveTimer === null) {
      this.keepAliveTimer = setTimeout(() => this.#keepAlive(), Math.max(0, this.lastSentAt + ms - Date.now()));
    }
  }

  #keepAlive() {
    this.keepAliveTimer = null;
    if (this.closed || !this.hungry) return;
    if (Date.now() - this.lastSentAt >= this.options.keepAliveMs) this.#send(KEEP_ALIVE.slice());
    else this.#wait();
  }

  #withOpening(bytes) {
    if (!this.opening) return bytes;
    const out = concat([this.opening, bytes]);
    this.opening = null;
    return out;
  }

  #cleanup() {
    this.closed = true;
    clearTimeout(this.keepAliveTimer);
    clearTimeout(this.delayTimer);
    this.signal?.removeEventListener("abort", this.onAbort);
    this.channel._hungry.delete(this);
    if (this.state.source === this) this.state.source = null;
  }

  #fail() {
    // The listener stays registered with the message its hook refused still queued.
    this.#cleanup();
    this.state.streaming = false;
    this.controller.error(this.failure);
  }

  #finish() {
    if (this.opening) this.controller.enqueue(this.#withOpening(EMPTY));
    this.#cleanup();
    this.channel._close(this.state);
    this.controller.close();
  }
}
