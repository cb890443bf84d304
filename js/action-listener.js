// ActionListener: eric-sse's SimpleDistributedApplicationListener. It consumes its own queue as
// messages arrive; for a message whose type has an action, `fn(message)` returns zero or more
// replies, each dispatched back to `message.senderId`, signed by this listener. The core applies
// `start`/`stop` messages (they are seen even while stopped; other messages wait in order).

import { InvalidListenerError, InvalidMessageFormatError } from "./errors.js";
import { ACTIONS } from "./internal.js";
import { Listener } from "./listener.js";

/**
 * @typedef {import("./message.js").Delivery} Delivery
 * @typedef {{ type: string, payload?: unknown }} Reply
 * @typedef {(message: Delivery) => Reply | Reply[] | null | undefined | void | Promise<Reply | Reply[] | null | undefined | void>} Action
 */

/** @param {unknown} reply @returns {reply is Reply} */
const isReply = (reply) => reply !== null && typeof reply === "object" && typeof /** @type {any} */ (reply).type === "string";

export class ActionListener extends Listener {
  static get name() { return "ActionListener"; } // minification renames the class
  /** @type {Map<string, Action>} */
  #actions = new Map();
  /** Messages whose type has no action. @type {((message: Delivery) => void) | undefined} */
  onUnknown = undefined;
  /**
   * What cannot be answered (no sender, a bad reply, a queue that overflowed).
   * @type {(error: unknown, message: Delivery | undefined) => void}
   */
  onError = (error, message) => console.error(`eric-sse: action listener ${this.id} on ${message?.type}:`, error);

  /**
   * @param {string} name a message type (not "start" or "stop": those toggle the listener)
   * @param {Action} fn
   */
  setAction(name, fn) {
    if (name === "start" || name === "stop") {
      throw new InvalidMessageFormatError(`"${name}" is the message type that ${name}s the listener; it cannot be an action`);
    }
    if (typeof name !== "string" || name === "") throw new InvalidMessageFormatError("an action name is a non-empty string");
    if (typeof fn !== "function") throw new InvalidMessageFormatError("an action is a function");
    this.#actions.set(name, fn);
  }

  /** @param {string} name */
  removeAction(name) {
    this.#actions.delete(name);
  }

  /**
   * Called by the channel once registered: consume this listener's messages until it is
   * removed or the channel ends.
   * @param {import("./channel.js").Channel} channel
   */
  async [ACTIONS](channel) {
    try {
      for await (const message of channel.messages(this.id)) await this.#handle(channel, message);
    } catch (error) {
      this.onError(error, undefined);
    }
  }

  /**
   * @param {import("./channel.js").Channel} channel
   * @param {Delivery} message
   */
  async #handle(channel, message) {
    const action = this.#actions.get(message.type);
    if (!action) return this.onUnknown?.(message);
    let replies;
    try {
      replies = await action(message);
    } catch (error) {
      const failure = {
        type: message.type,
        name: /** @type {any} */ (error)?.name ?? "Error",
        message: String(/** @type {any} */ (error)?.message ?? error),
      };
      if (message.senderId === undefined) return this.onError(error, message);
      return this.#send(() => channel.replyError(/** @type {string} */ (message.senderId), this.id, failure), message);
    }
    for (const reply of [replies].flat()) {
      if (reply === undefined || reply === null) continue;
      if (!isReply(reply)) {
        this.onError(new InvalidMessageFormatError("a reply is a Message or { type, payload }"), message);
      } else if (message.senderId === undefined) {
        this.onError(new InvalidListenerError(`message ${message.id} has no sender to reply to`), message);
      } else {
        const to = message.senderId;
        this.#send(() => channel.dispatch(to, reply.type, reply.payload, { senderId: this.id }), message);
      }
    }
  }

  /**
   * @param {() => unknown} fn
   * @param {Delivery} message
   */
  #send(fn, message) {
    try {
      fn();
    } catch (error) {
      this.onError(error, message);
    }
  }
}
