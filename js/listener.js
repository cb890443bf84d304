// Listener: an id, the running flag (held by the core once the listener is registered), and an
// optional `onMessage(message)` hook run at delivery time.

import { InvalidListenerError } from "./errors.js";
import { newId } from "./ids.js";

/**
 * Binds a listener to its channel's entry (null: unbinds). Package-internal.
 * @type {(listener: Listener, entry: import("./internal.js").BoundEntry | null) => void}
 */
export let bindListener = () => {};
/**
 * The channel entry a listener is bound to, or null. Package-internal.
 * @type {(listener: Listener) => import("./internal.js").BoundEntry | null}
 */
export let boundEntry = () => null;

export class Listener {
  static get name() { return "Listener"; } // minification renames the class
  /** The running flag the core takes on registration; while registered, the last start() or
   * stop() (the core's flag is the one in force), so it stays right once the listener leaves. */
  #running = true;
  /** @type {((message: import("./message.js").Delivery) => void) | undefined} */
  #onMessage = undefined;
  /** @type {import("./internal.js").BoundEntry | null} its channel's record, once registered */
  #entry = null;

  static {
    bindListener = (listener, entry) => {
      listener.#entry = entry;
    };
    boundEntry = (listener) => listener.#entry;
  }

  /** @param {{ id?: string }} [options] */
  constructor({ id } = {}) {
    if (id !== undefined && typeof id !== "string") {
      throw new InvalidListenerError(`listener id must be a string, got ${typeof id}`);
    }
    /** @type {string} */
    this.id = id ?? newId("listener");
  }

  /**
   * Runs at delivery (deliverNext, iterators, streams), not at dispatch; if it throws, the
   * message stays queued and the error reaches the consumer.
   */
  get onMessage() {
    return this.#onMessage;
  }

  set onMessage(hook) {
    this.#onMessage = hook;
    const entry = this.#entry;
    entry?.ops.hooked(entry, typeof hook === "function");
  }

  /** Whether deliveries to streams and iterators flow (the core's flag once registered). */
  get isRunning() {
    const entry = this.#entry;
    return entry ? entry.ops.isRunning(entry) : this.#running;
  }

  /** Resumes delivery to streams and iterators. */
  start() {
    const entry = this.#entry;
    if (entry) entry.ops.start(entry);
    this.#running = true;
  }

  /** Pauses delivery to streams and iterators; messages keep queueing (bounded). */
  stop() {
    const entry = this.#entry;
    if (entry) entry.ops.stop(entry);
    this.#running = false;
  }
}
