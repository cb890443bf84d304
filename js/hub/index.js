// createHub(): channels over HTTP as one `fetch(request) → Response` handler (Cloudflare Workers,
// Deno.serve, Bun.serve, service workers, Node adapters). Every entry — a REST route, eric-sse's
// controller protocol on POST /command, a message on a port — is decoded by the core into one
// command (src/hub/) and run by js/hub/commands.js.

import { ChannelContainer } from "./container.js";
import { Commands } from "./commands.js";
import { corsHeaders, errorResponse, preflight, readJson, reply } from "./http.js";
import { match } from "./decode.js";
import { servePort } from "./port.js";

/** The default onError: a 500 is never silent. @param {unknown} error @param {Request | undefined} request */
const logError = (error, request) => console.error(`eric-sse hub: 500 for ${request?.method ?? "port"} ${request?.url ?? "message"}:`, error);

/**
 * @param {object} [options]
 * @param {(request: Request | undefined, what: import("./commands.js").Authorization) =>
 *   boolean | 401 | 403 | Promise<boolean | 401 | 403>} [options.authorize]
 * @param {(request: Request | undefined) => string | undefined | Promise<string | undefined>} [options.principal]
 *   who a request comes from; binds the listeners it creates to it (see commands.js)
 * @param {{ maxBodyBytes?: number, maxChannels?: number, maxListenersPerChannel?: number }} [options.limits]
 * @param {boolean | { origin: string }} [options.cors]
 * @param {object} [options.channelOptions] options for every channel the hub creates
 * @param {import("../backplane/memory.js").Backplane} [options.backplane] the engine the hub's
 *   channels live in (Redis Streams, Durable Objects, memoryBackplane): its registry holds the
 *   channels, publishes go through it, listeners stay on this node
 * @param {(error: unknown, request: Request | undefined) => void} [options.onError] sees every
 *   error answered with 500 (default: console.error)
 */
export function createHub({ authorize, principal, limits, cors, channelOptions, backplane, onError: hook = logError } = {}) {
  const commands = new Commands({ authorize, principal, limits, channelOptions, backplane });
  /** @param {unknown} error @param {Request | undefined} request */
  const onError = (error, request) => {
    try {
      hook(error, request);
    } catch (hookError) {
      console.error("eric-sse hub: onError threw:", hookError);
    }
  };

  /** @param {Request} request */
  async function route(request) {
    const url = new URL(request.url);
    const matched = match(request.method, url.pathname);
    const body = matched.readsBody ? await readJson(request, commands.maxBodyBytes, !matched.bodyRequired) : {};
    const lastEventId = request.headers.get("last-event-id") ?? url.searchParams.get("lastEventId") ?? undefined;
    const { command, outcome } = await commands.run(matched, body, request, lastEventId);
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

  /** @param {object} body @param {Request} [request] */
  const runCommand = (body, request) => commands.run(match("POST", "/command"), body, request);

  return {
    fetch: fetchHandler,
    channels: commands.channels,
    /**
     * Runs one controller-protocol command (`{ v, c, r, t, p }`) as POST /command would.
     * @param {object} body
     * @param {Request} [request] what authorize sees
     */
    async execute(body, request) {
      const { command, outcome } = await runCommand(body, request);
      if ("stream" in outcome) return outcome;
      return reply(command, outcome, true)[1];
    },
    /**
     * Serves commands posted on a MessagePort or BroadcastChannel; returns a function that stops
     * it (and removes the listeners it opened).
     * @param {MessagePort | BroadcastChannel} port
     */
    connectPort(port) {
      return servePort(port, (body) => runCommand(body, undefined), onError);
    },
  };
}

export { ChannelContainer };
