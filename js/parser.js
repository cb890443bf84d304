// createParser() and SseParserStream: the Rust incremental parser (WHATWG rules) behind an
// eventsource-parser-like API. A chunk is written straight into wasm memory; one wasm call finds
// its lines and transcodes them to UTF-16 (SIMD128) and leaves one UTF-16 text and an index of
// items (src/sse/parse16.rs); JS makes one string of the text and each field is a slice of it.

import { RawParser } from "../pkg/eric_sse_parser.js";
import { ParseError, WasmTrapError } from "./errors.js";
import { assertReady, coreGeneration, coreViews as refresh, textAt, trapped, views as mem } from "./wasm.js";

/** @typedef {import("../index.js").ParserHandlers} ParserHandlers */
/**
 * A ParseError as handlers get it (index.d.ts): its `type` and `limit` are set.
 * @typedef {import("../index.js").ParseError} Failure
 */

// Index tags (src/sse/parse16.rs, `tag`).
const EVENT_MESSAGE = 1;
const EVENT_SAME = 2;
const EVENT_TYPED = 3;
const ID = 4;
const RETRY = 5;
const COMMENT = 6;
const LINE_TOO_LONG = 7;
const HIGH = 4294967296;
/** Bytes (and string units) per wasm call: bounds the input and output buffers in wasm memory. */
const PIECE = 65536;
const STRING_PIECE = 16384;

const encoder = new TextEncoder();
/** Words of an index copy kept for reuse: what an index of one 16 KiB chunk of tiny events takes. */
const INDEX_KEEP = 8192;
/** A copy of the index out of wasm memory, reused by every parser while none is delivering. */
let indexCopy = new Uint32Array(0);
/** Deliveries in progress (a handler may feed a parser again; a nested one copies apart). */
let delivering = 0;
/**
 * @param {string} message
 * @param {"line-too-long" | "event-too-long"} type
 * @param {number} limit
 * @returns {Failure}
 */
function parseError(message, type, limit) {
  // With its type and limit set, the errors.js class is the ParseError index.d.ts declares.
  return /** @type {Failure} */ (new ParseError(message, { type, limit }));
}

/**
 * Calls the handlers for each item of the index. `state.id` is the last event id in force (`ID`
 * items change it, events carry it), `state.type` the last type handed out (`EVENT_TYPED`).
 * @param {string} text
 * @param {Uint32Array} index
 * @param {ParserHandlers} handlers
 * @param {{ id: string, type: string }} state
 * @param {Failure[]} failures the ParseErrors to throw (when there is no `onError`)
 */
function deliver(text, index, handlers, state, failures) {
  const end = index.length;
  let i = 0;
  let id = state.id;
  try {
    while (i < end) {
      const at = i;
      const tag = index[at];
      i += tag === EVENT_TYPED ? 5 : 3;
      switch (tag) {
        case EVENT_MESSAGE:
          handlers.onEvent({ type: "message", data: text.slice(index[at + 1], index[at + 2]), lastEventId: id });
          break;
        case EVENT_SAME:
          handlers.onEvent({ type: state.type, data: text.slice(index[at + 1], index[at + 2]), lastEventId: id });
          break;
        case EVENT_TYPED:
          state.type = text.slice(index[at + 3], index[at + 4]);
          handlers.onEvent({ type: state.type, data: text.slice(index[at + 1], index[at + 2]), lastEventId: id });
          break;
        case ID:
          state.id = id = text.slice(index[at + 1], index[at + 2]);
          handlers.onId?.(id);
          break;
        case RETRY:
          handlers.onRetry?.(index[at + 1] + index[at + 2] * HIGH);
          break;
        case COMMENT:
          handlers.onComment?.(text.slice(index[at + 1], index[at + 2]));
          break;
        default: { // a line over maxLineBytes was skipped, or an event over maxEventBytes dropped
          const limit = index[at + 1] + index[at + 2] * HIGH;
          const error = tag === LINE_TOO_LONG
            ? parseError(`a line exceeded maxLineBytes (${limit}) and was skipped`, "line-too-long", limit)
            : parseError(`an event's data exceeded maxEventBytes (${limit}) and was dropped`, "event-too-long", limit);
          if (handlers.onError) handlers.onError(error);
          else failures.push(error);
        }
      }
    }
  } finally {
    // A handler threw: the rest is not delivered, but the id and type it set still hold (the
    // wasm parser has moved on with them).
    for (; i < end; i += index[i] === EVENT_TYPED ? 5 : 3) {
      if (index[i] === EVENT_TYPED) state.type = text.slice(index[i + 3], index[i + 4]);
      else if (index[i] === ID) state.id = text.slice(index[i + 1], index[i + 2]);
    }
  }
}

/**
 * An incremental SSE parser. `feed(chunk)` takes a Uint8Array (the fast path) or a string and
 * calls `onEvent({ type, data, lastEventId })`, `onId(lastEventId)` (when a block ends with a
 * new id, before its event), `onRetry(ms)` and `onComment(text)` in stream order. `lastEventId`
 * is the id of the last block that ended (an `id:` whose block is still open does not count);
 * `reset()` starts a new stream, dropping the open block and keeping that id, as EventSource does.
 * A line over `maxLineBytes` is skipped, and an event whose data passes `maxEventBytes` is
 * dropped (its id still counts); both are reported to `onError` as a ParseError with `type`
 * "line-too-long" or "event-too-long"; without `onError`, feed() throws it after delivering the
 * rest of the chunk. With both limits set, what the parser holds (`bufferedBytes`) is bounded.
 * @param {ParserHandlers} handlers
 * @returns {import("../index.js").Parser}
 */
export function createParser(handlers) {
  if (typeof handlers?.onEvent !== "function") {
    throw new TypeError("eric-sse: createParser needs { onEvent(event) }");
  }
  const { maxLineBytes = 0, maxEventBytes = 0, lastEventId } = handlers;
  assertReady();
  const state = { id: lastEventId === undefined || lastEventId === null ? "" : String(lastEventId), type: "message" };
  const make = () => {
    // The core checks the limits (InvalidOptionError); a non-number is not coerced.
    let parser;
    try {
      parser = new RawParser(typeof maxLineBytes === "number" ? maxLineBytes : NaN, typeof maxEventBytes === "number" ? maxEventBytes : NaN);
    } catch (error) {
      throw trapped(error);
    }
    if (state.id !== "") parser.lastEventId = state.id;
    return parser;
  };
  let raw = make();
  let header = raw.header() >>> 2;
  let generation = coreGeneration();
  /** The core parser; after the instance trapped and was replaced, a new one (see js/wasm.js). */
  const core = ({ resetting = false } = {}) => {
    if (generation !== coreGeneration()) {
      raw = make();
      header = raw.header() >>> 2;
      generation = coreGeneration();
      if (!resetting) {
        throw new WasmTrapError("eric-sse: the WebAssembly instance was replaced; the parser starts again and the event it was reading is lost");
      }
    }
    return raw;
  };
  /** Parses `length` bytes written at the input address, then delivers what they completed.
   * @param {number} length @param {Failure[]} failures */
  const parse = (length, failures) => {
    const words = raw.feed(length);
    if (words === 0) return;
    refresh();
    const head = mem.words;
    const text = textAt(head[header], head[header + 1]);
    const start = head[header + 2] >>> 2;
    // A copy: a handler may feed again or grow wasm memory while we read. Outside a delivery
    // (no handler running) the shared copy is free, and an index that fits takes it.
    const source = head.subarray(start, start + words);
    let index;
    if (delivering === 0 && words <= INDEX_KEEP) {
      if (indexCopy.length === 0) indexCopy = new Uint32Array(INDEX_KEEP);
      index = indexCopy.subarray(0, words);
      index.set(source);
    } else index = source.slice();
    delivering += 1;
    try {
      deliver(text, index, handlers, state, failures);
    } finally {
      delivering -= 1;
    }
  };
  /** @param {Uint8Array} bytes @param {Failure[]} failures */
  const feedBytes = (bytes, failures) => {
    for (let at = 0; at < bytes.length; at += PIECE) {
      const piece = bytes.length <= PIECE ? bytes : bytes.subarray(at, at + PIECE);
      const address = core().input(piece.length);
      refresh();
      mem.bytes.set(piece, address);
      parse(piece.length, failures);
    }
  };
  /** @param {string} text @param {Failure[]} failures */
  const feedString = (text, failures) => {
    for (let at = 0; at < text.length;) {
      let end = Math.min(at + STRING_PIECE, text.length);
      const last = text.charCodeAt(end - 1);
      if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
      const piece = at === 0 && end === text.length ? text : text.slice(at, end);
      const room = piece.length * 3;
      const address = core().input(room);
      refresh();
      const { written } = encoder.encodeInto(piece, mem.bytes.subarray(address, address + room));
      parse(written, failures);
      at = end;
    }
  };
  // A string chunk may end inside a surrogate pair: hold the high half for the next chunk.
  let highSurrogate = "";
  return {
    feed(chunk) {
      /** @type {Failure[]} */
      const failures = [];
      try {
        if (chunk instanceof Uint8Array) feedBytes(chunk, failures);
        else if (typeof chunk === "string") {
          let text = highSurrogate + chunk;
          const last = text.charCodeAt(text.length - 1);
          highSurrogate = last >= 0xd800 && last <= 0xdbff ? text.slice(-1) : "";
          if (highSurrogate) text = text.slice(0, -1);
          feedString(text, failures);
        }
        else if (ArrayBuffer.isView(chunk) || chunk instanceof ArrayBuffer) {
          const view = /** @type {any} */ (chunk);
          feedBytes(new Uint8Array(view.buffer ?? view, view.byteOffset ?? 0, view.byteLength), failures);
        } else throw new TypeError("eric-sse: feed() takes a Uint8Array or a string");
      } catch (error) {
        throw trapped(error);
      }
      if (failures.length > 0) throw failures[0];
    },
    reset() {
      highSurrogate = "";
      core({ resetting: true }).reset();
    },
    /** The id of the last block that ended: where a reconnecting client resumes. */
    get lastEventId() {
      return state.id;
    },
    /** Bytes the parser holds for the line and event being read. */
    get bufferedBytes() {
      return core({ resetting: true }).bufferedBytes;
    },
  };
}

/**
 * The global TransformStream, looked up at the first construction rather than at import:
 * reading it makes Node load all of its streams (about 2 ms of a cold import), which an app
 * that never makes an SseParserStream should not pay. Constructing through it makes a real
 * TransformStream with the subclass's prototype, whose chain reaches TransformStream's from then
 * on (before that there is no instance to ask), so it works as `extends TransformStream` does.
 * @type {new (transformer: Transformer<Uint8Array | string, import("../index.js").SseEvent>)
 *   => TransformStream<Uint8Array | string, import("../index.js").SseEvent>}
 */
const LazyTransformStream = /** @type {any} */ (function LazyTransformStream(/** @type {unknown[]} */ ...args) {
  if (Object.getPrototypeOf(LazyTransformStream.prototype) !== TransformStream.prototype) {
    Object.setPrototypeOf(LazyTransformStream.prototype, TransformStream.prototype);
    Object.setPrototypeOf(LazyTransformStream, TransformStream);
  }
  return Reflect.construct(TransformStream, args, new.target);
});

/**
 * Bytes (or strings) in, `{ type, data, lastEventId }` events out, for `pipeThrough`. A
 * ParseError goes to `onError` when given, else errors the stream.
 */
export class SseParserStream extends LazyTransformStream {
  static get name() { return "SseParserStream"; } // minification renames the class
  /** @param {import("../index.js").SseParserStreamOptions} [options] */
  constructor({ onRetry, onComment, onId, onError, maxLineBytes, maxEventBytes, lastEventId } = {}) {
    /** @type {import("../index.js").Parser} made in start(), before the first chunk */
    let parser;
    super({
      start(controller) {
        parser = createParser({
          onEvent: (event) => controller.enqueue(event),
          onRetry,
          onComment,
          onId,
          onError: onError ?? ((error) => controller.error(error)),
          maxLineBytes,
          maxEventBytes,
          lastEventId,
        });
      },
      transform(chunk) {
        parser.feed(chunk);
      },
    });
  }
}
