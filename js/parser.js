// createParser() and SseParserStream: the Rust incremental parser (WHATWG rules) behind an
// eventsource-parser-like API. One wasm call per chunk returns every item it completed.

import { RawParser } from "../pkg/eric_sse.js";
import { ParseError, WasmTrapError } from "./errors.js";
import { assertReady, coreGeneration, trapped } from "./wasm.js";

const CR = "\r";
// The spec's UTF-8 decode: invalid bytes become U+FFFD. The batch never starts with a BOM.
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/**
 * @param {string} message
 * @param {"line-too-long" | "event-too-long"} type
 * @param {number} limit
 */
function parseError(message, type, limit) {
  return new ParseError(message, { type, limit });
}

/** @param {string} name @param {any} value */
function checkLimit(name, value) {
  if (!(Number.isSafeInteger(value) && value >= 0)) {
    throw new RangeError(`eric-sse: ${name} must be a non-negative integer (0: no limit)`);
  }
}

/**
 * Calls the handlers for each item of a packed batch (see RawParser in src/bindings.rs).
 * `state.id` is the last event id in force: `I` items change it, events carry it.
 */
function deliver(packed, handlers, state, failures) {
  const parts = packed.split(CR);
  const end = parts.length - 1;
  for (let i = 0; i < end; i += 1) {
    const head = parts[i];
    switch (head.charCodeAt(0)) {
      case 69: // E: type, data
        handlers.onEvent({ type: head.slice(1), data: parts[i + 1], lastEventId: state.id });
        i += 1;
        break;
      case 73: // I: the last event id changed
        state.id = head.slice(1);
        handlers.onId?.(state.id);
        break;
      case 82: // R
        handlers.onRetry?.(Number(head.slice(1)));
        break;
      case 67: // C
        handlers.onComment?.(head.slice(1));
        break;
      default: { // X: a line over maxLineBytes was skipped; Z: an event over maxEventBytes dropped
        const limit = Number(head.slice(1));
        const error = head.charCodeAt(0) === 88
          ? parseError(`a line exceeded maxLineBytes (${limit}) and was skipped`, "line-too-long", limit)
          : parseError(`an event's data exceeded maxEventBytes (${limit}) and was dropped`, "event-too-long", limit);
        if (handlers.onError) handlers.onError(error);
        else failures.push(error);
      }
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
 */
export function createParser(handlers) {
  if (typeof handlers?.onEvent !== "function") {
    throw new TypeError("eric-sse: createParser needs { onEvent(event) }");
  }
  const { maxLineBytes = 0, maxEventBytes = 0, lastEventId } = handlers;
  checkLimit("maxLineBytes", maxLineBytes);
  checkLimit("maxEventBytes", maxEventBytes);
  assertReady();
  const state = { id: lastEventId === undefined || lastEventId === null ? "" : String(lastEventId) };
  const make = () => {
    const parser = new RawParser(maxLineBytes, maxEventBytes);
    if (state.id !== "") parser.lastEventId = state.id;
    return parser;
  };
  let raw = make();
  let generation = coreGeneration();
  /** The core parser; after the instance trapped and was replaced, a new one (see js/wasm.js). */
  const core = ({ resetting = false } = {}) => {
    if (generation !== coreGeneration()) {
      raw = make();
      generation = coreGeneration();
      if (!resetting) {
        throw new WasmTrapError("eric-sse: the WebAssembly instance was replaced; the parser starts again and the event it was reading is lost");
      }
    }
    return raw;
  };
  // A string chunk may end inside a surrogate pair: hold the high half for the next chunk.
  let highSurrogate = "";
  return {
    feed(chunk) {
      let packed;
      try {
        if (chunk instanceof Uint8Array) packed = core().feed(chunk);
        else if (typeof chunk === "string") {
          let text = highSurrogate + chunk;
          const last = text.charCodeAt(text.length - 1);
          highSurrogate = last >= 0xd800 && last <= 0xdbff ? text.slice(-1) : "";
          if (highSurrogate) text = text.slice(0, -1);
          packed = core().feedText(text);
        }
        else if (ArrayBuffer.isView(chunk) || chunk instanceof ArrayBuffer) {
          const view = /** @type {any} */ (chunk);
          packed = core().feed(new Uint8Array(view.buffer ?? view, view.byteOffset ?? 0, view.byteLength));
        } else throw new TypeError("eric-sse: feed() takes a Uint8Array or a string");
      } catch (error) {
        throw trapped(error);
      }
      if (packed.length === 0) return;
      const failures = [];
      deliver(decoder.decode(packed), handlers, state, failures);
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
 * Bytes (or strings) in, `{ type, data, lastEventId }` events out, for `pipeThrough`. A
 * ParseError goes to `onError` when given, else errors the stream.
 */
export class SseParserStream extends TransformStream {
  /**
   * @param {{ onRetry?: (ms: number) => void, onComment?: (text: string) => void, onId?: (id: string) => void,
   *   onError?: (error: ParseError) => void, maxLineBytes?: number, maxEventBytes?: number, lastEventId?: string }} [options]
   */
  constructor({ onRetry, onComment, onId, onError, maxLineBytes, maxEventBytes, lastEventId } = {}) {
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
