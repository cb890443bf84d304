// Channel: the JS face of the core's channel (src/channel.rs). The core owns every piece of
// state (listeners, queues, running flags, ids, history, each stream's state machine); this
// class converts values, keeps the JS objects (Listener instances, stream drivers, parked
// iterators) by listener key, and drives the core: one microtask flush after changes hands
// streams their shared chunk or a poll and wakes parked iterators (each stream times its own
// keep-alives and delays: js/stream.js).

import { RawChannel } from "../pkg/eric_sse_channel.js";
import { ActionListener } from "./action-listener.js";
import { Replica, packEntry } from "./backplane/replica.js";
import { InvalidListenerError, InvalidMessageFormatError, InvalidOptionError } from "./errors.js";
import { newId, nextEpoch } from "./ids.js";
import { ACTIONS, FORGET, REPLACE, afterTask, clock } from "./internal.js";
import { Listener, bindListener, boundEntry } from "./listener.js";
import { Message, SignedMessage, toJson, unpack } from "./message.js";
import { NodeSink, SseSource } from "./stream.js";
import { assertReady, checked, copyOut, coreGeneration, coreViews, deliveryText, trapped, views, writePayload } from "./wasm.js";

/** The numeric options, in the order `RawChannel.settings()` returns them (src/channel.rs). */
const NUMBER_OPTIONS = [
  "retryMs", "streamDelayMs", "keepAliveMs", "firstKeepAliveMs", "historySize", "historyBytes",
  "maxQueue", "maxQueueBytes", "maxMessageBytes",
];

/**
 * The channel's record of one registered listener.
 * @typedef {object} Entry
 * @property {Channel} channel
 * @property {Listener} listener
 * @property {number} key the core's listener key
 * @property {import("./stream.js").StreamDriver | null} stream
 * @property {(() => void)[] | null} waiters parked iterators
 * @property {boolean} inHook
 * @property {boolean} removed removeListener was called (not the client leaving)
 * @property {import("./internal.js").Binding} ops the channel's calls for its Listener
 */

/** The headers of every SSE response: no caching, and no buffering in a proxy (nginx buffers
 * proxied responses unless told `X-Accel-Buffering: no`, holding events back). */
const SSE_HEADERS = { "content-type": "text/event-stream", "cache-control": "no-cache", "x-accel-buffering": "no" };

/**
 * @template [P=any]
 */
export class Channel {
  static get name() { return "Channel"; } // minification renames the class
  /** @type {RawChannel} the core channel of the current instance (see #raw) */
  #current;
  /** What #current's own message ids start with (its `idPrefix`). */
  #idPrefix = "";
  /** The instance generation #current belongs to. */
  #generation;
  /** The options it was made with, to rebuild it after a trap. */
  #settings;
  /** @type {Map<string, Entry>} */
  #byId = new Map();
  /** @type {Map<number, Entry>} */
  #byKey = new Map();
  #flushQueued = false;
  /** The woken keys of the flush being handed out (reused from flush to flush). */
  #keys = new Uint32Array(64);
  /** @type {import("./stream.js").StreamDriver[]} streams parked since the last core call */
  #parked = [];
  /** @type {Replica | null} the link to the engine, for a channel on a backplane */
  #replica = null;

  /**
   * @param {object} [options] id, retryMs (5000), streamDelayMs (0), keepAliveMs (15000),
   *   firstKeepAliveMs (1000), historySize (256), historyBytes (8 MiB), maxQueue (10000),
   *   maxQueueBytes (8 MiB), maxMessageBytes (4 MiB), overflow ("disconnect" | "drop-oldest" |
   *   "error"). The core checks each (InvalidOptionError). `backplane`: the engine this channel
   *   is a replica of (its ids come from there; publish with `publish`/`publishTo`).
   */
  constructor(options = {}) {
    if (options === null || typeof options !== "object") {
      throw new InvalidOptionError("Channel options must be an object");
    }
    const { id = newId("channel"), backplane } = /** @type {{ id?: unknown, backplane?: any }} */ (options);
    if (typeof id !== "string") throw new InvalidOptionError("option id must be a string");
    short(id, InvalidOptionError, "option id");
    assertReady();
    this.#settings = options;
    try {
      this.#current = new RawChannel(id, options, nextEpoch(), backplane !== undefined);
      this.#idPrefix = this.#current.idPrefix;
    } catch (error) {
      throw trapped(error);
    }
    this.#generation = coreGeneration();
    /** @type {string} */
    this.id = id;
    if (backplane !== undefined) {
      this.#replica = new Replica(id, backplane, {
        start: (tail) => this.#raw.setLastId(tail ?? undefined),
        accept: (packed) => {
          this.#raw.acceptEntries(packed);
          this.#schedule();
          if (this.#raw.ended) this.#replica?.stop();
        },
        announce: (up) => {
          this.#raw.announceBackplane(up);
          this.#schedule();
        },
      });
    }
  }

  /**
   * The core channel, rebuilt first when the instance was replaced after a trap.
   * @returns {RawChannel}
   */
  get #raw() {
    if (this.#parked.length > 0 && this.#rewait()) this.#schedule();
    if (this.#generation !== coreGeneration()) this.#rebuild();
    return this.#current;
  }

  /**
   * Tells the core that the parked streams wait again (one call for all of them); true when it
   * woke some (something came for them meanwhile), which the next flush hands out.
   */
  #rewait(now = clock()) {
    const drivers = this.#parked;
    this.#parked = [];
    // After a trap the rebuild abandons every stream.
    if (this.#generation !== coreGeneration()) return false;
    let at;
    try {
      // The keys go straight into the core's buffer (no array per call).
      at = this.#current.parkedBuffer(drivers.length) >>> 2;
    } catch (error) {
      if (error instanceof WebAssembly.RuntimeError) {
        // The instance was replaced (the rebuild follows in #raw).
        console.error(trapped(error));
      } else {
        // No memory for the keys: the streams stay parked for the next call.
        this.#parked = drivers.concat(this.#parked);
      }
      return false;
    }
    coreViews();
    const words = views.words;
    let n = 0;
    for (const driver of drivers) {
      if (!driver.parked) continue;
      driver.parked = false;
      if (!driver.closed) words[at + n++] = /** @type {Entry} */ (driver.entry).key;
    }
    try {
      return n > 0 && this.#current.rewait(n, now);
    } catch (error) {
      // The instance was replaced (the rebuild follows in #raw).
      console.error(trapped(error));
      return false;
    }
  }

  /**
   * After a trap the instance is new and this channel's core state is gone: a new core channel
   * (a new epoch, so old ids get gap notices) takes the same listeners; their streams close
   * (clients reconnect and resume with a gap notice) and parked iterators look again.
   */
  #rebuild() {
    const entries = [...this.#byKey.values()];
    this.#current = new RawChannel(this.id, this.#settings, nextEpoch(), this.#replica !== null);
    this.#idPrefix = this.#current.idPrefix;
    this.#generation = coreGeneration();
    this.#byKey.clear();
    this.#parked = [];
    for (const entry of entries) {
      entry.stream?.abandon();
      entry.stream = null;
      entry.key = this.#current.register(entry.listener.id, typeof /** @type {any} */ (entry.listener)[ACTIONS] === "function");
      if (typeof entry.listener.onMessage === "function") this.#current.setHooked(entry.key, true);
      this.#byKey.set(entry.key, entry);
      this.#wakeWaiters(entry);
    }
    if (this.#replica) this.#current.setLastId(this.#replica.cursor ?? undefined);
  }

  /** Settles once a channel on a backplane follows its log (at once for a local channel). */
  get ready() {
    return this.#replica?.ready ?? Promise.resolve();
  }

  /** The settings in force, defaults filled in. */
  get options() {
    const values = this.#raw.settings();
    /** @type {Record<string, unknown>} */
    const options = { id: this.id };
    NUMBER_OPTIONS.forEach((name, i) => { options[name] = values[i]; });
    options.overflow = values[NUMBER_OPTIONS.length];
    return options;
  }

  /** True once notifyEnd() was called. */
  get ended() {
    return this.#raw.ended;
  }

  /** The id of the last message, or undefined. */
  get lastId() {
    return this.#raw.lastId;
  }

  /** Creates, registers and returns a running listener. */
  addListener() {
    return this.registerListener(new Listener());
  }

  /**
   * Registers a Listener (its id must be unique in this channel).
   * @template {Listener} L
   * @param {L} listener
   * @returns {L}
   */
  registerListener(listener) {
    if (!(listener instanceof Listener)) {
      throw new InvalidListenerError("registerListener expects a Listener");
    }
    if (boundEntry(listener) !== null) throw new InvalidListenerError(`listener ${listener.id} is already registered`);
    short(listener.id, InvalidListenerError, "listener id");
    const running = listener.isRunning;
    const attach = /** @type {any} */ (listener)[ACTIONS];
    let key;
    try {
      key = this.#raw.register(listener.id, typeof attach === "function");
      if (!running) this.#raw.stop(key);
      if (typeof listener.onMessage === "function") this.#raw.setHooked(key, true);
    } catch (error) {
      throw trapped(error);
    }
    /** @type {Entry} */
    const entry = { channel: this, listener, key, stream: null, waiters: null, inHook: false, removed: false, ops: this.#ops };
    this.#byId.set(listener.id, entry);
    this.#byKey.set(key, entry);
    bindListener(listener, entry);
    if (typeof attach === "function") attach.call(listener, this);
    return listener;
  }

  /** Creates, registers and returns a running ActionListener (it consumes its own queue). */
  addActionListener() {
    return this.registerListener(new ActionListener());
  }

  /**
   * Removes the listener; its stream and iterators end.
   * @param {string} listenerId
   */
  removeListener(listenerId) {
    const entry = this.#entry(listenerId);
    let running;
    try {
      running = this.#raw.isRunning(entry.key);
      entry.removed = true;
      if (entry.stream) entry.stream.stop();
      else {
        this.#raw.remove(entry.key);
        this.#forget(entry);
      }
    } catch (error) {
      throw trapped(error);
    }
    // The core's flag, which start/stop messages of an action listener may have set.
    if (running) entry.listener.start();
    else entry.listener.stop();
  }

  /** See internal.js. @param {string} listenerId */
  [REPLACE](listenerId) {
    const entry = this.#byId.get(listenerId);
    const old = entry?.stream;
    if (!entry || !old) return;
    // (It allocates nothing, so it cannot trap.)
    this.#raw.dropStream(entry.key);
    entry.stream = null;
    old.abandon();
  }

  /** @param {string} listenerId */
  hasListener(listenerId) {
    return this.#byId.has(listenerId);
  }

  /** @param {string} listenerId */
  getListener(listenerId) {
    return this.#entry(listenerId).listener;
  }

  /** How many listeners are registered. */
  get listenerCount() {
    return this.#raw.listenerCount;
  }

  /** Ids of the registered listeners. */
  listenerIds() {
    return this.#raw.listenerIds();
  }

  /**
   * Queues a message for one listener; returns its id. `dispatch(id, message)` also takes a
   * Message or SignedMessage.
   * @param {string} listenerId
   * @param {string | Message<P>} type
   * @param {P} [payload]
   * @param {{ senderId?: string }} [options]
   * @returns {string}
   */
  dispatch(listenerId, type, payload, options) {
    let senderId = options?.senderId;
    if (type instanceof Message) {
      if (type instanceof SignedMessage) senderId = type.senderId;
      ({ type, payload } = type);
    }
    const entry = this.#entry(listenerId);
    senderId = sender(senderId);
    let id;
    try {
      const raw = this.#raw;
      id = this.#idOf(raw, raw.dispatch(entry.key, text(type), writePayload(raw, toJson(payload)), senderId));
    } catch (error) {
      throw trapped(error);
    }
    this.#schedule();
    return id;
  }

  /**
   * Queues a message for every listener (its frame is encoded once); returns its id.
   * @param {string | Message<P>} type
   * @param {P} [payload]
   * @returns {string}
   */
  broadcast(type, payload) {
    if (type instanceof Message) ({ type, payload } = type);
    let id;
    try {
      const raw = this.#raw;
      id = this.#idOf(raw, raw.broadcast(text(type), writePayload(raw, toJson(payload))));
    } catch (error) {
      throw trapped(error);
    }
    this.#schedule();
    return id;
  }

  /**
   * Publishes to every listener, on every node when the channel is on a backplane: the engine
   * assigns the id and the message is delivered here as it comes back, in the engine's order.
   * On a local channel it is `broadcast`. Resolves to the id.
   * @param {string} type
   * @param {P} [payload]
   * @returns {Promise<string>}
   * @throws BackplaneError (rejection) when the engine is down; the errors of broadcast
   */
  async publish(type, payload) {
    if (this.#replica === null) return this.broadcast(type, payload);
    const json = toJson(payload);
    try {
      this.#raw.checkOutgoing(text(type), json, undefined, undefined);
    } catch (error) {
      throw trapped(error);
    }
    return this.#replica.append({ type, payload: json });
  }

  /**
   * `publish` to one listener (`dispatch` on a local channel). On a backplane the listener may
   * be on any node, so an unknown id is not refused.
   * @param {string} listenerId
   * @param {string} type
   * @param {P} [payload]
   * @param {{ senderId?: string }} [options]
   * @returns {Promise<string>}
   */
  async publishTo(listenerId, type, payload, options) {
    if (this.#replica === null) return this.dispatch(listenerId, type, payload, options);
    const json = toJson(payload);
    const senderId = sender(options?.senderId);
    if (typeof listenerId !== "string") throw new InvalidListenerError("a listener id is a string");
    short(listenerId, InvalidListenerError, "listener id");
    try {
      this.#raw.checkOutgoing(text(type), json, senderId, listenerId);
    } catch (error) {
      throw trapped(error);
    }
    return this.#replica.append({ type, payload: json, target: listenerId, ...(senderId === undefined ? {} : { sender: senderId }) });
  }

  /** A channel on a backplane stops following its log (its listeners get nothing more). */
  detach() {
    this.#replica?.stop();
  }

  /**
   * Takes the next message `{ id, type, payload }`, or throws NoMessagesError.
   * @param {string} listenerId
   * @returns {import("./message.js").Delivery}
   */
  deliverNext(listenerId) {
    return /** @type {import("./message.js").Delivery} */ (this.#deliver(this.#entry(listenerId), false));
  }

  /**
   * Messages for one listener as an async iterator. It waits without polling and ends on
   * notifyEnd(), removeListener() or `signal` abort. Breaking out of the loop keeps the listener.
   * @param {string} listenerId
   * @param {{ signal?: AbortSignal }} [options]
   * @returns {AsyncIterableIterator<import("./message.js").Delivery>}
   */
  messages(listenerId, { signal } = {}) {
    const entry = this.#entry(listenerId);
    let finished = false;
    const next = async () => {
      for (;;) {
        if (finished || signal?.aborted || this.#byKey.get(entry.key) !== entry) {
          finished = true;
          return { done: true, value: undefined };
        }
        const got = this.#deliver(entry, true);
        if (got === null) finished = true;
        else if (got !== undefined) return { done: false, value: got };
        else await this.#wait(entry, signal);
      }
    };
    return /** @type {AsyncIterableIterator<import("./message.js").Delivery>} */ ({
      [Symbol.asyncIterator]() {
        return this;
      },
      next,
      async return() {
        finished = true;
        return { done: true, value: undefined };
      },
    });
  }

  /**
   * The listener's messages as SSE bytes: `retry:` first, the replay after `lastEventId`, then
   * live frames (every pending frame in one chunk per read; chunks may be shared between
   * streams: do not modify them; in Node they are Buffers, small ones from Node's pool).
   * Closing or cancelling the stream, or aborting `signal`, removes the listener (its client
   * is gone).
   * @param {string} listenerId
   * @param {{ lastEventId?: string | null, signal?: AbortSignal }} [options]
   * @returns {ReadableStream<Uint8Array>}
   */
  stream(listenerId, { lastEventId, signal } = {}) {
    const entry = this.#entry(listenerId);
    const opening = this.#openStream(entry, lastEventId);
    const source = new SseSource(this.#port, entry, signal, opening);
    entry.stream = source;
    return new ReadableStream(source, { highWaterMark: 0 });
  }

  /**
   * The listener's SSE written straight to a Node `http.ServerResponse` (or any writable with
   * `write`/`end`/`destroy` and `drain`/`close` events): status and SSE headers, `retry:`, the
   * replay after `lastEventId` (or `request`'s Last-Event-ID header), then live frames, with the
   * writable's backpressure. The client closing the connection removes the listener. No Web
   * stream in between: under 1 KB per connection.
   * @param {string} listenerId
   * @param {import("./stream.js").Writable & { writeHead?: (status: number, headers: Record<string, string>) => unknown, flushHeaders?: () => void }} res
   * @param {{ request?: { headers: Record<string, string | string[] | undefined> }, lastEventId?: string | null, headers?: Record<string, string> }} [options]
   */
  pipe(listenerId, res, { request, lastEventId, headers = {} } = {}) {
    const entry = this.#entry(listenerId);
    const header = request?.headers["last-event-id"];
    const opening = this.#openStream(entry, lastEventId ?? (typeof header === "string" ? header : undefined));
    res.writeHead?.(200, { ...SSE_HEADERS, connection: "keep-alive", ...headers });
    res.flushHeaders?.();
    const sink = new NodeSink(this.#port, entry, res, opening);
    entry.stream = sink;
    sink.pull();
  }

  /**
   * Opens the listener's stream in the core, with the replay after `lastEventId`; returns a
   * promise when the replay must first be read from the backplane's log.
   * @param {Entry} entry
   * @param {string | null | undefined} lastEventId
   * @returns {Promise<unknown> | undefined}
   */
  #openStream(entry, lastEventId) {
    if (lastEventId !== undefined && lastEventId !== null && typeof lastEventId !== "string") {
      throw new InvalidOptionError("lastEventId must be a string");
    }
    // No id is longer (`<u64>-<u64>`): a longer one is malformed, and the core only needs to
    // know that, not to copy it (a client's header can be long).
    if (typeof lastEventId === "string" && lastEventId.length > MAX_EVENT_ID) lastEventId = "-";
    const replica = this.#replica;
    try {
      if (replica && typeof lastEventId === "string" && !this.#raw.canResume(lastEventId)) {
        // The replica's history does not reach back: replay from the engine's log. The listener
        // queues live entries meanwhile; the core merges both, nothing twice.
        if (entry.stream) throw new InvalidListenerError(`listener ${entry.listener.id}: already has an open stream`);
        return replica.read(lastEventId).then(
          ({ entries, tail }) => this.#raw.openStreamReplay(entry.key, lastEventId, entries.map(packEntry), tail ?? undefined, clock()),
          // The engine is away: what this replica holds, after a gap notice.
          () => this.#raw.openStream(entry.key, lastEventId, clock()),
        );
      }
      this.#raw.openStream(entry.key, lastEventId ?? undefined, clock());
      return undefined;
    } catch (error) {
      throw trapped(error);
    }
  }

  /**
   * A Response carrying stream(listenerId). `init.request` supplies Last-Event-ID and the
   * abort signal; `init.lastEventId`/`init.signal` set them directly; status and headers merge.
   * @param {string} listenerId
   * @param {ResponseInit & { request?: Request, lastEventId?: string | null, signal?: AbortSignal }} [init]
   */
  response(listenerId, init = {}) {
    const { request, lastEventId, signal, headers, ...rest } = init;
    const body = this.stream(listenerId, {
      lastEventId: lastEventId ?? request?.headers.get("last-event-id") ?? undefined,
      signal: signal ?? request?.signal,
    });
    const merged = new Headers(headers);
    merged.set("content-type", "text/event-stream");
    for (const [name, value] of Object.entries(SSE_HEADERS)) if (!merged.has(name)) merged.set(name, value);
    return new Response(body, { status: 200, ...rest, headers: merged });
  }

  /** Ends the channel: queued messages are delivered, then every stream and iterator ends. */
  notifyEnd() {
    try {
      this.#raw.notifyEnd();
    } catch (error) {
      throw trapped(error);
    }
    this.#schedule();
  }

  /**
   * Sends an `_eric_error` reply from `fromId` to `listenerId` (a type users cannot send); how
   * an ActionListener answers a failed action.
   * @param {string} listenerId
   * @param {string} fromId
   * @param {unknown} payload
   */
  replyError(listenerId, fromId, payload) {
    let id;
    try {
      id = this.#raw.dispatchError(this.#entry(listenerId).key, fromId, toJson(payload));
    } catch (error) {
      throw trapped(error);
    }
    this.#schedule();
    return id;
  }

  // ---- driving the core ----

  /** What this channel's Listeners call (one record for all of them). @type {import("./internal.js").Binding} */
  #ops = {
    isRunning: (entry) => this.#raw.isRunning(entry.key),
    start: (entry) => {
      this.#raw.start(entry.key);
      this.#schedule();
    },
    stop: (entry) => this.#raw.stop(entry.key),
    hooked: (entry, hooked) => this.#raw.setHooked(entry.key, hooked),
  };

  /** What this channel's streams use of it. @type {import("./stream.js").StreamPort} */
  #port = {
    poll: (entry, max, now) => {
      try {
        const raw = this.#raw;
        return checked(raw, raw.poll(entry.key, now ?? clock(), max));
      } catch (error) {
        throw trapped(error);
      }
    },
    output: () => {
      const raw = this.#raw;
      return copyOut(raw.outputAt(), raw.outputLen());
    },
    next: (entry) => {
      const raw = this.#raw;
      return delivery(raw, raw.peekStream(entry.key, clock())) ?? undefined;
    },
    hook: (entry, message) => this.#runHook(entry, /** @type {import("./message.js").Delivery} */ (message)),
    close: (entry) => {
      this.#raw.closeStream(entry.key);
      this.#forget(entry);
    },
    drop: (entry) => {
      this.#raw.dropStream(entry.key);
      entry.stream = null;
    },
    finished: (entry) => this.#forget(entry),
    park: (driver) => {
      this.#parked.push(driver);
      this.#schedule();
    },
  };

  /**
   * One delivery for a consumer: a Delivery, `undefined` (wait) or `null` (the end). With an
   * onMessage hook, the hook runs first and a throwing hook leaves the message queued.
   * @param {Entry} entry
   * @param {boolean} running honour stop/start (iterators) or not (deliverNext)
   * @returns {import("./message.js").Delivery | undefined | null}
   */
  #deliver(entry, running) {
    let message;
    try {
      const raw = this.#raw;
      if (typeof entry.listener.onMessage !== "function") return delivery(raw, raw.take(entry.key, running));
      message = delivery(raw, raw.peek(entry.key, running));
    } catch (error) {
      throw trapped(error);
    }
    if (!message) return message;
    this.#runHook(entry, message);
    this.#raw.commit(entry.key, message.id ?? undefined);
    return message;
  }

  /**
   * @param {Entry} entry
   * @param {import("./message.js").Delivery} message
   */
  #runHook(entry, message) {
    const hook = entry.listener.onMessage;
    if (message.id === null || typeof hook !== "function") return;
    if (entry.inHook) {
      throw new InvalidListenerError(`listener ${entry.listener.id}: a delivery was asked for inside its own onMessage hook`);
    }
    entry.inHook = true;
    try {
      hook.call(entry.listener, message);
    } finally {
      entry.inHook = false;
    }
  }

  /**
   * Parks an iterator until the core lists its listener as woken, or `signal` aborts.
   * @param {Entry} entry
   * @param {AbortSignal} [signal]
   */
  #wait(entry, signal) {
    return new Promise((resolve) => {
      const done = () => {
        signal?.removeEventListener("abort", done);
        const at = entry.waiters?.indexOf(done) ?? -1;
        if (at >= 0) entry.waiters?.splice(at, 1);
        resolve(undefined);
      };
      signal?.addEventListener("abort", done, { once: true });
      (entry.waiters ??= []).push(done);
    });
  }

  /** @param {Entry} entry */
  #wakeWaiters(entry) {
    const waiters = entry.waiters;
    if (waiters === null) return;
    entry.waiters = null;
    for (const wake of waiters) wake();
  }

  /** Forgets a listener the core no longer holds. @param {Entry} entry */
  #forget(entry) {
    if (this.#byKey.get(entry.key) !== entry) return;
    this.#byKey.delete(entry.key);
    this.#byId.delete(entry.listener.id);
    bindListener(entry.listener, null);
    entry.stream = null;
    this.#wakeWaiters(entry);
    /** @type {any} */ (this)[FORGET]?.(entry.listener, !entry.removed);
  }

  /** Flushes once, after the current task: a burst of changes in one turn is one flush. */
  #schedule() {
    if (this.#flushQueued) return;
    this.#flushQueued = true;
    afterTask(this.#flushJob);
  }

  #flushJob = () => {
    this.#flushQueued = false;
    this.#flush();
  };

  /** Hands woken streams their shared chunk or a poll, and wakes parked iterators. */
  #flush() {
    // One reading of the clock for the whole flush (it is not free: ~50 ns in Node).
    const now = clock();
    // Parked streams the core wakes now are handed out by this flush.
    if (this.#parked.length > 0) this.#rewait(now);
    let keys;
    /** @type {Uint8Array | null} */
    let chunk = null;
    try {
      const raw = this.#raw;
      const length = raw.flush(now);
      if (length === 0) return;
      // Copies of the keys (into this channel's own array) and of the shared chunk before
      // anything is delivered: delivering may call into the core again.
      const at = raw.keysAt() >>> 2;
      coreViews();
      if (this.#keys.length < length) this.#keys = new Uint32Array(Math.max(length, 2 * this.#keys.length));
      keys = this.#keys.subarray(0, length);
      keys.set(views.words.subarray(at, at + length));
      if (keys[0] > 0) chunk = copyOut(raw.sharedAt(), raw.sharedLen());
    } catch (error) {
      // The instance was replaced: every channel rebuilds itself on its next call.
      console.error(trapped(error));
      return;
    }
    const shared = keys[0];
    const streamsEnd = 2 + shared + keys[1];
    if (chunk !== null) {
      for (let i = 2; i < 2 + shared; i += 1) this.#byKey.get(keys[i])?.stream?.deliver(chunk);
    }
    for (let i = 2 + shared; i < streamsEnd; i += 1) this.#byKey.get(keys[i])?.stream?.wake(now);
    for (let i = streamsEnd; i < keys.length; i += 1) {
      const entry = this.#byKey.get(keys[i]);
      if (entry) this.#wakeWaiters(entry);
    }
  }

  /**
   * The id of a message `raw` just numbered, from what its dispatch or broadcast returned: the
   * sequence (after the core's `idPrefix`), `LONG_ID` (-2: read it whole) or `FAILED`.
   * @param {RawChannel} raw
   * @param {number} seq
   * @returns {string}
   */
  #idOf(raw, seq) {
    if (checked(raw, seq) === LONG_ID) return raw.lastId ?? "";
    return this.#idPrefix + seq;
  }

  /** @param {string} listenerId */
  #entry(listenerId) {
    const entry = this.#byId.get(listenerId);
    if (entry === undefined) {
      throw new InvalidListenerError(`no listener ${String(listenerId)} in channel ${this.id}`);
    }
    return entry;
  }
}

/** What a RawChannel's dispatch or broadcast returns for an id whose sequence is past 2^53. */
const LONG_ID = -2;
/** What a RawChannel's peek, take and peekStream return when the consumer must wait, and at the
 * end (`WAIT`, `END` in src/wasm/channel.rs). */
const WAIT = -1;
const END = -2;

/**
 * A delivery from what a RawChannel's peek, take or peekStream returned: a Delivery,
 * `undefined` (wait) or `null` (the end).
 * @param {RawChannel} raw
 * @param {number} code
 * @returns {import("./message.js").Delivery | undefined | null}
 */
function delivery(raw, code) {
  if (checked(raw, code) === WAIT) return undefined;
  if (code === END) return null;
  return unpack(deliveryText(raw, code));
}

/**
 * A message type as the core takes it (a string; the core checks the rest).
 * @param {unknown} type
 * @returns {string}
 */
function text(type) {
  if (typeof type !== "string") {
    throw new InvalidMessageFormatError(`message type must be a string, got ${typeof type}`);
  }
  // Checked before the string is copied into the core: a huge refused one would grow its
  // memory for good, or trap the instance when memory runs out.
  return short(type, InvalidMessageFormatError, "message type");
}

/** @param {unknown} senderId @returns {string | undefined} */
function sender(senderId) {
  if (senderId === undefined) return undefined;
  if (typeof senderId !== "string") throw new InvalidListenerError("senderId must be a string");
  return short(senderId, InvalidMessageFormatError, "senderId");
}

/**
 * `text`, refused with `Class` when it is over the core's bound for ids and types (256 bytes:
 * src/id.rs MAX_ID_BYTES, src/message.rs MAX_TYPE_BYTES) before it is copied into the core. A
 * UTF-16 unit is at least a byte of UTF-8, so a longer string is over the bound in bytes too.
 * @param {string} text
 * @param {new (message: string) => Error} Class
 * @param {string} what
 */
function short(text, Class, what) {
  if (text.length > 256) throw new Class(`${what}: at most 256 bytes`);
  return text;
}
/** The longest message id, `<u64>-<u64>`. */
const MAX_EVENT_ID = 41;
