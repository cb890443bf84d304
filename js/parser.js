// createParser() and SseParserStream: the Rust incremental parser (WHATWG rules) behind an
// eventsource-parser-like API. One wasm call per chunk returns every item it completed.

import { RawParser } from "../pkg/eric_sse.js";
import { ParseError } from "./errors.js";
import { assertReady } from "./wasm.js";

const CR = "\r";
// The spec's UTF-8 decode: invalid bytes become U+FFFD. The batch never starts with a BOM.
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });

/** Calls the handlers for each item of a packed batch (see RawParser in src/bindings.rs). */
function deliver(packed, handlers, failures) {
  const parts = packed.split(CR);
  const end = parts.length - 1;
  for (let i = 0; i < end; i += 1) {
    const head = parts[i];
    switch (head.charCodeAt(0)) {
      case 69: // E: type, lastEventId, data
        handlers.onEvent({ type: head.slice(1), data: parts[i + 2], lastEventId: parts[i + 1] });
        i += 2;
        break;
      case 82: // R
        handlers.onRetry?.(Number(head.slice(1)));
        break;
      case 67: // C
        handlers.onComment?.(head.slice(1));
        break;
      default: { // X: a line over maxLineBytes was skipped
        const error = new ParseError(`a line exceeded maxLineBytes (${head.slice(1)}) and was skipped`);
        if (handlers.onError) handlers.onError(error);
        else failures.push(error);
      }
    }
  }
}

/**
 * An incremental SSE parser. `feed(chunk)` takes a Uint8Array (the fast path) or a string and
 * calls `onEvent({ type, data, lastEventId })`, `onRetry(ms)`, `onComment(text)` in stream
 * order. `reset()` starts a new stream (the last event id is kept, as EventSource keeps it).
 * `lastEventId` seeds the last event id (a client resuming a stream).
 * A line over `maxLineBytes` is skipped and reported to `onError`; without `onError`, feed()
 * throws that ParseError after delivering the rest of the chunk.
 */
export function createParser(handlers) {
  if (typeof handlers?.onEvent !== "function") {
    throw new TypeError("eric-sse: createParser needs { onEvent(event) }");
  }
  const { maxLineBytes = 0, lastEventId } = handlers;
  if (!(Number.isSafeInteger(maxLineBytes) && maxLineBytes >= 0)) {
    throw new RangeError("eric-sse: maxLineBytes must be a non-negative integer (0: no limit)");
  }
  assertReady();
  const raw = new RawParser(maxLineBytes);
  if (lastEventId !== undefined) raw.lastEventId = String(lastEventId);
  // A string chunk may end inside a surrogate pair: hold the high half for the next chunk.
  let highSurrogate = "";
  return {
    feed(chunk) {
      let packed;
      if (chunk instanceof Uint8Array) packed = raw.feed(chunk);
      else if (typeof chunk === "string") {
        let text = highSurrogate + chunk;
        const last = text.charCodeAt(text.length - 1);
        highSurrogate = last >= 0xd800 && last <= 0xdbff ? text.slice(-1) : "";
        if (highSurrogate) text = text.slice(0, -1);
        packed = raw.feedText(text);
      }
      else if (ArrayBuffer.isView(chunk) || chunk instanceof ArrayBuffer) {
        const view = /** @type {any} */ (chunk);
        packed = raw.feed(new Uint8Array(view.buffer ?? view, view.byteOffset ?? 0, view.byteLength));
      } else throw new TypeError("eric-sse: feed() takes a Uint8Array or a string");
      if (packed.length === 0) return;
      const failures = [];
      deliver(decoder.decode(packed), handlers, failures);
      if (failures.length > 0) throw failures[0];
    },
    reset() {
      highSurrogate = "";
      raw.reset();
    },
    get lastEventId() {
      return raw.lastEventId;
    },
  };
}

/** Bytes (or strings) in, `{ type, data, lastEventId }` events out, for `pipeThrough`. */
export class SseParserStream extends TransformStream {
  /** @param {{ onRetry?: (ms: number) => void, onComment?: (text: string) => void, maxLineBytes?: number }} [options] */
  constructor({ onRetry, onComment, maxLineBytes } = {}) {
    let parser;
    super({
      start(controller) {
        parser = createParser({
          onEvent: (event) => controller.enqueue(event),
          onRetry,
          onComment,
          onError: (error) => controller.error(error),
          maxLineBytes,
        });
      },
      transform(chunk) {
        parser.feed(chunk);
      },
    });
  }
}
