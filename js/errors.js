// Every error class the package throws, in one file, and the one place where core errors become
// them: `coreError`, which the wasm bindings import and call for every refusal of the Rust core.
// Each class's name (a static getter, which an error's `name` reads) and `status` (the HTTP
// status the hub answers with) are literals returned by getters: minifiers cannot rename them,
// the hub's JSON and Node's printing stay stable, and classes a bundle does not use (the pool's)
// are side-effect free, so tree-shaking drops them.

/** The base of every error eric-sse throws. */
export class EricSseError extends Error {
  /** @param {string} [message] @param {{ cause?: unknown }} [options] */
  constructor(message, options) {
    super(message, options);
  }
  static get name() { return "EricSseError"; }
  /**
   * The name of the nearest eric-sse class (each says it with a static getter, as minification
   * renames classes): an app's subclass of one reads as the class it extends.
   */
  get name() {
    let type = this.constructor;
    while (typeof type === "function" && type !== EricSseError && typeof Object.getOwnPropertyDescriptor(type, "name")?.get !== "function") {
      type = Object.getPrototypeOf(type);
    }
    return typeof type === "function" ? type.name : "EricSseError";
  }
  /** The HTTP status the hub answers with for this error. @returns {number | undefined} */
  get status() { return 500; }
}


// ---- raised by the Rust core (names: src/error.rs `names`) ----
/** deliverNext found the queue empty. */
export class NoMessagesError extends EricSseError {
  static get name() { return "NoMessagesError"; }
  get status() { return 404; }
}
/** No such listener, a malformed id, or a call that does not fit the listener's state. */
export class InvalidListenerError extends EricSseError {
  static get name() { return "InvalidListenerError"; }
  get status() { return 404; }
}
/** A listener with this id is already registered. */
export class ListenerExistsError extends InvalidListenerError {
  static get name() { return "ListenerExistsError"; }
  get status() { return 409; }
}
/** No such channel, or a malformed channel id. */
export class InvalidChannelError extends EricSseError {
  static get name() { return "InvalidChannelError"; }
  get status() { return 404; }
}
/** A channel with this id already exists. */
export class ChannelExistsError extends InvalidChannelError {
  static get name() { return "ChannelExistsError"; }
  get status() { return 409; }
}
/** A message type, payload, id, command or SSE field that cannot be sent as it is. */
export class InvalidMessageFormatError extends EricSseError {
  static get name() { return "InvalidMessageFormatError"; }
  get status() { return 400; }
}
/** An option that is not of its kind or range. */
export class InvalidOptionError extends EricSseError {
  static get name() { return "InvalidOptionError"; }
  get status() { return 400; }
}
/** A listener's queue is full (policy "error") or it was cut off for overflowing (policy "disconnect"). */
export class QueueOverflowError extends EricSseError {
  static get name() { return "QueueOverflowError"; }
  get status() { return 429; }
}
/** The channel ended (notifyEnd) and accepts no more messages. */
export class ChannelClosedError extends EricSseError {
  static get name() { return "ChannelClosedError"; }
  get status() { return 409; }
}
/** Holding this would pass the instance's memory budget (setMemoryBudget). */
export class MemoryLimitError extends EricSseError {
  static get name() { return "MemoryLimitError"; }
  get status() { return 503; }
}

// ---- the hub's protocol (NotFound, MethodNotAllowed and PayloadTooLarge come from the core) ----
/** An error the hub answers with: `status` and a JSON body `{ error: { name, message } }`. */
export class HubError extends EricSseError {
  static get name() { return "HubError"; }
  get status() { return 500; }
}
export class NotFoundError extends HubError {
  static get name() { return "NotFoundError"; }
  get status() { return 404; }
}
export class MethodNotAllowedError extends HubError {
  /** @param {string} message @param {string} [allow] the methods the route takes */
  constructor(message, allow) {
    super(message);
    this.allow = allow;
  }
  static get name() { return "MethodNotAllowedError"; }
  get status() { return 405; }
}
export class PayloadTooLargeError extends HubError {
  static get name() { return "PayloadTooLargeError"; }
  get status() { return 413; }
}
/** A request body that is not JSON (its Content-Type): 415. */
export class UnsupportedMediaTypeError extends HubError {
  static get name() { return "UnsupportedMediaTypeError"; }
  get status() { return 415; }
}
export class UnauthorizedError extends HubError {
  static get name() { return "UnauthorizedError"; }
  get status() { return 401; }
}
export class ForbiddenError extends HubError {
  static get name() { return "ForbiddenError"; }
  get status() { return 403; }
}
export class LimitExceededError extends HubError {
  static get name() { return "LimitExceededError"; }
  get status() { return 429; }
}

// ---- backplanes ----
/** The engine behind a channel (Redis, a Durable Object, …) refused or could not be reached (503). */
export class BackplaneError extends EricSseError {
  static get name() { return "BackplaneError"; }
  get status() { return 503; }
}

// ---- the client and the parser ----
/** The SSE parser skipped a line or an event over its limit. */
export class ParseError extends EricSseError {
  /**
   * @param {string} message
   * @param {{ type?: "line-too-long" | "event-too-long", limit?: number }} [details] which limit, and its size
   */
  constructor(message, { type, limit } = {}) {
    super(message);
    this.type = type;
    this.limit = limit;
  }
  static get name() { return "ParseError"; }
  get status() { return 400; }
}
/** The client gave up: a status other than 200, a wrong content type, or maxRetries. */
export class ConnectionError extends EricSseError {
  /**
   * @param {string} message
   * @param {{ status?: number, attempts?: number, cause?: unknown }} [details]
   */
  constructor(message, { status, attempts, cause } = {}) {
    super(message, { cause });
    // Here `status` is the status of the response that failed the connection, if one did.
    Object.defineProperty(this, "status", { value: status, writable: true, enumerable: true, configurable: true });
    /** @type {number | undefined} */
    this.attempts = attempts;
  }
  static get name() { return "ConnectionError"; }
}

// ---- the worker pool ----
/** A task threw; `name`, `message` and `stack` are the worker side's. */
export class TaskError extends EricSseError {
  /** @param {{ name?: string, message?: string, stack?: string }} remote */
  constructor({ name, message, stack }) {
    super(message);
    Object.defineProperty(this, "name", { value: name ?? "Error", writable: true, configurable: true });
    this.remoteStack = stack;
    if (stack) this.stack = stack;
  }
  static get name() { return "TaskError"; }
  get status() { return 500; }
}
/** The worker running the task died or trapped; the pool replaced it. */
export class WorkerCrashError extends EricSseError {
  static get name() { return "WorkerCrashError"; }
  get status() { return 500; }
}
/** The pool was closed or terminated. */
export class PoolClosedError extends EricSseError {
  static get name() { return "PoolClosedError"; }
  get status() { return 503; }
}

// ---- loading ----
/** The API was used before the WebAssembly module was loaded (`await init()`). */
export class NotInitializedError extends EricSseError {
  static get name() { return "NotInitializedError"; }
  get status() { return 500; }
}
/**
 * The WebAssembly instance trapped during this call and was replaced by a fresh one; channels
 * rebuild themselves empty on their next call (503).
 */
export class WasmTrapError extends EricSseError {
  static get name() { return "WasmTrapError"; }
  get status() { return 503; }
}
/** The .wasm could not be fetched, read or compiled; the message names the URL tried. */
export class WasmLoadError extends EricSseError {
  static get name() { return "WasmLoadError"; }
  get status() { return 500; }
}

/** @type {Record<string, new (message: string) => EricSseError>} */
const CORE = {
  NoMessagesError,
  InvalidListenerError,
  ListenerExistsError,
  InvalidChannelError,
  InvalidMessageFormatError,
  InvalidOptionError,
  QueueOverflowError,
  ChannelClosedError,
  MemoryLimitError,
  NotFoundError,
  PayloadTooLargeError,
};

/**
 * The JS error for a refusal of the Rust core (called by the wasm bindings; src/wasm/mod.rs).
 * @param {string} name one of src/error.rs `names`
 * @param {string} message
 * @param {string | undefined} detail the Allow value of MethodNotAllowedError
 * @returns {EricSseError}
 */
export function coreError(name, message, detail) {
  if (name === "MethodNotAllowedError") return new MethodNotAllowedError(message, detail);
  const Class = Object.hasOwn(CORE, name) ? CORE[name] : EricSseError;
  return new Class(message);
}
