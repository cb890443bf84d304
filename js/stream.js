// The drivers of one listener's SSE stream (a ReadableStream, or a Node writable). The stream's
// state machine (opening bytes, pause, stream delay, keep-alive, closing frame) lives in the core
// (src/stream.rs); this class only moves what a poll returns into the stream: `pull()` (the
// reader waits) polls once; the channel's flush hands it a shared chunk or wakes it to poll
// again. A reader that asks again right after a shared chunk does not poll: the stream *parks*
// (the channel tells the core in one call for all parked streams before its next core call,
// and the core wakes those that got something meanwhile). A deadline the core names arms this
// stream's own timer (each Web stream has one, created by its own polls, so on workerd the timer
// belongs to the stream's request and keeps it from being cancelled as hung; Node sinks share one
// timer over a heap of their deadlines, for memory); a timer that fires
// while the reader has not asked since its last bytes sends nothing (the next `pull()` polls and
// arms it again), so a stream never holds more than the one chunk its reader has yet to take.

import { afterTask, clock } from "./internal.js";

/** What a poll returned: bytes were sent. (A number > 0 is a deadline; 0 waits to be woken.) */
export const SENT = -1;
/** What a poll returned: the closing frame was sent and the listener is gone. */
export const FINISHED = -2;
/** As many frames as are pending. */
export const ALL_FRAMES = 0xffffffff;

/**
 * What a stream needs from its channel (one object per channel, shared by its streams).
 * @typedef {object} StreamPort
 * @property {(entry: any, maxFrames: number, now?: number) => number} poll  a poll code (SENT,
 *   FINISHED, 0 or a deadline); `now` is the clock's reading when the caller has one
 * @property {() => Uint8Array} output  the bytes of the last SENT/FINISHED poll
 * @property {(entry: any) => (object | undefined)} next  the delivery a poll would send now, for the hook
 * @property {(entry: any, delivery: object) => void} hook  runs the listener's onMessage (throws on refusal)
 * @property {(entry: any) => void} close  the client left: remove the listener
 * @property {(entry: any) => void} drop  the stream failed: end it, keep the listener
 * @property {(entry: any) => void} finished  the core removed the listener
 * @property {(driver: StreamDriver) => void} park  the driver's consumer waits again after a
 *   shared chunk: tell the core before its next call (and flush soon)
 */

/**
 * The driver of one listener's stream: everything between the core's poll results and an
 * output. Subclasses give the output (`write`, `end`, `error`): a ReadableStream (SseSource) or
 * a Node writable (NodeSink). The consumer says when it can take bytes (`pull`) and when it left
 * (`cancel`).
 */
export class StreamDriver {
  /**
   * @param {StreamPort} port
   * @param {{ listener: { onMessage?: unknown } }} entry the channel's record of the listener
   * @param {AbortSignal | undefined} signal aborting ends the stream and removes the listener
   * @param {Promise<unknown>} [opening] settles once the core has opened the stream (a replay
   *   read from a backplane); reads wait for it
   */
  constructor(port, entry, signal, opening) {
    this.port = port;
    this.entry = entry;
    this.signal = signal;
    this.closed = false;
    /** The consumer left (possibly from inside one of our writes: Deno cancels as soon as a
     * write to a gone client fails); the output then refuses everything. */
    this.cancelled = false;
    /** @type {unknown} a hook's error, raised at the next read (after the frames before it) */
    this.failure = undefined;
    /** @type {ReturnType<typeof setTimeout> | undefined} */
    this.timer = undefined;
    this.timerAt = Infinity;
    /** The consumer asked for bytes and has not been given any since. */
    this.hungry = false;
    /** The last bytes were a shared chunk from the channel's flush (which took this stream off
     * the core's waiting list) and nothing polled since: when the consumer asks again, the
     * stream parks instead of polling. */
    this.fed = false;
    /** Parked: waits again, and the channel has yet to tell the core (StreamPort.park). */
    this.parked = false;
    /** Inside a hooked poll: a hook may remove its listener (stop) meanwhile. */
    this.inPoll = false;
    /** Stopped during a hooked poll: what stop() owed, sent after the poll's frames.
     * @type {Uint8Array | null | undefined} */
    this.stoppedInPoll = undefined;
    /** Made only for a stream with a signal (a Node sink has none). */
    this.onAbort = signal ? () => this.stop() : undefined;
    if (signal && this.onAbort) signal.addEventListener("abort", this.onAbort, { once: true });
    /** @type {Promise<unknown> | undefined} until the core has opened the stream */
    this.opening = opening?.finally(() => {
      this.opening = undefined;
    });
  }

  /** Writes bytes to the output. @param {Uint8Array} _bytes @abstract */
  write(_bytes) {}

  /** Ends the output. @abstract */
  end() {}

  /** Fails the output. @param {unknown} _error @abstract */
  error(_error) {}

  /** The driver is done: the output lets go of its listeners. */
  released() {}

  /** The consumer can take bytes. @returns {Promise<void> | void} */
  pull() {
    // Some runtimes (workerd) pull before start()'s promise settles.
    if (this.opening) return this.opening.then(() => this.pull());
    if (this.failure !== undefined) return this.#fail();
    this.hungry = true;
    if (this.fed) {
      // The core drained this stream's queue into the shared chunk: a poll now would nearly
      // always find nothing. The channel tells the core that it waits again, in one call for
      // every parked stream before its next core call, and the core wakes it if anything came
      // meanwhile. The timer an earlier poll armed stays armed (deadlines only move later).
      this.fed = false;
      this.parked = true;
      this.port.park(this);
      return;
    }
    this.#poll();
  }

  cancel() {
    this.cancelled = true;
    if (this.closed) return;
    this.#cleanup();
    this.port.close(this.entry);
  }

  /**
   * The channel's flush drained this stream's queue into a chunk shared by every such stream.
   * @param {Uint8Array} chunk
   */
  deliver(chunk) {
    if (this.closed) return;
    this.fed = true;
    this.#enqueue(chunk);
  }

  /** The reader waited and something changed: poll again. @param {number} [now] the clock */
  wake(now) {
    if (!this.closed) this.#poll(now);
  }

  /** Closes the stream without asking the core (its instance trapped and was replaced): the
   * client reconnects and resumes with a gap notice. */
  abandon() {
    if (this.closed) return;
    this.#cleanup();
    this.#close();
  }

  /** Ends the stream now (abort, or the listener is being removed): what the core owes without
   * a message (the opening, if not sent yet) goes out, then the stream closes and the listener is
   * removed. */
  stop() {
    if (this.closed) return;
    let owed = null;
    try {
      // Inside a hooked poll, the hook that removed its listener ran for the head of the
      // queue: that message is delivered, as messages() delivers it.
      const code = this.port.poll(this.entry, this.inPoll ? 1 : 0);
      if (code === SENT || code === FINISHED) owed = this.port.output();
    } catch {
      // The listener is already gone: nothing is owed.
    }
    this.#cleanup();
    this.port.close(this.entry);
    if (this.inPoll) {
      // A hook removed its listener: the frames the poll took before go out first.
      this.stoppedInPoll = owed;
      return;
    }
    if (owed !== null) this.#enqueue(owed);
    this.#close();
  }

  /** @param {number} [now] the clock, when the caller read it */
  #poll(now) {
    if (this.closed) return;
    this.fed = false;
    this.parked = false;
    let code;
    /** @type {Uint8Array | null} */
    let bytes = null;
    try {
      if (typeof this.entry.listener.onMessage === "function") {
        ({ code, bytes } = this.#pollHooked());
      } else {
        code = this.port.poll(this.entry, ALL_FRAMES, now);
        if (code === SENT || code === FINISHED) bytes = this.port.output();
      }
    } catch (error) {
      this.failure = error;
    }
    if (this.stoppedInPoll !== undefined) {
      const owed = this.stoppedInPoll;
      this.stoppedInPoll = undefined;
      if (bytes !== null) this.#enqueue(bytes);
      if (owed !== null) this.#enqueue(owed);
      this.#close();
      return;
    }
    if (bytes === null && this.failure !== undefined) return this.#fail();
    if (code === FINISHED) {
      // Settled before the controller is touched: an enqueue may run the next pull at once
      // (Deno does), and that pull must find the stream closed.
      this.#cleanup();
      this.port.finished(this.entry);
      if (bytes !== null) this.#enqueue(bytes);
      this.#close();
      return;
    }
    if (code !== undefined && code > 0) this.#arm(code);
    if (bytes !== null) this.#enqueue(bytes);
  }

  /** @param {Uint8Array} bytes */
  #enqueue(bytes) {
    this.hungry = false;
    if (!this.cancelled) this.write(bytes);
  }

  #close() {
    if (!this.cancelled) this.end();
  }

  /** Polls again at `at` (ms) unless a poll is due earlier. @param {number} at */
  #arm(at) {
    if (at >= this.timerAt) return;
    this.timerAt = at;
    this.schedule(at);
  }

  /** Calls `due()` at `at` (ms), in place of any earlier schedule: this stream's own timer.
   * @param {number} at */
  schedule(at) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.due();
    }, Math.max(0, at - clock()));
  }

  /** Cancels the schedule. */
  unschedule() {
    clearTimeout(this.timer);
  }

  /** The deadline the core named has come. */
  due() {
    this.timerAt = Infinity;
    // A consumer that has not asked since its last bytes gets nothing more now (that would
    // hold a second chunk for it); its next request polls, which arms the timer again.
    if (this.hungry) this.#poll();
    else this.fed = false;
  }

  /**
   * With an onMessage hook, deliveries go one at a time, each after its hook ran. A throwing hook
   * leaves its message queued; the frames before it still go out, and the next read fails.
   * @returns {{ code: number, bytes: Uint8Array | null }}
   */
  #pollHooked() {
    /** @type {Uint8Array[]} */
    const parts = [];
    let code = 0;
    this.inPoll = true;
    try {
      for (;;) {
        const next = this.port.next(this.entry);
        if (next !== undefined) {
          try {
            this.port.hook(this.entry, next);
          } catch (error) {
            this.failure = error;
            break;
          }
          // The hook removed its listener (stop() ran): what was taken before still goes out.
          if (this.closed) break;
        }
        code = this.port.poll(this.entry, 1);
        if (code === SENT || code === FINISHED) parts.push(this.port.output());
        if (code !== SENT || next === undefined) break;
      }
    } finally {
      this.inPoll = false;
    }
    return { code, bytes: parts.length > 0 ? concat(parts) : null };
  }

  #fail() {
    this.#cleanup();
    this.port.drop(this.entry);
    if (!this.cancelled) this.error(this.failure);
  }

  #cleanup() {
    this.closed = true;
    this.parked = false;
    this.unschedule();
    if (this.onAbort) this.signal?.removeEventListener("abort", this.onAbort);
    this.released();
  }
}

/** The underlying source of a listener's SSE ReadableStream. */
export class SseSource extends StreamDriver {
  /** @type {ReadableStreamDefaultController<Uint8Array> | null} */
  controller = null;

  /** @param {ReadableStreamDefaultController<Uint8Array>} controller */
  start(controller) {
    this.controller = controller;
    if (this.signal?.aborted) return this.stop();
    return this.opening;
  }

  /** @param {Uint8Array} bytes */
  write(bytes) {
    if (!this.cancelled) this.controller?.enqueue(bytes);
  }

  end() {
    if (!this.cancelled) this.controller?.close();
  }

  /** @param {unknown} error */
  error(error) {
    if (!this.cancelled) this.controller?.error(error);
  }
}

/**
 * A Node writable that takes SSE (http.ServerResponse, http2 streams, …): the part of its
 * interface a NodeSink uses.
 * @typedef {object} Writable
 * @property {(chunk: Uint8Array) => boolean} write
 * @property {() => void} end
 * @property {(error?: Error) => void} destroy
 * @property {(event: "close" | "drain", listener: () => void) => unknown} on
 * @property {(event: "close" | "drain", listener: () => void) => unknown} off
 */

/**
 * A listener's stream written straight to a Node writable: no Web stream in between (a few
 * hundred bytes per connection). `drain` is the consumer asking for more, `close` the client
 * leaving.
 */
export class NodeSink extends StreamDriver {
  /**
   * @param {StreamPort} port
   * @param {{ listener: { onMessage?: unknown } }} entry
   * @param {Writable} res
   * @param {Promise<unknown>} [opening]
   */
  constructor(port, entry, res, opening) {
    super(port, entry, undefined, opening);
    this.res = res;
    /** Its place in the sinks' deadline heap (-1: none). */
    this.slot = -1;
    // One pair of listener functions for every sink (no closures per connection): they find
    // the sink on the writable.
    /** @type {any} */ (res)[SINK] = this;
    res.on("close", onSinkClose);
    res.on("drain", onSinkDrain);
  }

  /** @param {Uint8Array} bytes */
  write(bytes) {
    if (this.cancelled) return;
    if (!this.res.write(bytes)) return;
    // Room for more: ask again, as a reader that waits would. After a shared chunk that only
    // parks the sink (no poll); after a poll's bytes it polls again, from a microtask.
    if (this.fed) this.pull();
    else afterTask(() => this.pull());
  }

  end() {
    if (!this.cancelled) this.res.end();
  }

  /** @param {unknown} error */
  error(error) {
    if (!this.cancelled) this.res.destroy(error instanceof Error ? error : undefined);
  }

  /** One timer for every sink (a Node Timeout and its closure would be a fifth of a sink's
   * memory): the heap orders sinks by `timerAt`. @param {number} _at */
  schedule(_at) {
    sinkDeadlines.set(this);
  }

  unschedule() {
    sinkDeadlines.delete(this);
  }

  released() {
    this.res.off("close", onSinkClose);
    this.res.off("drain", onSinkDrain);
    /** @type {any} */ (this.res)[SINK] = undefined;
  }
}

/**
 * The deadlines of every Node sink under one timer: a binary heap by deadline (each sink knows
 * its place in it), and one Timeout for the earliest. A sink's deadline only moves earlier
 * while it is in the heap (a later one waits for the poll the earlier one brings).
 */
class Deadlines {
  /** @type {NodeSink[]} */
  heap = [];
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  timer = undefined;
  timerAt = Infinity;
  fire = () => this.#fire();

  /** Puts the sink in at its `timerAt`, or moves it up (its deadline moved earlier). @param {NodeSink} sink */
  set(sink) {
    if (sink.slot < 0) {
      sink.slot = this.heap.length;
      this.heap.push(sink);
    }
    this.#up(sink.slot);
    this.#rearm();
  }

  /** @param {NodeSink} sink */
  delete(sink) {
    if (sink.slot < 0) return;
    this.#remove(sink);
    this.#rearm();
  }

  /** @param {NodeSink} sink */
  #remove(sink) {
    const at = sink.slot;
    sink.slot = -1;
    const last = /** @type {NodeSink} */ (this.heap.pop());
    if (at < this.heap.length) {
      this.heap[at] = last;
      last.slot = at;
      this.#down(this.#up(at));
    }
  }

  #fire() {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = clock();
    /** @type {NodeSink[]} */
    const due = [];
    while (this.heap.length > 0 && this.heap[0].timerAt <= now) {
      const sink = this.heap[0];
      this.#remove(sink);
      due.push(sink);
    }
    for (const sink of due) sink.due();
    this.#rearm();
  }

  /** One Timeout, for the earliest deadline. */
  #rearm() {
    const first = this.heap.length > 0 ? this.heap[0].timerAt : Infinity;
    if (first === this.timerAt) return;
    clearTimeout(this.timer);
    this.timerAt = first;
    this.timer = first === Infinity ? undefined : setTimeout(this.fire, Math.max(0, first - clock()));
  }

  /** @param {number} i @returns {number} where the sink at i ended */
  #up(i) {
    const heap = this.heap;
    const sink = heap[i];
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heap[parent].timerAt <= sink.timerAt) break;
      heap[i] = heap[parent];
      heap[i].slot = i;
      i = parent;
    }
    heap[i] = sink;
    sink.slot = i;
    return i;
  }

  /** @param {number} i */
  #down(i) {
    const heap = this.heap;
    const sink = heap[i];
    for (;;) {
      let child = 2 * i + 1;
      if (child >= heap.length) break;
      if (child + 1 < heap.length && heap[child + 1].timerAt < heap[child].timerAt) child += 1;
      if (heap[child].timerAt >= sink.timerAt) break;
      heap[i] = heap[child];
      heap[i].slot = i;
      i = child;
    }
    heap[i] = sink;
    sink.slot = i;
  }
}

const sinkDeadlines = new Deadlines();

/** Where a Node writable holds its sink. */
const SINK = Symbol("eric-sse sink");

/** The client left. @this {any} */
function onSinkClose() {
  this[SINK]?.cancel();
}

/** The writable takes more. @this {any} */
function onSinkDrain() {
  this[SINK]?.pull();
}

/**
 * Joins byte chunks (the one chunk itself when there is one).
 * @param {Uint8Array[]} parts
 */
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
