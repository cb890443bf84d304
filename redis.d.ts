// Types of `eric-sse/redis` (js/backplane/redis.js): the Redis Streams backplane, for Node,
// Deno and Bun. Needs the optional peer dependency `@redis/client`.
import type { Backplane } from "./index.js";

export interface RedisBackplaneOptions {
  /** `redis[s]://[[user][:password]@]host[:port][/db]` (default redis://127.0.0.1:6379; `rediss:` is TLS). */
  url?: string;
  /**
   * More options for `createClient` of `@redis/client`, passed through: `username`, `password`,
   * `database`, `name`, `socket: { tls: true, ca, cert, key, servername, connectTimeout, … }`,
   * `credentialsProvider`. `RESP` and `disableOfflineQueue` are the backplane's own.
   */
  redis?: Record<string, any>;
  /** Prepended to every key: `<prefix>channels` (the registry set), `<prefix>ch:<channel>` (one stream per channel). Default "eric-sse:". */
  prefix?: string;
  /** Entries kept per channel: the replay window across processes (default 1000). */
  maxLen?: number;
  /** `MAXLEN ~` ("approximate", the default: cheaper, keeps at least maxLen) or `MAXLEN =` ("exact"). */
  trim?: "approximate" | "exact";
  /** How long one XREAD blocks (default 5000 ms). */
  blockMs?: number;
  /** A command not answered by then fails with BackplaneError (default 5000 ms). */
  commandTimeoutMs?: number;
  /** Cap of the reconnection backoff (50 ms doubling, default cap 2000 ms). */
  retryMaxMs?: number;
  /** How long a removed channel's stream, ending with the end marker, stays for followers to read it (default 60000 ms). */
  removeGraceMs?: number;
  /** Entries read per stream per XREAD (default 1000). */
  batch?: number;
  /** Sees the connections' errors (default: none). */
  onError?: (error: unknown) => void;
}

export interface RedisBackplane extends Backplane {
  /** True while the connections to Redis are ready. */
  readonly up: boolean;
  /** The key prefix in use. */
  readonly prefix: string;
  /** Closes the connections: followers hear nothing more, commands reject with BackplaneError. */
  close(): Promise<void>;
}

/**
 * A backplane on Redis Streams (Redis ≥ 6.2, one server or a primary; not Redis Cluster): one
 * stream per channel, ids assigned by Redis, each entry carrying its predecessor's id so that
 * continuity is proven, one blocking reader per process, automatic bounded reconnection.
 */
export function redisBackplane(options?: RedisBackplaneOptions): RedisBackplane;

/** Orders two stream ids `ms-seq` (negative when `a` comes first). */
export function compareIds(a: string, b: string): number;
