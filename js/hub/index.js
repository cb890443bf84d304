// createHub(): channels over HTTP as one `fetch(request) → Response` handler (Cloudflare Workers,
// Deno.serve, Bun.serve, service workers, Node adapters). Every entry — a REST route, eric-sse's
// controller protocol on POST /command, a message on a port — is decoded by the core into one
// command (src/hub/), authorized, and run by one `execute`.

import { decodeCommand, matchRoute } from "../../pkg/eric_sse.js";
import { Channel } from "../channel.js";
import { ForbiddenError, LimitExceededError, UnauthorizedError } from "../errors.js";
import { newId } from "../ids.js";
import { Listener } from "../listener.js";
import { assertReady } from "../wasm.js";
import { ChannelContainer } from "./container.js";
import { corsHeaders, errorResponse, preflight, readJson, reply } from "./http.js";
import { servePort } from "./port.js";

/**
 * A decoded command (src/wasm/hub.rs `decodeCommand`).
 * @typedef {object} Command
 * @property {string} action what authorize sees: listChannels, createChannel, removeChannel,
 *   addListener, removeListener, dispatch, broadcast, listen, watch
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

/** The default onError: a 500 is never silent. @param {unknown} error @param {Request | undefined} request */
const logError = (error, request) => console.error(`eric-sse hub: 500 for ${request?.method ?? "port"} ${request?.url ?? "message"}:`, error);

/**
 * @param {object} [options]
 * @param {(request: Request | undefined, what: { action: string, channel?: string, listener?: string }) =>
 *   boolean | 401 | 403 | Promise<boolean | 401 | 403>} [options.authorize]
 * @param {{ maxBodyBytes?: number, maxChannels?: number, maxListenersPerChannel?: number }} [options.limits]
 * @param {boolean | { origin: string }} [options.cors]
 * @param {object} [options.channelOptions] options for every channel the hub creates
 * @param {(error: unknown, request: Request | undefined) => void} [options.onError] sees every
 *   error answered with 500 (default: console.error)
 */
export function createHub({ authorize, limits = {}, cors, channelOptions = {}, onError: hook = logError } = {}) {
  /** @param {unknown} error @param {Request | undefined} request */
  const onError = (error, request) => {
    try {
      hook(error, request);
    } catch (hookError) {
      console.error("eric-sse hub: onError threw:", hookError);
    }
  };
  const max = {
    bodyBytes: limits.maxBodyBytes ?? 65536,
    channels: limits.maxChannels ?? 1000,
    listeners: limits.maxListenersPerChannel ?? 10000,
  };
  /** @type {ChannelContainer<Channel>} */
  const channels = new ChannelContainer();

  /**
   * @param {Request | undefined} request
   * @param {Command} command
   */
  async function allow(request, command) {
    if (!authorize) return;
    const verdict = await authorize(request, { action: command.action, channel: command.channel, listener: command.listener });
    if (verdict === true) return;
    if (verdict === 401) throw new UnauthorizedError(`not allowed to ${command.action}`);
    throw new ForbiddenError(`not allowed to ${command.action}`);
  }

  /**
   * @param {Channel} channel
   * @param {string} [id]
   */
  function newListener(channel, id) {
    if (channel.listenerCount >= max.listeners) {
      throw new LimitExceededError(`channel ${channel.id} has ${max.listeners} listeners (limits.maxListenersPerChannel)`);
    }
    return channel.registerListener(new Listener(id === undefined ? {} : { id })).id;
  }

  /** @param {string | undefined} id */
  function createChannel(id) {
    return channels.create(id ?? newId("channel"), (free) => {
      if (channels.size >= max.channels) {
        throw new LimitExceededError(`the hub holds ${max.channels} channels (limits.maxChannels)`);
      }
      return new Channel({ ...channelOptions, id: free });
    }).id;
  }

  /**
   * Runs one decoded, authorized command. `lastEventId`: a `listen` that resumes may register
   * again a listener whose stream closed, and gets the replay.
   * @param {Command} command
   * @param {string} [lastEventId]
   * @returns {Outcome}
   */
  function execute(command, lastEventId) {
    const c = /** @type {string} */ (command.channel);
    const l = /** @type {string} */ (command.listener);
    const payload = () => JSON.parse(/** @type {string} */ (command.payload));
    switch (command.action) {
      case "listChannels": return { channels: channels.ids() };
      case "createChannel": return { channel: createChannel(command.channel) };
      case "removeChannel": channels.remove(c); return { removed: true };
      case "addListener": return { listener: newListener(channels.get(c)) };
      case "removeListener": channels.get(c).removeListener(l); return { removed: true };
      case "dispatch": return { id: channels.get(c).dispatch(l, /** @type {string} */ (command.type), payload()) };
      case "broadcast": return { id: channels.get(c).broadcast(/** @type {string} */ (command.type), payload()) };
      case "listen": {
        const channel = channels.get(c);
        if (lastEventId && !channel.hasListener(l)) newListener(channel, l);
        channel.getListener(l);
        return { stream: { channel, listener: l } };
      }
      default: { // watch
        const channel = channels.get(c);
        return { stream: { channel, listener: newListener(channel) } };
      }
    }
  }

  /**
   * Decodes, authorizes and runs what a route and its body say.
   * @param {import("../../pkg/eric_sse.js").RawRoute} route
   * @param {object} body
   * @param {Request | undefined} request
   * @param {string} [lastEventId]
   */
  async function run(route, body, request, lastEventId) {
    assertReady();
    const command = /** @type {Command} */ (decodeCommand(route, body, max.bodyBytes));
    await allow(request, command);
    return { command, outcome: execute(command, lastEventId) };
  }

  /** @param {Request} request */
  async function route(request) {
    assertReady();
    const url = new URL(request.url);
    const matched = matchRoute(request.method, url.pathname);
    const body = matched.readsBody ? await readJson(request, max.bodyBytes, !matched.bodyRequired) : {};
    const lastEventId = request.headers.get("last-event-id") ?? url.searchParams.get("lastEventId") ?? undefined;
    const { command, outcome } = await run(matched, body, request, lastEventId);
    if ("stream" in outcome) {
      const { channel, listener } = outcome.stream;
      return channel.response(listener, { request, lastEventId, headers: { "x-listener-id": listener } });
    }
    const [status, json] = reply(command, outcome, matched.isCommand);
    return Response.json(json, { status });
  }

  /** @param {Request} request */
  async function fetchHandler(request) {
    let response;
    if (cors && request.method === "OPTIONS") response = preflight();
    else {
      try {
        response = await route(request);
      } catch (error) {
        response = errorResponse(error);
        if (response.status === 500) onError(error, request);
      }
    }
    for (const [name, value] of Object.entries(corsHeaders(cors))) response.headers.set(name, value);
    return response;
  }

  return {
    fetch: fetchHandler,
    channels,
    /**
     * Runs one controller-protocol command (`{ v, c, r, t, p }`) as POST /command would.
     * @param {object} body
     * @param {Request} [request] what authorize sees
     */
    async execute(body, request) {
      const { command, outcome } = await run(matchRoute("POST", "/command"), body, request);
      if ("stream" in outcome) return outcome;
      return reply(command, outcome, true)[1];
    },
    /**
     * Serves commands posted on a MessagePort or BroadcastChannel.
     * @param {MessagePort | BroadcastChannel} port
     */
    connectPort(port) {
      return servePort(port, (body) => run(matchRoute("POST", "/command"), body, undefined), onError);
    },
  };
}

export { ChannelContainer };
