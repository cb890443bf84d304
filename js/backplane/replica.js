// A channel's link to its backplane: the channel is a replica of the engine's log. It starts at
// the log's tail, follows it in order (the core takes each entry with `accept`, so duplicates
// are dropped and gaps announced), hands publishes to the engine (which assigns the id; the
// replica delivers them only as they come back, so every node sees one order), reads the log
// for replays its own history cannot prove, and tells its listeners when the engine goes away
// and comes back.

import { BackplaneError, EricSseError } from "../errors.js";

/** How long a replica waits before trying an engine that was down when it started. */
const RETRY_MS = 1000;

/**
 * What a replica needs of its channel.
 * @typedef {object} ReplicaPort
 * @property {(packed: string[]) => void} accept takes packed entries in log order
 * @property {(up: boolean) => void} announce tells the listeners the engine's state
 * @property {(id: string | null) => void} start sets where the log is followed from
 */

/**
 * Packs a log entry for the core (src/pack.rs `unpack_entry`).
 * @param {import("./memory.js").Entry} e
 */
export function packEntry(e) {
  return `${e.id}\n${e.prev ?? ""}\n${e.type}\n${e.target ?? ""}\n${e.sender ?? ""}\n${e.payload}`;
}

/** @param {unknown} error */
const asBackplaneError = (error) => (error instanceof EricSseError ? error
  : new BackplaneError(`eric-sse: the backplane failed: ${/** @type {Error} */ (error)?.message ?? error}`, { cause: error }));

export class Replica {
  #channel;
  #backplane;
  #port;
  /** @type {(() => void) | null} */
  #unfollow = null;
  #stopped = false;
  /** Following the log (the first tail was read). */
  #following = false;
  #up = true;
  /** @type {string | null} the id of the last entry handed to the channel */
  #cursor = null;

  /**
   * @param {string} channel the channel id in the engine
   * @param {import("./memory.js").Backplane} backplane
   * @param {ReplicaPort} port
   */
  constructor(channel, backplane, port) {
    this.#channel = channel;
    this.#backplane = backplane;
    this.#port = port;
    /** Settles once the replica follows the log (it keeps trying while the engine is down). */
    this.ready = this.#start();
  }

  /** Settles the first try. @type {(value?: unknown) => void} */
  #tried = () => {};
  /** Settles after the first try to reach the log, whatever its outcome (or a stop). */
  #firstTry = new Promise((resolve) => {
    this.#tried = resolve;
  });

  async #start() {
    while (!this.#stopped) {
      try {
        const tail = await this.#backplane.tail(this.#channel);
        if (this.#stopped) return;
        this.#port.start(tail);
        this.#cursor = tail;
        this.#unfollow = this.#backplane.follow(this.#channel, tail, {
          entries: (entries) => {
            if (entries.length === 0) return;
            this.#cursor = entries[entries.length - 1].id;
            this.#port.accept(entries.map(packEntry));
          },
          state: (up) => this.#state(up),
        });
        this.#following = true;
        this.#tried();
        this.#state(true);
        return;
      } catch {
        this.#state(false);
        this.#tried();
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
      }
    }
  }

  /** @param {boolean} up */
  #state(up) {
    if (up === this.#up) return;
    this.#up = up;
    this.#port.announce(up);
  }

  /**
   * Appends a message to the log; resolves to the engine's id.
   * @param {{ type: string, payload: string, target?: string, sender?: string }} message
   * @returns {Promise<string>}
   */
  async append(message) {
    // An engine that was down when the channel started: refuse once the first try failed, as
    // publishes do while a following channel's engine is down (waiting for the next try would
    // pile them up).
    await this.#firstTry;
    if (!this.#following) {
      throw new BackplaneError(`eric-sse: the backplane is unreachable (channel ${this.#channel})`);
    }
    try {
      return (await this.#backplane.append(this.#channel, message)).id;
    } catch (error) {
      throw asBackplaneError(error);
    }
  }

  /**
   * The log after `after`, for a replay.
   * @param {string} after
   */
  async read(after) {
    try {
      return await this.#backplane.read(this.#channel, after);
    } catch (error) {
      throw asBackplaneError(error);
    }
  }

  /** The id of the last entry handed to the channel (where a rebuilt channel goes on). */
  get cursor() {
    return this.#cursor;
  }

  /** Stops following the log. */
  stop() {
    this.#stopped = true;
    this.#tried();
    this.#unfollow?.();
    this.#unfollow = null;
  }
}
