// sqliteBackplane(sql): the Backplane interface (js/backplane/memory.js) over SQLite — a Durable
// Object's `ctx.storage.sql`. The realm holding it is the single writer of its channels: it
// assigns each entry the next `<epoch>-<seq>` id (the epoch is chosen once per channel lifetime
// and stored), keeps the log on disk capped at `maxLen` entries, and hands followers in the same
// realm each entry as it is appended. Ids continue after a restart (the last seq is read back)
// and reads (replays) come from disk, so a resume is served across evictions, crashes and deploys.
//
// Tables (created on the first write, so an object that only answers 404s stores nothing):
//   eric_channels (channel, epoch, live)   one row per channel ever created; kept after removal,
//                                          so a re-created channel takes a later epoch
//   eric_log (channel, seq, type, target, sender, payload)   the kept window of each log

import {
  BackplaneError, EricSseError, InvalidChannelError, InvalidListenerError, InvalidOptionError, PayloadTooLargeError,
} from "../errors.js";

/**
 * The part of a Durable Object's `SqlStorage` this engine uses: `exec(query, ...bindings)`
 * returning a cursor with `toArray()`.
 * @typedef {{ exec(query: string, ...bindings: unknown[]): { toArray(): any[] } }} SqlLike
 */

/**
 * Where created channels are listed (a directory shared by many objects); `add` may refuse
 * with LimitExceededError before anything is created.
 * @typedef {object} Registry
 * @property {(channel: string) => Promise<void>} add
 * @property {(channel: string) => Promise<void>} remove
 */

/** Cloudflare's SQLite storage refuses rows over 2 MB; a message is refused with 413 before that. */
const MAX_ROW_BYTES = 1_900_000;

/** A bound on a text's UTF-8 size: exact for long texts, 3 bytes per code unit for short ones. @param {string} text */
const bytes = (text) => (text.length <= 100_000 ? text.length * 3 : new TextEncoder().encode(text).byteLength);

/**
 * Parses `<epoch>-<seq>`; null for anything else.
 * @param {string | null} id
 * @returns {[number, number] | null}
 */
function parse(id) {
  const match = typeof id === "string" ? /^(\d{1,15})-(\d{1,15})$/.exec(id) : null;
  return match ? [Number(match[1]), Number(match[2])] : null;
}

/**
 * @param {SqlLike} sql the SQL storage (`ctx.storage.sql` in a Durable Object)
 * @param {{ maxLen?: number, registry?: Registry, isListener?: (channel: string, listener: string) => boolean,
 *   onError?: (error: unknown) => void }} [options]
 *   maxLen: entries kept per channel (default 1000). registry: where channels are listed (a
 *   directory object). isListener: when this realm holds every listener of its channels (one
 *   Durable Object per channel), a dispatch to an unknown listener is refused with
 *   InvalidListenerError as a local hub refuses it. onError: sees a registry that failed to
 *   unlist a removed channel (default: console.error).
 */
export function sqliteBackplane(sql, { maxLen = 1000, registry, isListener, onError = console.error } = {}) {
  if (!sql || typeof sql.exec !== "function") throw new InvalidOptionError("sqliteBackplane needs SQL storage (ctx.storage.sql)");
  if (!Number.isSafeInteger(maxLen) || maxLen < 1) throw new InvalidOptionError("maxLen must be a positive integer");
  /** @type {Map<string, { epoch: number, seq: number, live: boolean }>} */
  const states = new Map();
  /**
   * One `follow` of a channel: the entries it has yet to be handed.
   * @typedef {{ pending: import("./memory.js").Entry[], scheduled: boolean,
   *   handlers: Parameters<import("./memory.js").Backplane["follow"]>[2] }} Follower
   */
  /** @type {Map<string, Set<Follower>>} */
  const followers = new Map();
  let schema = false;
  let up = true;

  /** Whether the tables exist (a read before any write finds none). */
  const hasTables = () => schema
    || (schema = sql.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'eric_log'").toArray().length > 0);

  function createTables() {
    if (hasTables()) return;
    sql.exec("CREATE TABLE IF NOT EXISTS eric_channels (channel TEXT PRIMARY KEY, epoch INTEGER NOT NULL, live INTEGER NOT NULL)");
    sql.exec("CREATE TABLE IF NOT EXISTS eric_log (channel TEXT NOT NULL, seq INTEGER NOT NULL, type TEXT NOT NULL, "
      + "target TEXT, sender TEXT, payload TEXT NOT NULL, PRIMARY KEY (channel, seq)) WITHOUT ROWID");
    schema = true;
  }

  /** The channel's state, read from disk once. @param {string} channel */
  function state(channel) {
    let found = states.get(channel);
    if (found) return found;
    found = { epoch: 0, seq: 0, live: false };
    if (hasTables()) {
      const [row] = sql.exec("SELECT epoch, live FROM eric_channels WHERE channel = ?", channel).toArray();
      if (row) {
        const [last] = sql.exec("SELECT MAX(seq) AS seq FROM eric_log WHERE channel = ?", channel).toArray();
        found = { epoch: Number(row.epoch), seq: Number(last?.seq ?? 0), live: Number(row.live) === 1 };
      }
    }
    states.set(channel, found);
    return found;
  }

  /**
   * Runs a storage operation: the engine's own refusals pass as they are; a storage failure
   * rejects with BackplaneError and tells followers the engine is down, until an operation
   * succeeds again.
   * @template T
   * @param {() => T} fn
   * @returns {T}
   */
  function guard(fn) {
    let result;
    try {
      result = fn();
    } catch (error) {
      if (error instanceof EricSseError) throw error;
      // The cached state may be ahead of what failed to be written: read it again next time.
      states.clear();
      schema = false;
      const failure = new BackplaneError(`eric-sse: the SQLite storage failed: ${/** @type {Error} */ (error)?.message ?? error}`, { cause: error });
      setUp(false, failure);
      throw failure;
    }
    setUp(true);
    return result;
  }

  /** @param {boolean} now @param {unknown} [error] */
  function setUp(now, error) {
    if (up === now) return;
    up = now;
    for (const set of followers.values()) for (const follower of set) follower.handlers.state?.(now, error);
  }

  /**
   * @param {{ epoch: number }} found
   * @param {any} row
   * @returns {import("./memory.js").Entry}
   */
  function entry(found, row) {
    const seq = Number(row.seq);
    /** @type {import("./memory.js").Entry} */
    const made = { id: `${found.epoch}-${seq}`, prev: seq > 1 ? `${found.epoch}-${seq - 1}` : null, type: row.type, payload: row.payload };
    if (row.target !== null && row.target !== undefined) made.target = row.target;
    if (row.sender !== null && row.sender !== undefined) made.sender = row.sender;
    return made;
  }

  /**
   * The kept entries after `after`, from disk: all kept when `after` is null, malformed or from
   * an earlier lifetime; none when it is ahead of the log.
   * @param {string} channel
   * @param {string | null} after
   */
  function entriesAfter(channel, after) {
    const found = state(channel);
    if (!found.live || found.seq === 0) return [];
    const parsed = parse(after);
    let from = 0;
    if (parsed && parsed[0] === found.epoch) from = parsed[1];
    else if (parsed && parsed[0] > found.epoch) return [];
    const floor = Math.max(from, found.seq - maxLen);
    return sql.exec("SELECT seq, type, target, sender, payload FROM eric_log WHERE channel = ? AND seq > ? ORDER BY seq", channel, floor)
      .toArray().map((row) => entry(found, row));
  }

  /**
   * Hands a follower what it has pending, one microtask later (in log order).
   * @param {Follower} follower
   * @param {string} channel
   */
  function schedule(follower, channel) {
    if (follower.scheduled) return;
    follower.scheduled = true;
    queueMicrotask(() => {
      follower.scheduled = false;
      if (!followers.get(channel)?.has(follower) || follower.pending.length === 0) return;
      const batch = follower.pending;
      follower.pending = [];
      follower.handlers.entries(batch);
    });
  }

  /**
   * @param {string} channel
   * @param {{ type: string, payload: string, target?: string, sender?: string }} message
   */
  function append(channel, message) {
    const found = state(channel);
    if (!found.live) throw new InvalidChannelError(`no channel ${channel}`);
    const { type, payload, target, sender } = message;
    if (target !== undefined && isListener && !isListener(channel, target)) {
      throw new InvalidListenerError(`no listener ${target} in channel ${channel}`);
    }
    if (bytes(payload) + bytes(type) + bytes(target ?? "") + bytes(sender ?? "") > MAX_ROW_BYTES) {
      throw new PayloadTooLargeError(`a message is at most ${MAX_ROW_BYTES} bytes in SQLite storage`);
    }
    const seq = found.seq + 1;
    sql.exec("INSERT INTO eric_log (channel, seq, type, target, sender, payload) VALUES (?, ?, ?, ?, ?, ?)",
      channel, seq, type, target ?? null, sender ?? null, payload);
    if (seq > maxLen) sql.exec("DELETE FROM eric_log WHERE channel = ? AND seq <= ?", channel, seq - maxLen);
    found.seq = seq;
    const made = entry(found, { seq, type, payload, target, sender });
    for (const follower of followers.get(channel) ?? []) {
      follower.pending.push(made);
      schedule(follower, channel);
    }
    return made;
  }

  /** @type {import("./memory.js").Backplane} */
  const backplane = {
    async append(channel, message) {
      return guard(() => append(channel, message));
    },
    follow(channel, start, handlers) {
      // Catches up from disk now; what is appended from here on is pushed as it comes.
      const follower = { pending: guard(() => entriesAfter(channel, start)), handlers, scheduled: false };
      if (!followers.has(channel)) followers.set(channel, new Set());
      /** @type {Set<any>} */ (followers.get(channel)).add(follower);
      schedule(follower, channel);
      return () => {
        followers.get(channel)?.delete(follower);
        if (followers.get(channel)?.size === 0) followers.delete(channel);
      };
    },
    async read(channel, start) {
      return guard(() => ({ entries: entriesAfter(channel, start), tail: tailOf(channel) }));
    },
    async tail(channel) {
      return guard(() => tailOf(channel));
    },
    async create(channel) {
      if (guard(() => state(channel).live)) return false;
      if (registry) {
        try {
          await registry.add(channel);
        } catch (error) {
          throw error instanceof EricSseError ? error
            : new BackplaneError(`eric-sse: the channel registry failed: ${/** @type {Error} */ (error)?.message ?? error}`, { cause: error });
        }
      }
      return guard(() => {
        const found = state(channel);
        if (found.live) return false; // created meanwhile
        createTables();
        const epoch = Math.max(Date.now(), found.epoch + 1);
        sql.exec("DELETE FROM eric_log WHERE channel = ?", channel);
        sql.exec("INSERT INTO eric_channels (channel, epoch, live) VALUES (?, ?, 1) "
          + "ON CONFLICT (channel) DO UPDATE SET epoch = excluded.epoch, live = 1", channel, epoch);
        states.set(channel, { epoch, seq: 0, live: true });
        return true;
      });
    },
    async remove(channel) {
      const removed = guard(() => {
        if (!state(channel).live) return false;
        // The end marker reaches every follower (they hold it pending) before the log goes.
        append(channel, { type: "_eric_channel_closed", payload: "null" });
        sql.exec("DELETE FROM eric_log WHERE channel = ?", channel);
        sql.exec("UPDATE eric_channels SET live = 0 WHERE channel = ?", channel);
        const found = state(channel);
        found.live = false;
        found.seq = 0;
        return true;
      });
      if (removed && registry) {
        try {
          await registry.remove(channel);
        } catch (error) {
          // The channel is gone (its streams ended): only its listing lingers, until it is
          // created and removed again. Not a failure of the removal, but never silent.
          onError(new BackplaneError(`eric-sse: channel ${channel} was removed but the registry failed to unlist it: ${/** @type {Error} */ (error)?.message ?? error}`, { cause: error }));
        }
      }
      return removed;
    },
    async exists(channel) {
      return guard(() => state(channel).live);
    },
    async list() {
      return guard(() => (hasTables() ? sql.exec("SELECT channel FROM eric_channels WHERE live = 1 ORDER BY rowid").toArray().map((r) => r.channel) : []));
    },
  };

  /** @param {string} channel */
  function tailOf(channel) {
    const found = state(channel);
    return found.live && found.seq > 0 ? `${found.epoch}-${found.seq}` : null;
  }

  return backplane;
}
