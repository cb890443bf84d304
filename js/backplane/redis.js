// redisBackplane(): channels whose logs live in Redis Streams, for Node, Deno and Bun (the
// `eric-sse/redis` subpath; the main entries never import this file or the Redis client).
//
// One stream per channel is its log, and the stream entry id (`ms-seq`) is the message id. Every
// entry is added by one Lua script that reads the stream's last id and stores it in the entry's
// `prev` field (then XADD … MAXLEN), so whoever reads the log can prove it is continuous: a
// resume whose first entry's `prev` is not the id it resumes from, or a live entry whose `prev`
// is not the last one a replica holds, gets the core's `_eric_replay_gap` notice. That covers
// what Redis does not report reliably: entries trimmed out of the window, and a Redis that
// restarted empty (the new stream's first entry has no `prev`).
//
// Per process: one connection for commands and one blocking connection that reads every
// followed stream at once (XREAD BLOCK from each channel's cursor), handing each follower the
// entries after its own cursor. A follow that needs a read at once wakes that XREAD through a
// small per-process wake stream. Both connections reconnect by themselves with a capped
// backoff; while Redis is away commands reject with BackplaneError at once (no offline queue)
// and followers hear `state(false)`, then `state(true)` when they read again from their cursor.
// The registry of channels (for the hub) is a set.

import { createClient, TimeoutError } from "@redis/client";
import { BackplaneError, InvalidOptionError } from "../errors.js";

/** @typedef {import("./memory.js").Entry} Entry */
/** @typedef {import("./memory.js").Backplane} Backplane */

/**
 * Appends one entry: reads the stream's last id, adds the entry with it as `prev`, trims the
 * stream to the window and (un)registers the channel. A stream that does not exist (new, or
 * lost by Redis) gets an id past `floor`, the highest id this process saw for the channel, if
 * Redis's clock is behind it, so ids never go back.
 * KEYS: stream, registry. ARGV: channel, maxLen, "=" | "~", floor, "append" | "remove", graceMs,
 * then field, value, …
 */
const APPEND = `
if ARGV[5] == 'remove' and redis.call('SISMEMBER', KEYS[2], ARGV[1]) == 0 then return false end
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
local prev = ''
if last then prev = last[1] end
local id = '*'
if not last and ARGV[4] ~= '' and redis.call('EXISTS', KEYS[1]) == 0 then
  local ms = tonumber(string.match(ARGV[4], '^(%d+)-'))
  local now = redis.call('TIME')
  if ms and ms >= tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000) then
    id = string.format('%.0f-0', ms + 1)
  end
end
local command = {'XADD', KEYS[1], 'MAXLEN', ARGV[3], ARGV[2], id, 'prev', prev}
for i = 7, #ARGV do command[#command + 1] = ARGV[i] end
local added = redis.call(unpack(command))
if ARGV[5] == 'remove' then
  redis.call('SREM', KEYS[2], ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[6])
elseif redis.call('SADD', KEYS[2], ARGV[1]) == 1 then
  redis.call('PERSIST', KEYS[1])
end
return {added, prev}
`;

/** The kept entries after ARGV[1] (all when empty) and the last id, read at one instant. KEYS: stream. */
const READ = `
local entries
if ARGV[1] == '' then entries = redis.call('XRANGE', KEYS[1], '-', '+')
else entries = redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+') end
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)[1]
local tail = ''
if last then tail = last[1] end
return {entries, tail}
`;

/** Registers a channel; a removed channel's stream that is still there stays (its expiry is cancelled). KEYS: stream, registry. */
const CREATE = `
if redis.call('SADD', KEYS[2], ARGV[1]) == 0 then return 0 end
redis.call('PERSIST', KEYS[1])
return 1
`;

/** A stream id in canonical form (what the core and Redis agree on). */
const CANONICAL = /^(0|[1-9]\d{0,19})-(0|[1-9]\d{0,19})$/;

/** Orders two canonical decimal strings. @param {string} a @param {string} b */
const decimal = (a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);

/**
 * Orders two canonical ids `ms-seq` (negative when `a` comes first).
 * @param {string} a
 * @param {string} b
 */
export function compareIds(a, b) {
  const i = a.indexOf("-");
  const j = b.indexOf("-");
  return decimal(a.slice(0, i), b.slice(0, j)) || decimal(a.slice(i + 1), b.slice(j + 1));
}

/**
 * A stream entry as Redis returns it (`[id, [field, value, …]]`) → an Entry, `prev` as stored.
 * @param {[string, string[]]} raw
 * @returns {Entry}
 */
function toEntry([id, fields]) {
  /** @type {Entry} */
  const entry = { id, prev: null, type: "", payload: "" };
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const value = fields[i + 1];
    switch (fields[i]) {
      case "prev": entry.prev = value === "" ? null : value; break;
      case "type": entry.type = value; break;
      case "payload": entry.payload = value; break;
      case "target": entry.target = value; break;
      case "sender": entry.sender = value; break;
      default: break;
    }
  }
  return entry;
}

/** @param {string} text */
async function sha1(text) {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** @param {unknown} value @param {string} name @param {number} min */
function integer(value, name, min) {
  if (!Number.isSafeInteger(value) || /** @type {number} */ (value) < min) {
    throw new InvalidOptionError(`redisBackplane: ${name} must be an integer ≥ ${min}`);
  }
  return /** @type {number} */ (value);
}

/**
 * @typedef {object} RedisBackplaneOptions
 * @property {string} [url] `redis[s]://[[user][:password]@]host[:port][/db]` (default redis://127.0.0.1:6379)
 * @property {Record<string, any>} [redis] more options for `createClient` of `@redis/client`
 *   (username, password, database, name, socket: { tls, ca, cert, key, servername, connectTimeout, … })
 * @property {string} [prefix] prepended to every key (default "eric-sse:")
 * @property {number} [maxLen] entries kept per channel: the replay window (default 1000)
 * @property {"approximate" | "exact"} [trim] `MAXLEN ~` (default: cheaper, keeps at least maxLen)
 *   or `MAXLEN =` (keeps exactly maxLen)
 * @property {number} [blockMs] how long one XREAD blocks (default 5000)
 * @property {number} [commandTimeoutMs] a command not answered by then fails (default 5000)
 * @property {number} [retryMaxMs] the cap of the reconnection backoff (default 2000)
 * @property {number} [removeGraceMs] how long a removed channel's stream, ending with the end
 *   marker, stays for the followers to read it (default 60000)
 * @property {number} [batch] entries read per stream per XREAD (default 1000)
 * @property {(error: unknown) => void} [onError] sees connection errors (default: none)
 */

/**
 * A Backplane on Redis Streams (Redis ≥ 6.2; one Redis or a primary, not Redis Cluster).
 * @param {RedisBackplaneOptions} [options]
 */
export function redisBackplane(options = {}) {
  if (options === null || typeof options !== "object") throw new InvalidOptionError("redisBackplane options must be an object");
  const {
    url, redis = {}, prefix = "eric-sse:", maxLen = 1000, trim = "approximate", blockMs = 5000,
    commandTimeoutMs = 5000, retryMaxMs = 2000, removeGraceMs = 60000, batch = 1000, onError,
  } = options;
  if (typeof prefix !== "string") throw new InvalidOptionError("redisBackplane: prefix must be a string");
  if (trim !== "approximate" && trim !== "exact") throw new InvalidOptionError('redisBackplane: trim is "approximate" or "exact"');
  integer(maxLen, "maxLen", 1);
  integer(blockMs, "blockMs", 1);
  integer(commandTimeoutMs, "commandTimeoutMs", 1);
  integer(retryMaxMs, "retryMaxMs", 10);
  integer(removeGraceMs, "removeGraceMs", 1);
  integer(batch, "batch", 1);
  const trimMode = trim === "exact" ? "=" : "~";
  const registry = `${prefix}channels`;
  /** @param {string} channel */
  const streamKey = (channel) => `${prefix}ch:${channel}`;
  const wakeKey = `${prefix}wake:${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;

  const clientOptions = {
    ...(url === undefined ? {} : { url }),
    ...redis,
    RESP: /** @type {2} */ (2),
    disableOfflineQueue: true,
    socket: {
      reconnectStrategy: (/** @type {number} */ retries) => Math.min(50 * 2 ** Math.min(retries, 16), retryMaxMs)
        + Math.floor(Math.random() * Math.min(100, retryMaxMs / 4)),
      ...redis.socket,
    },
  };
  if (clientOptions.url === undefined && redis.socket?.host === undefined && redis.socket?.path === undefined) {
    clientOptions.url = "redis://127.0.0.1:6379";
  }

  let closed = false;
  /** Last id this process saw per channel (the floor for ids of a stream Redis lost). @type {Map<string, string>} */
  const seen = new Map();
  /** @param {string} channel @param {string} id */
  const saw = (channel, id) => {
    const known = seen.get(channel);
    if (known === undefined || compareIds(id, known) > 0) seen.set(channel, id);
  };

  /**
   * A client that reconnects by itself; `first` settles after its first connection attempt.
   */
  function connect() {
    const client = /** @type {any} */ (createClient(clientOptions));
    client.on("error", (/** @type {unknown} */ error) => {
      try {
        onError?.(error);
      } catch { /* the hook's own failure changes nothing */ }
    });
    const first = new Promise((resolve) => {
      client.once("ready", resolve);
      client.once("error", resolve);
    });
    client.connect().catch(() => { /* errors are events; the strategy never gives up */ });
    return { client, first };
  }

  const command = connect();

  /** @param {unknown} error */
  const failed = (error) => (error instanceof BackplaneError ? error
    : new BackplaneError(`eric-sse: Redis did not answer: ${/** @type {Error} */ (error)?.message ?? error}`, { cause: error }));

  /** @param {(string | number)[]} args */
  async function send(args) {
    if (closed) throw new BackplaneError("eric-sse: the Redis backplane is closed");
    await command.first;
    try {
      return await command.client.sendCommand(args.map(String), { timeout: commandTimeoutMs });
    } catch (error) {
      throw failed(error);
    }
  }

  /** @type {Map<string, Promise<string>>} */
  const shas = new Map();
  /** Runs a script by its SHA1, sending it whole when Redis does not have it (a new or restarted Redis). */
  async function script(/** @type {string} */ text, /** @type {string[]} */ keys, /** @type {(string | number)[]} */ args) {
    if (!shas.has(text)) shas.set(text, sha1(text));
    const sha = await shas.get(text);
    try {
      return await send(["EVALSHA", /** @type {string} */ (sha), keys.length, ...keys, ...args]);
    } catch (error) {
      if (!/NOSCRIPT/.test(/** @type {any} */ (error)?.cause?.message ?? "")) throw error;
      return send(["EVAL", text, keys.length, ...keys, ...args]);
    }
  }

  /**
   * Appends through the script; null when mode "remove" found no such channel.
   * @param {string} channel
   * @param {{ type: string, payload: string, target?: string, sender?: string }} message
   * @param {"append" | "remove"} mode
   * @returns {Promise<Entry | null>}
   */
  async function add(channel, message, mode) {
    const fields = ["type", message.type, "payload", message.payload];
    if (message.target !== undefined) fields.push("target", message.target);
    if (message.sender !== undefined) fields.push("sender", message.sender);
    const reply = await script(APPEND, [streamKey(channel), registry],
      [channel, maxLen, trimMode, seen.get(channel) ?? "", mode, removeGraceMs, ...fields]);
    if (reply === null) return null;
    const [id, prev] = /** @type {[string, string]} */ (reply);
    saw(channel, id);
    /** @type {Entry} */
    const entry = { id, prev: prev === "" ? null : prev, type: message.type, payload: message.payload };
    if (message.target !== undefined) entry.target = message.target;
    if (message.sender !== undefined) entry.sender = message.sender;
    return entry;
  }

  // ---- following: one blocking connection reads every followed stream ----

  /**
   * @typedef {object} Follower
   * @property {string | null} cursor the last id handed to it
   * @property {{ entries: (entries: Entry[]) => void, state?: (up: boolean, error?: unknown) => void }} handlers
   * @property {boolean} up the state it was last told (it assumes up)
   */
  /** @type {Map<string, Set<Follower>>} */
  const followed = new Map();
  /** @type {{ client: any, first: Promise<unknown> } | null} */
  let reader = null;
  let looping = false;
  let blocking = false;
  let readerUp = true;
  /** @type {unknown} */
  let readerError;
  let wakeCursor = "0-0";

  /** Tells every follower whose last word differs. @param {boolean} up @param {unknown} [error] */
  function setState(up, error) {
    readerUp = up;
    if (!up) readerError = error;
    for (const set of followed.values()) {
      for (const follower of set) {
        if (follower.up === up) continue;
        follower.up = up;
        try {
          follower.handlers.state?.(up, up ? undefined : error);
        } catch { /* a follower's failure is its own */ }
      }
    }
  }

  /** Wakes a blocked XREAD so it reads the followed set again (a wake entry is never missed). */
  function wake() {
    if (!blocking || closed) return;
    command.client.sendCommand(["XADD", wakeKey, "MAXLEN", "1", "*", "w", "1"], { timeout: commandTimeoutMs })
      .then(() => command.client.sendCommand(["PEXPIRE", wakeKey, String(Math.max(60000, blockMs * 4))], { timeout: commandTimeoutMs }))
      .catch(() => { /* Redis is away: the loop rebuilds its read when it is back */ });
  }

  /** Resolves when the reader is ready again, or after a bounded wait (never a tight loop). */
  function readerReady() {
    return new Promise((resolve) => {
      const client = reader?.client;
      if (!client || closed) return resolve(undefined);
      const timer = setTimeout(done, retryMaxMs + 500);
      function done() {
        clearTimeout(timer);
        client.off("ready", done);
        resolve(undefined);
      }
      client.once("ready", done);
    });
  }

  /** Hands each follower of `channel` the entries after its cursor. @param {string} channel @param {Entry[]} entries */
  function deliver(channel, entries) {
    if (entries.length === 0) return;
    saw(channel, entries[entries.length - 1].id);
    for (const follower of followed.get(channel) ?? []) {
      const cursor = follower.cursor;
      const fresh = cursor === null ? entries : entries.filter((e) => compareIds(e.id, cursor) > 0);
      if (fresh.length === 0) continue;
      follower.cursor = fresh[fresh.length - 1].id;
      try {
        follower.handlers.entries(fresh);
      } catch { /* a follower's failure is its own */ }
    }
  }

  async function loop() {
    looping = true;
    try {
      await follow();
    } finally {
      looping = false;
    }
  }

  async function follow() {
    reader ??= connect();
    await reader.first;
    while (!closed && followed.size > 0) {
      /** @type {string[]} */
      const keys = [];
      /** @type {string[]} */
      const ids = [];
      /** @type {Map<string, string>} */
      const channels = new Map();
      for (const [channel, set] of followed) {
        let from = null;
        for (const { cursor } of set) {
          if (cursor === null) { from = "0-0"; break; }
          if (from === null || compareIds(cursor, from) < 0) from = cursor;
        }
        keys.push(streamKey(channel));
        ids.push(from ?? "0-0");
        channels.set(streamKey(channel), channel);
      }
      // After a failure the first read does not block: it proves Redis is back at once.
      const block = readerUp ? ["BLOCK", String(blockMs)] : [];
      let reply;
      blocking = block.length > 0;
      try {
        reply = await reader.client.sendCommand(
          ["XREAD", "COUNT", String(batch), ...block, "STREAMS", ...keys, wakeKey, ...ids, wakeCursor],
          { timeout: blockMs + commandTimeoutMs },
        );
      } catch (error) {
        blocking = false;
        if (closed) break;
        setState(false, error);
        if (error instanceof TimeoutError) {
          // No answer on a blocking connection: it is presumed dead; a new one replaces it.
          reader.client.destroy();
          reader = connect();
          await reader.first;
        } else {
          await readerReady();
        }
        continue;
      }
      blocking = false;
      if (!readerUp) setState(true);
      for (const [key, raw] of /** @type {[string, [string, string[]][]][]} */ (reply ?? [])) {
        if (key === wakeKey) {
          if (raw.length) wakeCursor = raw[raw.length - 1][0];
          continue;
        }
        const channel = channels.get(key);
        if (channel !== undefined) deliver(channel, raw.map(toEntry));
      }
    }
  }

  /** @type {Backplane & { close(): Promise<void>, readonly up: boolean, readonly prefix: string }} */
  const backplane = {
    async append(channel, message) {
      return /** @type {Entry} */ (await add(channel, message, "append"));
    },

    follow(channel, after, handlers) {
      if (after !== null && !CANONICAL.test(after)) after = null;
      /** @type {Follower} */
      const follower = { cursor: after, handlers, up: true };
      let set = followed.get(channel);
      if (!set) followed.set(channel, (set = new Set()));
      set.add(follower);
      if (after !== null) saw(channel, after);
      if (!readerUp) {
        queueMicrotask(() => {
          if (!readerUp && set.has(follower) && follower.up) {
            follower.up = false;
            follower.handlers.state?.(false, readerError);
          }
        });
      }
      if (!looping && !closed) loop().catch((error) => onError?.(error));
      else wake();
      return () => {
        set.delete(follower);
        if (set.size === 0 && followed.get(channel) === set) followed.delete(channel);
      };
    },

    async read(channel, after) {
      // An id that is not one of ours cannot be resumed from: the whole window, after a gap notice.
      const from = after !== null && CANONICAL.test(after) ? after : "";
      const [raw, tail] = /** @type {[[string, string[]][], string]} */ (await script(READ, [streamKey(channel)], [from]));
      return { entries: raw.map(toEntry), tail: tail === "" ? null : tail };
    },

    async tail(channel) {
      const last = /** @type {[string, string[]][]} */ (await send(["XREVRANGE", streamKey(channel), "+", "-", "COUNT", 1]));
      return last.length ? last[0][0] : null;
    },

    async create(channel) {
      return (await script(CREATE, [streamKey(channel), registry], [channel])) === 1;
    },

    async remove(channel) {
      const marker = await add(channel, { type: "_eric_channel_closed", payload: "null" }, "remove");
      if (marker === null) return false;
      seen.delete(channel);
      return true;
    },

    async exists(channel) {
      return (await send(["SISMEMBER", registry, channel])) === 1;
    },

    async list() {
      return /** @type {string[]} */ (await send(["SMEMBERS", registry]));
    },

    /** True while both connections to Redis are ready. */
    get up() {
      return !closed && command.client.isReady && (reader === null || reader.client.isReady);
    },

    /** The key prefix in use. */
    get prefix() {
      return prefix;
    },

    /** Closes both connections; followers hear nothing more, commands reject. */
    async close() {
      if (closed) return;
      closed = true;
      followed.clear();
      reader?.client.destroy();
      try {
        await command.client.close();
      } catch {
        command.client.destroy();
      }
    },
  };
  return backplane;
}
