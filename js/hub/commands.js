// The hub's state and its one command path: decode (core), authorize, execute. REST routes,
// POST /command and ports all come through `run`.
//
// Ownership: with a `principal(request)` function, every listener the hub creates is bound to
// the principal that created it; `authorize` sees `{ owner, principal }`. A `listen` may register
// again only a listener id that left this hub (its stream closed) and only for the principal it
// belonged to — never an id nobody had, so "listen" cannot create what it does not own.

import { Channel } from "../channel.js";
import {
  BackplaneError, ChannelExistsError, EricSseError, ForbiddenError, InvalidChannelError, InvalidListenerError,
  InvalidOptionError, LimitExceededError, UnauthorizedError,
} from "../errors.js";
import { newId } from "../ids.js";
import { FORGET, REPLACE } from "../internal.js";
import { Listener } from "../listener.js";
import { assertReady } from "../wasm.js";
import { ChannelContainer } from "./container.js";
import { decode } from "./decode.js";

/**
 * `limits[name]`: a non-negative integer or Infinity (an unset environment variable read with
 * Number() is NaN: refused, not a limit of 0 or none).
 * @param {Record<string, unknown> | null | undefined} limits
 * @param {string} name
 * @param {number} fallback
 * @returns {number}
 */
function limit(limits, name, fallback) {
  const value = limits?.[name];
  if (value === undefined) return fallback;
  if (value === Infinity || (typeof value === "number" && Number.isSafeInteger(value) && value >= 0)) return value;
  throw new InvalidOptionError(`limits.${name} must be a non-negative integer or Infinity, got ${String(value)}`);
}

/** How many departed listeners (id → owner) a hub remembers for revival. */
const DEPARTED = 10_000;

/**
 * A decoded command (src/wasm/hub.rs `decodeCommand`).
 * @typedef {object} Command
 * @property {import("../../index.js").HubAction} action what authorize sees: listChannels,
 *   createChannel, removeChannel, addListener, removeListener, dispatch, broadcast, listen, watch
 * @property {string} [verb] the controller code (d, b, c, r, rl, rc, l, w)
 * @property {string} [channel]
 * @property {string} [listener]
 * @property {string} [type]
 * @property {string} [payload] JSON text
 */

/**
 * What a command did.
 * @typedef {{ channels: string[] } | { channel: string } | { listener: string } | { id: string }
 *   | { removed: true } | { stream: { channel: Channel, listener: string } }} Outcome
 */

/**
 * @typedef {object} Authorization what `authorize` sees besides the request
 * @property {import("../../index.js").HubAction} action
 * @property {string} [channel]
 * @property {string} [listener]
 * @property {string} [principal] who asks (`principal(request)`), when the hub has that option
 * @property {string} [owner] who created the named listener, when it is known
 */

export class Commands {
  /** @type {ChannelContainer<Channel>} */
  channels = new ChannelContainer();
  #options;
  #max;
  /** @type {WeakMap<Listener, string | undefined>} */
  #owners = new WeakMap();
  /** `channel\nlistener` → the owner of a listener that left (bounded, oldest first). @type {Map<string, string | undefined>} */
  #departed = new Map();

  /**
   * @param {{
   *   authorize?: (request: Request | undefined, what: Authorization) => boolean | 401 | 403 | Promise<boolean | 401 | 403>,
   *   principal?: (request: Request | undefined) => string | undefined | Promise<string | undefined>,
   *   limits?: { maxBodyBytes?: number, maxChannels?: number, maxListenersPerChannel?: number },
   *   channelOptions?: object,
   *   backplane?: import("../backplane/memory.js").Backplane,
   * }} options
   */
  constructor({ authorize, principal, limits, channelOptions = {}, backplane }) {
    this.#options = { authorize, principal, channelOptions, backplane };
    if (limits !== undefined && limits !== null && typeof limits !== "object") {
      throw new InvalidOptionError(`limits must be an object, got ${typeof limits}`);
    }
    this.#max = {
      bodyBytes: limit(limits, "maxBodyBytes", 65536),
      channels: limit(limits, "maxChannels", 1000),
      listeners: limit(limits, "maxListenersPerChannel", 10000),
    };
  }

  get maxBodyBytes() {
    return this.#max.bodyBytes;
  }

  /**
   * Decodes, authorizes and runs what a route and its body say. `lastEventId`: a `listen` that
   * resumes may register again a listener that left, and gets the replay.
   * @param {import("../../pkg/eric_sse_hub.js").RawRoute} route
   * @param {object} body
   * @param {Request | undefined} request
   * @param {string} [lastEventId]
   * @returns {Promise<{ command: Command, outcome: Outcome }>}
   */
  async run(route, body, request, lastEventId) {
    assertReady();
    const command = decode(route, body, this.#max.bodyBytes);
    const principal = await this.#options.principal?.(request);
    const owner = this.#ownerOf(command);
    await this.#allow(request, { action: command.action, channel: command.channel, listener: command.listener, principal, owner: owner.owner });
    return { command, outcome: await this.#execute(command, principal, owner, lastEventId) };
  }

  /**
   * The named listener's owner, and whether it is registered or departed.
   * @param {Command} command
   * @returns {{ owner?: string, registered: boolean, departed: boolean }}
   */
  #ownerOf({ channel, listener }) {
    if (channel === undefined || listener === undefined || !this.channels.has(channel)) return { registered: false, departed: false };
    const live = this.channels.get(channel);
    if (live.hasListener(listener)) return { owner: this.#owners.get(live.getListener(listener)), registered: true, departed: false };
    const key = `${channel}\n${listener}`;
    return { owner: this.#departed.get(key), registered: false, departed: this.#departed.has(key) };
  }

  /**
   * @param {Request | undefined} request
   * @param {Authorization} what
   */
  async #allow(request, what) {
    const { authorize } = this.#options;
    if (!authorize) return;
    const verdict = await authorize(request, what);
    if (verdict === true) return;
    if (verdict === 401) throw new UnauthorizedError(`not allowed to ${what.action}`);
    throw new ForbiddenError(`not allowed to ${what.action}`);
  }

  /**
   * @param {Command} command
   * @param {string | undefined} principal
   * @param {{ owner?: string, registered: boolean, departed: boolean }} target
   * @param {string} [lastEventId]
   * @returns {Promise<Outcome>}
   */
  async #execute(command, principal, target, lastEventId) {
    const c = /** @type {string} */ (command.channel);
    const l = /** @type {string} */ (command.listener);
    const payload = () => JSON.parse(/** @type {string} */ (command.payload));
    switch (command.action) {
      case "listChannels": return { channels: await this.#engine((bp) => bp.list(), () => this.channels.ids()) };
      case "createChannel": return { channel: await this.#createChannel(command.channel) };
      case "removeChannel": await this.#removeChannel(c); return { removed: true };
      case "addListener": return { listener: this.#newListener(await this.#open(c), principal) };
      case "removeListener": (await this.#open(c)).removeListener(l); return { removed: true };
      case "dispatch": return { id: await (await this.#open(c)).publishTo(l, /** @type {string} */ (command.type), payload()) };
      case "broadcast": return { id: await (await this.#open(c)).publish(/** @type {string} */ (command.type), payload()) };
      case "listen": {
        const channel = await this.#open(c);
        if (!target.registered) {
          // Only a listener that left this hub comes back, for its owner, when resuming.
          if (!lastEventId || !target.departed || target.owner !== principal) {
            throw new InvalidListenerError(`no listener ${l} in channel ${c}`);
          }
          this.#newListener(channel, principal, l);
          this.#departed.delete(`${c}\n${l}`);
        } else {
          // A client that reconnects before the server noticed its old connection die: the new
          // stream takes over (a refusal would make an EventSource give up for good).
          /** @type {any} */ (channel)[REPLACE](l);
        }
        return { stream: { channel, listener: l } };
      }
      default: { // watch
        const channel = await this.#open(c);
        return { stream: { channel, listener: this.#newListener(channel, principal) } };
      }
    }
  }

  /**
   * Asks the backplane (its errors become BackplaneError), or runs `local` without one.
   * @template T
   * @param {(backplane: import("../backplane/memory.js").Backplane) => Promise<T>} ask
   * @param {() => T} local
   * @returns {Promise<T>}
   */
  async #engine(ask, local) {
    const { backplane } = this.#options;
    if (!backplane) return local();
    try {
      return await ask(backplane);
    } catch (error) {
      throw error instanceof EricSseError ? error
        : new BackplaneError(`eric-sse: the backplane failed: ${/** @type {Error} */ (error)?.message ?? error}`, { cause: error });
    }
  }

  /**
   * The channel `id`: held here, or (on a backplane) a replica of it when the engine has it.
   * @param {string} id
   * @returns {Promise<Channel>}
   */
  async #open(id) {
    const held = this.channels.has(id) ? this.channels.get(id) : undefined;
    if (held && !held.ended) return held;
    if (!this.#options.backplane) return this.channels.get(id);
    if (!(await this.#engine((bp) => bp.exists(id), () => false))) throw new InvalidChannelError(`no channel ${id}`);
    const again = this.channels.has(id) ? this.channels.get(id) : undefined;
    if (again && !again.ended) return again;
    if (again) this.channels.forget(id);
    return this.channels.add(this.#replica(id));
  }

  /** @param {string} id */
  #replica(id) {
    const channel = new Channel({ ...this.#options.channelOptions, id, backplane: this.#options.backplane });
    /** @type {any} */ (channel)[FORGET] = (/** @type {Listener} */ listener, /** @type {boolean} */ left) => this.#depart(id, listener, left);
    return channel;
  }

  /** @param {string} id */
  async #removeChannel(id) {
    if (!this.#options.backplane) {
      this.channels.remove(id);
      // Its listeners left as it ended: none of them comes back.
      this.#forgetDeparted(id);
      return;
    }
    // The engine's end marker ends every replica, this one included.
    if (!(await this.#engine((bp) => bp.remove(id), () => false))) throw new InvalidChannelError(`no channel ${id}`);
  }

  /**
   * @param {Channel} channel
   * @param {string | undefined} owner
   * @param {string} [id]
   */
  #newListener(channel, owner, id) {
    if (channel.listenerCount >= this.#max.listeners) {
      throw new LimitExceededError(`channel ${channel.id} has ${this.#max.listeners} listeners (limits.maxListenersPerChannel)`);
    }
    const listener = channel.registerListener(new Listener(id === undefined ? {} : { id }));
    this.#owners.set(listener, owner);
    return listener.id;
  }

  /** The departed listeners of channel `id` (removed, or made anew): none comes back.
   * @param {string} id */
  #forgetDeparted(id) {
    for (const key of this.#departed.keys()) if (key.startsWith(`${id}\n`)) this.#departed.delete(key);
  }

  /** @param {string | undefined} id */
  async #createChannel(id) {
    const wanted = id ?? newId("channel");
    if (this.#options.backplane) {
      if (!(await this.#engine((bp) => bp.create(wanted), () => true))) throw new ChannelExistsError(`channel ${wanted} already exists`);
      const held = this.channels.has(wanted) ? this.channels.get(wanted) : undefined;
      // The engine lost the channel (a Redis without persistence restarted) while this node
      // still follows it: the replica goes on with the new log (its listeners got a gap
      // notice), so it stays, with its listeners reachable; one replica per channel per node.
      if (held && !held.ended) return held.id;
      if (held) this.channels.forget(wanted);
      this.#forgetDeparted(wanted);
      return this.channels.add(this.#replica(wanted)).id;
    }
    return this.channels.create(wanted, (free) => {
      if (this.channels.size >= this.#max.channels) {
        throw new LimitExceededError(`the hub holds ${this.#max.channels} channels (limits.maxChannels)`);
      }
      const channel = new Channel({ ...this.#options.channelOptions, id: free });
      // A new channel: the listeners of an earlier one of this id do not come back (created,
      // not refused: a refused create changes nothing).
      this.#forgetDeparted(free);
      /** @type {any} */ (channel)[FORGET] = (/** @type {Listener} */ listener, /** @type {boolean} */ left) => this.#depart(free, listener, left);
      return channel;
    }).id;
  }

  /**
   * Remembers who owned a listener that left, so its owner can resume it; a listener removed
   * (DELETE, removeListener) is gone for good.
   * @param {string} channel
   * @param {Listener} listener
   * @param {boolean} left
   */
  #depart(channel, listener, left) {
    const key = `${channel}\n${listener.id}`;
    this.#departed.delete(key);
    if (!left) return;
    this.#departed.set(key, this.#owners.get(listener));
    if (this.#departed.size > DEPARTED) {
      const oldest = this.#departed.keys().next();
      if (!oldest.done) this.#departed.delete(oldest.value);
    }
  }
}
