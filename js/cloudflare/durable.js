// createDurableHub(): the hub on Cloudflare Durable Objects. One object per channel
// (`idFromName(channel)`) is the channel's single writer: it assigns the ids, keeps the log in
// its SQLite storage (js/backplane/sqlite.js) and holds the channel's SSE connections, running
// the hub's one command path (js/hub/) for its channel. The front handler — stateless, in any
// isolate — routes each REST route and `POST /command` to the channel's object, and answers
// `GET /channels` from a directory, which is one more object of the same class (so one binding
// is all a deployment needs). The directory also enforces `limits.maxChannels`.
//
//   const hub = createDurableHub({ binding: "CHANNELS", cors: true });
//   export const ChannelObject = hub.ChannelObject;   // the class the binding names
//   export default hub;

import { sqliteBackplane } from "../backplane/sqlite.js";
import {
  BackplaneError, ForbiddenError, InvalidOptionError, LimitExceededError, UnauthorizedError,
} from "../errors.js";
import { decode, match } from "../hub/decode.js";
import { createHub } from "../hub/index.js";
import { corsHeaders, errorResponse, preflight, readJson } from "../hub/http.js";
import { newId } from "../ids.js";

/** The directory object's name: a space is never in a channel id, so no channel can take it. */
const DIRECTORY = " eric-sse directory";
/** Internal calls between objects use paths the front never forwards (no hub route matches them). */
const INTERNAL = "/_eric/";
const DEFAULT_HISTORY = 1000;

/**
 * What a Durable Object namespace binding offers that this module uses.
 * @typedef {{ idFromName(name: string): unknown, get(id: unknown): { fetch(input: Request | string, init?: RequestInit): Promise<Response> } }} Namespace
 */

/**
 * @typedef {object} DurableHubOptions the options of createHub (authorize, principal, limits,
 *   cors, channelOptions, onError) and:
 * @property {string} [binding] the name of the Durable Object namespace binding in `env` (default "CHANNELS")
 * @property {number} [history] messages kept per channel on disk, the replay window (default 1000)
 * @property {(request: Request | undefined, what: import("../hub/commands.js").Authorization) => boolean | 401 | 403 | Promise<boolean | 401 | 403>} [authorize]
 * @property {(request: Request | undefined) => string | undefined | Promise<string | undefined>} [principal]
 * @property {{ maxBodyBytes?: number, maxChannels?: number, maxListenersPerChannel?: number }} [limits]
 * @property {boolean | { origin: string }} [cors]
 * @property {object} [channelOptions]
 * @property {(error: unknown, request: Request | undefined) => void} [onError]
 */

/** @param {unknown} error @param {Request | undefined} request */
const logError = (error, request) => console.error(`eric-sse durable hub: 500 for ${request?.method ?? ""} ${request?.url ?? ""}:`, error);

/**
 * @param {DurableHubOptions | ((env: any) => DurableHubOptions)} [config] the options, or a
 *   function of the Worker's `env` returning them (for secrets and bindings)
 */
export function createDurableHub(config = {}) {
  if (config === null || (typeof config !== "object" && typeof config !== "function")) {
    throw new InvalidOptionError("createDurableHub takes options or a function of env returning them");
  }
  /** @param {any} env */
  const resolve = (env) => {
    const options = typeof config === "function" ? config(env) : config;
    const binding = options.binding ?? "CHANNELS";
    const history = options.history ?? DEFAULT_HISTORY;
    if (!Number.isSafeInteger(history) || history < 1) throw new InvalidOptionError("history must be a positive integer");
    const namespace = /** @type {Namespace | undefined} */ (env?.[binding]);
    if (!namespace || typeof namespace.idFromName !== "function") {
      throw new InvalidOptionError(`env.${binding} is not a Durable Object namespace: bind the ChannelObject class as ${binding} (or set options.binding)`);
    }
    return { ...options, binding, history, namespace, onError: options.onError ?? logError };
  };

  /**
   * The Durable Object class: one instance per channel (and one directory). Export it under the
   * class name the binding names.
   */
  class ChannelObject {
    #sql;
    #options;
    #hub;
    #directoryReady = false;

    /**
     * @param {{ storage: { sql: import("../backplane/sqlite.js").SqlLike } }} ctx
     * @param {any} env
     */
    constructor(ctx, env) {
      this.#sql = ctx.storage.sql;
      const options = resolve(env);
      this.#options = options;
      const { authorize, principal, limits, cors, channelOptions, onError, history, namespace } = options;
      /** @type {ReturnType<typeof createHub>} */
      let hub;
      const backplane = sqliteBackplane(this.#sql, {
        maxLen: history,
        registry: {
          add: (channel) => directory(namespace, "add", { channel }).then(() => undefined),
          remove: (channel) => directory(namespace, "remove", { channel }).then(() => undefined),
        },
        // This object holds every listener of its channel: a dispatch to an unknown one is refused.
        isListener: (channel, listener) => hub.channels.has(channel) && hub.channels.get(channel).hasListener(listener),
        onError: (error) => onError(error, undefined),
      });
      hub = createHub({
        authorize, principal, limits, cors, onError, backplane,
        // The replica's own history is a cache of the log: never longer than the log's window.
        channelOptions: { historySize: Math.min(256, history), ...channelOptions },
      });
      this.#hub = hub;
    }

    /** @param {Request} request */
    async fetch(request) {
      const url = new URL(request.url);
      if (url.pathname.startsWith(INTERNAL)) return this.#internal(url.pathname.slice(INTERNAL.length), request);
      return this.#hub.fetch(request);
    }

    /**
     * The directory's operations (only the object named DIRECTORY is asked).
     * @param {string} path
     * @param {Request} request
     */
    async #internal(path, request) {
      try {
        const sql = this.#sql;
        if (!this.#directoryReady) {
          sql.exec("CREATE TABLE IF NOT EXISTS eric_directory (channel TEXT PRIMARY KEY)");
          this.#directoryReady = true;
        }
        if (path === "directory/list") {
          return Response.json({ channels: sql.exec("SELECT channel FROM eric_directory ORDER BY rowid").toArray().map((r) => r.channel) });
        }
        const { channel } = /** @type {{ channel: string }} */ (await request.json());
        if (path === "directory/add") {
          const listed = sql.exec("SELECT 1 FROM eric_directory WHERE channel = ?", channel).toArray().length > 0;
          if (!listed) {
            const max = this.#options.limits?.maxChannels ?? 1000;
            const [{ count }] = sql.exec("SELECT COUNT(*) AS count FROM eric_directory").toArray();
            if (Number(count) >= max) throw new LimitExceededError(`the hub holds ${max} channels (limits.maxChannels)`);
            sql.exec("INSERT INTO eric_directory (channel) VALUES (?)", channel);
          }
          return Response.json({ ack: true });
        }
        if (path === "directory/remove") {
          sql.exec("DELETE FROM eric_directory WHERE channel = ?", channel);
          return Response.json({ ack: true });
        }
        return Response.json({ error: { name: "NotFoundError", message: `no internal route ${path}` } }, { status: 404 });
      } catch (error) {
        return errorResponse(error);
      }
    }
  }

  /**
   * The front handler: routes each request to its channel's object.
   * @param {Request} request
   * @param {any} env
   */
  async function fetchHandler(request, env) {
    let options;
    try {
      options = resolve(env);
    } catch (error) {
      // A deployment that is not set up (no binding): a 500 for the client, the reason in the log.
      logError(error, request);
      return errorResponse(new Error(String(/** @type {Error} */ (error)?.message ?? error), { cause: error }));
    }
    const { cors, onError } = options;
    if (cors && request.method === "OPTIONS") return withCors(preflight(), cors);
    try {
      const forwarded = await route(request, options);
      // The object's hub has set its own CORS headers.
      if (forwarded.object) return forwarded.response;
      return withCors(forwarded.response, cors);
    } catch (error) {
      const response = errorResponse(error);
      if (response.status === 500) {
        try {
          onError(error, request);
        } catch (hookError) {
          console.error("eric-sse durable hub: onError threw:", hookError);
        }
      }
      return withCors(response, cors);
    }
  }

  /**
   * @param {Request} request
   * @param {ReturnType<typeof resolve>} options
   * @returns {Promise<{ response: Response, object: boolean }>}
   */
  async function route(request, options) {
    const { namespace } = options;
    const max = options.limits?.maxBodyBytes ?? 65536;
    const url = new URL(request.url);
    const matched = match(request.method, url.pathname);
    if (matched.isCommand) {
      // POST /command: the body names the channel (`c`); a create without one gets a new id here.
      const body = /** @type {Record<string, unknown>} */ (await readJson(request, max, false));
      const command = decode(matched, body, max);
      const channel = command.channel ?? (body.c = newId("channel"));
      return { response: await forward(namespace, channel, rebuilt(request, body)), object: true };
    }
    const segments = url.pathname.split("/").filter((s) => s !== "");
    if (segments.length === 1) {
      if (request.method === "POST") {
        const body = /** @type {Record<string, unknown>} */ (await readJson(request, max, true));
        const command = decode(matched, body, max);
        const channel = command.channel ?? (body.id = newId("channel"));
        return { response: await forward(namespace, channel, rebuilt(request, body)), object: true };
      }
      // GET /channels: the directory lists them.
      await allow(request, "listChannels", options);
      const { channels } = await directory(namespace, "list");
      return { response: Response.json({ channels }), object: false };
    }
    // A route under /channels/:c: the core's decoder checks the ids in the path (a stand-in
    // type for routes whose body carries one) and names the channel; the body stays unread.
    const command = decode(matched, matched.bodyRequired ? { type: "t" } : {}, max);
    return { response: await forward(namespace, /** @type {string} */ (command.channel), request), object: true };
  }

  /**
   * Runs `principal` and `authorize` as the hub does, for what the front answers itself.
   * @param {Request} request
   * @param {import("../../index.js").HubAction} action
   * @param {ReturnType<typeof resolve>} options
   */
  async function allow(request, action, { authorize, principal }) {
    if (!authorize) return;
    const who = await principal?.(request);
    const verdict = await authorize(request, { action, channel: undefined, listener: undefined, principal: who, owner: undefined });
    if (verdict === true) return;
    if (verdict === 401) throw new UnauthorizedError(`not allowed to ${action}`);
    throw new ForbiddenError(`not allowed to ${action}`);
  }

  return { fetch: fetchHandler, ChannelObject };
}

/**
 * A request like `request` with a new JSON body.
 * @param {Request} request
 * @param {object} body
 */
function rebuilt(request, body) {
  const headers = new Headers(request.headers);
  headers.delete("content-length");
  headers.set("content-type", "application/json");
  return new Request(request.url, { method: request.method, headers, body: JSON.stringify(body) });
}

/**
 * Sends a request to the channel's object.
 * @param {Namespace} namespace
 * @param {string} channel
 * @param {Request} request
 */
async function forward(namespace, channel, request) {
  try {
    return await namespace.get(namespace.idFromName(channel)).fetch(request);
  } catch (error) {
    throw new BackplaneError(`eric-sse: the object of channel ${channel} could not be reached: ${/** @type {Error} */ (error)?.message ?? error}`, { cause: error });
  }
}

/**
 * Calls the directory object.
 * @param {Namespace} namespace
 * @param {"add" | "remove" | "list"} op
 * @param {object} [body]
 * @returns {Promise<any>}
 */
async function directory(namespace, op, body) {
  let response;
  let json;
  try {
    const stub = namespace.get(namespace.idFromName(DIRECTORY));
    response = await stub.fetch(`https://eric-sse.internal${INTERNAL}directory/${op}`,
      body === undefined ? undefined : { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    json = await response.json();
  } catch (error) {
    throw new BackplaneError(`eric-sse: the channel directory could not be reached: ${/** @type {Error} */ (error)?.message ?? error}`, { cause: error });
  }
  if (response.ok) return json;
  const message = json?.error?.message ?? `status ${response.status}`;
  if (response.status === 429) throw new LimitExceededError(message);
  throw new BackplaneError(`eric-sse: the channel directory answered ${response.status}: ${message}`);
}

/**
 * @param {Response} response
 * @param {boolean | { origin: string } | undefined} cors
 */
function withCors(response, cors) {
  for (const [name, value] of Object.entries(corsHeaders(cors))) response.headers.set(name, value);
  return response;
}
