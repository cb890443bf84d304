// Listener: an id, the running flag (held by the core once the listener is registered), and an
// optional `onMessage(message)` hook run at delivery time.

import { InvalidListenerError } from "./errors.js";
import { newId } from "./ids.js";
import { bindings } from "./internal.js";

export class Listener {
  /** Before registration only: the running flag the core takes on registration. */
  #running = true;
  /** @type {((message: import("./message.js").Delivery) => void) | undefined} */
  #onMessage = undefined;

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
    bindings.get(this)?.hooked(typeof hook === "function");
  }

  /** Whether deliveries to streams and iterators flow (the core's flag once registered). */
  get isRunning() {
    return bindings.get(this)?.isRunning() ?? this.#running;
  }

  /** Resumes delivery to streams and iterators. */
  start() {
    const binding = bindings.get(this);
    if (binding) binding.start();
    else this.#running = true;
  }

  /** Pauses delivery to streams and iterators; messages keep queueing (bounded). */
  stop() {
    const binding = bindings.get(this);
    if (binding) binding.stop();
    else this.#running = false;
  }
}
