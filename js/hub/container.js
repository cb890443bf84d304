// ChannelContainer: channels by id (eric-sse's channel container), the hub's state.

import { ChannelExistsError, InvalidChannelError } from "../errors.js";

/** @template {{ id: string, notifyEnd(): void, ended?: boolean }} C */
export class ChannelContainer {
  static get name() { return "ChannelContainer"; } // minification renames the class
  /** @type {Map<string, C>} */
  #channels = new Map();

  /**
   * Adds `channel`; a taken id is refused with ChannelExistsError (the first stays).
   * @param {C} channel
   * @returns {C}
   */
  add(channel) {
    if (this.#channels.has(channel.id)) throw new ChannelExistsError(`channel ${channel.id} already exists`);
    this.#channels.set(channel.id, channel);
    return channel;
  }

  /**
   * Adds the channel `make(id)` builds, unless `id` is taken (ChannelExistsError, before
   * anything is built).
   * @param {string} id
   * @param {(id: string) => C} make
   * @returns {C}
   */
  create(id, make) {
    if (this.#channels.has(id)) throw new ChannelExistsError(`channel ${id} already exists`);
    return this.add(make(id));
  }

  /** @param {string} id */
  has(id) {
    return this.#channels.has(id);
  }

  /**
   * @param {string} id
   * @returns {C}
   */
  get(id) {
    const channel = this.#channels.get(id);
    if (!channel) throw new InvalidChannelError(`no channel ${String(id)}`);
    return channel;
  }

  /**
   * Ends the channel (its streams close with _eric_channel_closed) and forgets it.
   * @param {string} id
   */
  remove(id) {
    this.get(id).notifyEnd();
    this.#channels.delete(id);
  }

  /**
   * Forgets the channel without ending it (a replica whose channel already ended).
   * @param {string} id
   */
  forget(id) {
    this.#channels.delete(id);
  }

  /** The channels' ids. */
  ids() {
    return [...this.#channels.keys()];
  }

  get size() {
    return this.#channels.size;
  }
}
