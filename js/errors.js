// The exported Error subclasses, and the one place where core errors (strings of the form
// "<ErrorName>:<message>" thrown by the wasm bindings) become them.

// Each class names itself with a string constant (not `new.target.name`), so `name` survives
// minifiers that rename classes.
export class EricSseError extends Error {
  name = "EricSseError";
  /** @param {string} [message] @param {{ cause?: unknown }} [options] */
  constructor(message, options) {
    super(message, options);
  }
}
export class NoMessagesError extends EricSseError { name = "NoMessagesError"; }
export class InvalidListenerError extends EricSseError { name = "InvalidListenerError"; }
export class InvalidChannelError extends EricSseError { name = "InvalidChannelError"; }
export class InvalidMessageFormatError extends EricSseError { name = "InvalidMessageFormatError"; }
export class QueueOverflowError extends EricSseError { name = "QueueOverflowError"; }
export class ChannelClosedError extends EricSseError { name = "ChannelClosedError"; }
/** The API was used before `init()` (the `eric-sse/init` entry) loaded the .wasm. */
export class NotInitializedError extends EricSseError { name = "NotInitializedError"; }
/** The .wasm could not be fetched, read or compiled; the message names the URL tried. */
export class WasmLoadError extends EricSseError { name = "WasmLoadError"; }
/** The SSE parser skipped a line longer than `maxLineBytes`. */
export class ParseError extends EricSseError { name = "ParseError"; }
/** The client gave up: an HTTP status other than 2xx, a wrong content type, or maxRetries. */
export class ConnectionError extends EricSseError {
  name = "ConnectionError";
  /** @param {string} message @param {{ status?: number, attempts?: number, cause?: unknown }} [details] */
  constructor(message, { status, attempts, cause } = {}) {
    super(message, { cause });
    this.status = status;
    this.attempts = attempts;
  }
}

const byName = {
  NoMessagesError,
  InvalidListenerError,
  InvalidChannelError,
  InvalidMessageFormatError,
  QueueOverflowError,
  ChannelClosedError,
};

/** Turns what a wasm call threw into the matching error class (anything else passes through). */
export function fromCore(thrown) {
  if (typeof thrown !== "string") return thrown;
  const colon = thrown.indexOf(":");
  const Class = byName[thrown.slice(0, colon)];
  return Class ? new Class(thrown.slice(colon + 1)) : new EricSseError(thrown);
}
