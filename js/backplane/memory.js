// memoryBackplane(): the reference engine, in one JS realm. It keeps each channel's log the way
// a real engine does — one writer assigns the ids, every entry names its predecessor, the log
// is trimmed to a window, followers get entries in log order — and it can be taken down,
// brought back and made to lose its data, so every backplane behaviour is testable in-process.
// Several hubs sharing one instance behave as several nodes on one engine.

import { BackplaneError } from "../errors.js";

/**
 * An entry of a channel's log, as engines hand it out.
 * @typedef {object} Entry
 * @property {string} id the engine's id, `<major>-<minor>`, increasing in the log
 * @property {string | null} prev the id of the entry before it (null for the log's first)
 * @property {string} type
 * @property {string} payload JSON text
 * @property {string} [target] the listener a dispatch is for
 * @property {string} [sender] the listener a signed message is from
 */

/**
 * What a backplane is: an engine holding each channel's log that every node publishes to and
 * follows. Adapters (Redis Streams, Durable Objects, this one) implement it.
 * @typedef {object} Backplane
 * @property {(channel: string, message: { type: string, payload: string, target?: string, sender?: string }) => Promise<Entry>} append
 *   appends to the log; the engine assigns id and prev. Rejects with BackplaneError when the engine is down.
 * @property {(channel: string, after: string | null, handlers: { entries: (entries: Entry[]) => void, state?: (up: boolean, error?: unknown) => void }) => () => void} follow
 *   calls `entries` with the log's entries after `after`, in order, as they come, and `state` when
 *   the engine goes away or comes back (it resumes after its last entry by itself); returns stop.
 * @property {(channel: string, after: string | null) => Promise<{ entries: Entry[], tail: string | null }>} read
 *   the kept entries after `after` (all kept when null) and the log's last id.
 * @property {(channel: string) => Promise<string | null>} tail the log's last id (null when empty).
 * @property {(channel: string) => Promise<boolean>} create true when it did not exist
 * @property {(channel: string) => Promise<boolean>} remove appends the end marker, then forgets the channel; false when unknown
 * @property {(channel: string) => Promise<boolean>} exists
 * @property {() => Promise<string[]>} list
 */

/**
 * @param {{ maxLen?: number }} [options] maxLen: entries kept per channel (default 1000)
 */
export function memoryBackplane({ maxLen = 1000 } = {}) {
  /** @type {Map<string, { epoch: number, seq: number, entries: Entry[], tail: string | null }>} */
  const logs = new Map();
  /** @type {Map<string, Set<{ cursor: string | null, handlers: any, scheduled: boolean }>>} */
  const followers = new Map();
  let up = true;
  let epochs = Date.now();

  const down = () => new BackplaneError("the memory backplane is down");
  /** @param {string} channel */
  const log = (channel) => {
    let found = logs.get(channel);
    if (!found) {
      found = { epoch: (epochs += 1), seq: 0, entries: [], tail: null };
      logs.set(channel, found);
    }
    return found;
  };

  /**
   * The kept entries after `after` (all kept when it is null or not in the log).
   * @param {{ entries: Entry[] }} found
   * @param {string | null} after
   */
  function after(found, after) {
    if (after === null) return found.entries.slice();
    const at = found.entries.findIndex((e) => e.id === after);
    return at >= 0 ? found.entries.slice(at + 1) : found.entries.filter((e) => newer(e.id, after));
  }

  /** Delivers what each follower of `channel` has not had yet, one microtask later. @param {string} channel */
  function notify(channel) {
    for (const follower of followers.get(channel) ?? []) {
      if (follower.scheduled) continue;
      follower.scheduled = true;
      queueMicrotask(() => {
        follower.scheduled = false;
        if (!up || !followers.get(channel)?.has(follower)) return;
        const found = logs.get(channel);
        const fresh = found ? after(found, follower.cursor) : [];
        if (fresh.length === 0) return;
        follower.cursor = fresh[fresh.length - 1].id;
        follower.handlers.entries(fresh);
      });
    }
  }

  /** @type {Backplane & { setUp(up: boolean): void, lose(channel: string): void, size(channel: string): number }} */
  const backplane = {
    async append(channel, message) {
      if (!up) throw down();
      const found = log(channel);
      found.seq += 1;
      /** @type {Entry} */
      const entry = { id: `${found.epoch}-${found.seq}`, prev: found.tail, type: message.type, payload: message.payload };
      if (message.target !== undefined) entry.target = message.target;
      if (message.sender !== undefined) entry.sender = message.sender;
      found.entries.push(entry);
      found.tail = entry.id;
      if (found.entries.length > maxLen) found.entries.splice(0, found.entries.length - maxLen);
      notify(channel);
      return entry;
    },
    follow(channel, start, handlers) {
      const follower = { cursor: start, handlers, scheduled: false };
      if (!followers.has(channel)) followers.set(channel, new Set());
      /** @type {Set<any>} */ (followers.get(channel)).add(follower);
      notify(channel);
      return () => followers.get(channel)?.delete(follower);
    },
    async read(channel, start) {
      if (!up) throw down();
      const found = logs.get(channel);
      return found ? { entries: after(found, start), tail: found.tail } : { entries: [], tail: null };
    },
    async tail(channel) {
      if (!up) throw down();
      return logs.get(channel)?.tail ?? null;
    },
    async create(channel) {
      if (!up) throw down();
      if (logs.has(channel)) return false;
      log(channel);
      return true;
    },
    async remove(channel) {
      if (!up) throw down();
      if (!logs.has(channel)) return false;
      await backplane.append(channel, { type: "_eric_channel_closed", payload: "null" });
      logs.delete(channel);
      return true;
    },
    async exists(channel) {
      if (!up) throw down();
      return logs.has(channel);
    },
    async list() {
      if (!up) throw down();
      return [...logs.keys()];
    },
    /** Takes the engine down (appends and reads reject, followers hear "down") or brings it back. */
    setUp(state) {
      if (up === state) return;
      up = state;
      for (const [channel, set] of followers) {
        for (const follower of set) follower.handlers.state?.(up, up ? undefined : down());
        if (up) notify(channel);
      }
    },
    /** The engine loses a channel's log (a restart without persistence): ids start again in a new epoch. */
    lose(channel) {
      if (!logs.has(channel)) return;
      logs.set(channel, { epoch: (epochs += 1), seq: 0, entries: [], tail: null });
    },
    /** Entries kept for a channel. */
    size(channel) {
      return logs.get(channel)?.entries.length ?? 0;
    },
  };
  return backplane;
}

/**
 * True when id `a` comes after id `b` in a log (both `<major>-<minor>`).
 * @param {string} a
 * @param {string} b
 */
export function newer(a, b) {
  const [am, an] = a.split("-").map(BigInt);
  const [bm, bn] = b.split("-").map(BigInt);
  return am === bm ? an > bn : am > bm;
}
