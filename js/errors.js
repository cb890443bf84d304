// Every error class the package throws, in one file, and the one place where core errors become
// them: `coreError`, which the wasm bindings import and call for every refusal of the Rust core.
// Each class's `name` and `status` (the HTTP status the hub answers with) are string and number
// literals on its prototype, so minifiers cannot rename them and the hub's JSON stays stable.

/** The base of every error eric-sse throws. */
export class EricSseError extends Error {
  /** @param {string} [message] @param {{ cause?: unknown }} [options] */
  constructor(message, options) {
    super(message, options);
  }
}

/**
 * @param {Function} Class
 * @param {string} name
 * @param {number} status
 */
function describe(Class, name, status) {
  Object.defineProperty(Class.prototype, "name", { value: name, writable: true, configurable: true });
  Object.defineProperty(Class.prototype, "status", { value: status, writable: true, configurable: true });
}

describe(EricSseError, "EricSseError", 500);

// ---- raised by the Rust core (names: src/error.rs `names`) ----
/** deliverNext found the queue empty. */
export class NoMessagesError extends EricSseError {}
describe(NoMessagesError, "NoMessagesError", 404);
/** No such listener, a malformed id, or a call that does not fit the listener's state. */
export class InvalidListenerError extends EricSseError {}
describe(InvalidListenerError, "InvalidListenerError", 404);
/** A listener with this id is already registered. */
export class ListenerExistsError extends InvalidListenerError {}
describe(ListenerExistsError, "ListenerExistsError", 409);
/** No such channel, or a malformed channel id. */
export class InvalidChannelError extends EricSseError {}
describe(InvalidChannelError, "InvalidChannelError", 404);
/** A channel with this id already exists. */
export class ChannelExistsError extends InvalidChannelError {}
describe(ChannelExistsError, "ChannelExistsError", 409);
/** A message type, payload, id, command or SSE field that cannot be sent as it is. */
export class InvalidMessageFormatError extends EricSseError {}
describe(InvalidMessageFormatError, "InvalidMessageFormatError", 400);
/** An option that is not of its kind or range. */
export class InvalidOptionError extends EricSseError {}
describe(InvalidOptionError, "InvalidOptionError", 400);
/** A listener's queue is full (policy "error") or it was cut off for overflowing (policy "disconnect"). */
export class QueueOverflowError extends EricSseError {}
describe(QueueOverflowError, "QueueOverflowError", 429);
/** The channel ended (notifyEnd) and accepts no more messages. */
export class ChannelClosedError extends EricSseError {}
describe(ChannelClosedError, "ChannelClosedError", 409);
/** Holding this would pass the instance's memory budget (setMemoryBudget). */
export class MemoryLimitError extends EricSseError {}
describe(MemoryLimitError, "MemoryLimitError", 503);

// ---- the hub's protocol (NotFound, MethodNotAllowed and PayloadTooLarge come from the core) ----
/** An error the hub answers with: `status` and a JSON body `{ error: { name, message } }`. */
export class HubError extends EricSseError {}
describe(HubError, "HubError", 500);
export class NotFoundError extends HubError {}
describe(NotFoundError, "NotFoundError", 404);
export class MethodNotAllowedError extends HubError {
  /** @param {string} message @param {string} [allow] the methods the route takes */
  constructor(message, allow) {
    super(message);
    this.allow = allow;
  }
}
describe(MethodNotAllowedError, "MethodNotAllowedError", 405);
export class PayloadTooLargeError extends HubError {}
describe(PayloadTooLargeError, "PayloadTooLargeError", 413);
export class UnauthorizedError extends HubError {}
describe(UnauthorizedError, "UnauthorizedError", 401);
export class ForbiddenError extends HubError {}
describe(ForbiddenError, "ForbiddenError", 403);
export class LimitExceededError extends HubError {}
describe(LimitExceededError, "LimitExceededError", 429);

// ---- the client and the parser ----
/** The SSE parser skipped a line or an event over its limit. */
export class ParseError extends EricSseError {}
describe(ParseError, "ParseError", 400);
/** The client gave up: a status other than 200, a wrong content type, or maxRetries. */
export class ConnectionError extends EricSseError {
  /**
   * @param {string} message
   * @param {{ status?: number, attempts?: number, cause?: unknown }} [details]
   */
  constructor(message, { status, attempts, cause } = {}) {
    super(message, { cause });
    /** @type {number | undefined} */
    this.status = status;
    /** @type {number | undefined} */
    this.attempts = attempts;
  }
}
describe(ConnectionError, "ConnectionError", 502);

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
}
describe(TaskError, "TaskError", 500);
/** The worker running the task died or trapped; the pool replaced it. */
export class WorkerCrashError extends EricSseError {}
describe(WorkerCrashError, "WorkerCrashError", 500);
/** The pool was closed or terminated. */
export class PoolClosedError extends EricSseError {}
describe(PoolClosedError, "PoolClosedError", 503);

// ---- loading ----
/** The API was used before the WebAssembly module was loaded (`await init()`). */
export class NotInitializedError extends EricSseError {}
describe(NotInitializedError, "NotInitializedError", 500);

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
