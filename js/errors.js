// The exported Error subclasses, and the one place where core errors (strings of the form
// "<ErrorName>:<message>" thrown by the wasm bindings) become them.

export class EricSseError extends Error {
  constructor(message, options) {
    super(message, options);
    this.name = new.target.name;
  }
}
export class NoMessagesError extends EricSseError {}
export class InvalidListenerError extends EricSseError {}
export class InvalidChannelError extends EricSseError {}
export class InvalidMessageFormatError extends EricSseError {}
export class QueueOverflowError extends EricSseError {}
export class ChannelClosedError extends EricSseError {}
/** The SSE parser skipped a line longer than `maxLineBytes`. */
export class ParseError extends EricSseError {}
/** The client gave up: an HTTP status other than 2xx, a wrong content type, or maxRetries. */
export class ConnectionError extends EricSseError {
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
