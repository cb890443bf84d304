// createHub(): channels over HTTP as one `fetch(request) → Response` handler (Cloudflare Workers,
// Deno.serve, service workers, Node adapters), the eric-sse controller protocol on POST /command,
// and the same command decoder on a MessagePort or BroadcastChannel.

import { Channel, Listener, concat } from "./channel.js";
import {
  ChannelClosedError, EricSseError, InvalidChannelError, InvalidListenerError,
  InvalidMessageFormatError, QueueOverflowError,
} from "./errors.js";

/** An error the hub answers with: `status` and a JSON body `{ error: { name, message } }`. */
export class HubError extends EricSseError {
  constructor(status, name, message) {
    super(message);
    this.status = status;
    this.name = name;
  }
}

const STATUS = new Map([
  [InvalidChannelError, 404], [InvalidListenerError, 404], [InvalidMessageFormatError, 400],
  [QueueOverflowError, 429], [ChannelClosedError, 409],
]);

function statusOf(error) {
  if (error instanceof HubError) return error.status;
  for (const [Class, status] of STATUS) if (error instanceof Class) return status;
  return 500;
}

/** A container of channels by id (eric-sse's channel container). */
export class ChannelContainer {
  #channels = new Map();

  add(channel) {
    if (this.#channels.has(channel.id)) throw new InvalidChannelError(`channel ${channel.id} already exists`);
    this.#channels.set(channel.id, channel);
    return channel;
  }

  get(id) {
    const channel = this.#channels.get(id);
    if (!channel) throw new InvalidChannelError(`no channel ${String(id)}`);
    return channel;
  }

  /** Ends the channel (its streams close with _eric_channel_closed) and forgets it. */
  remove(id) {
    this.get(id).notifyEnd();
    this.#channels.delete(id);
  }

  ids() {
    return [...this.#channels.keys()];
  }

  get size() {
    return this.#channels.size;
  }
}

const VERBS = {
  d: "dispatch", b: "broadcast", c: "createChannel", r: "addListener",
  rl: "removeListener", rc: "removeChannel", l: "listen", w: "watch",
};

const text = (value, name) => {
  if (value !== undefined && typeof value !== "string") {
    throw new InvalidMessageFormatError(`"${name}" must be a string`);
  }
  return value;
};
const required = (value, name) => {
  if (typeof value !== "string" || value === "") {
    throw new InvalidMessageFormatError(`missing "${name}"`);
  }
  return value;
};

/** Reads a JSON body of at most `max` bytes; 413 beyond, 400 when it is not JSON. */
async function readJson(request, max, { optional = false } = {}) {
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > max) throw tooLarge(max);
  const chunks = [];
  let size = 0;
  if (request.body) {
    for await (const chunk of request.body) {
      size += chunk.byteLength;
      if (size > max) throw tooLarge(max);
      chunks.push(chunk);
    }
  }
  if (size === 0 && optional) return {};
  let value;
  try {
    value = JSON.parse(new TextDecoder().decode(concat(chunks)));
  } catch {
    throw new InvalidMessageFormatError("the body is not valid JSON");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new InvalidMessageFormatError("the body must be a JSON object");
  }
  return value;
}

const tooLarge = (max) => new HubError(413, "PayloadTooLargeError", `the body is over ${max} bytes (limits.maxBodyBytes)`);

/**
 * createHub({ authorize, limits, cors, channelOptions }) → { fetch, channels, execute, connectPort }
 * - authorize(request, { action, channel, listener }) → true, false (403) or 401/403.
 * - limits: maxBodyBytes (65536), maxChannels (1000), maxListenersPerChannel (10000).
 * - cors: true (any origin) or { origin: "https://…" }.
 * - channelOptions: options for every channel the hub creates.
 * - onError(error, request): called for every error answered with 500 (default: console.error).
 */
/** @param {import("../index.js").HubOptions} [options] */
export function createHub({ authorize, limits = {}, cors, channelOptions = {}, onError = logError } = {}) {
  const max = {
    bodyBytes: limits.maxBodyBytes ?? 65536,
    channels: limits.maxChannels ?? 1000,
    listeners: limits.maxListenersPerChannel ?? 10000,
  };
  const channels = new ChannelContainer();

  async function allow(request, action, channel, listener) {
    if (!authorize) return;
    const verdict = await authorize(request, { action, channel, listener });
    if (verdict === true) return;
    const status = verdict === 401 ? 401 : 403;
    throw new HubError(status, status === 401 ? "UnauthorizedError" : "ForbiddenError", `not allowed to ${action}`);
  }

  function newListener(channel, id) {
    if (channel.listenerIds().length >= max.listeners) {
      throw new HubError(429, "LimitExceededError", `channel ${channel.id} has ${max.listeners} listeners (limits.maxListenersPerChannel)`);
    }
    return channel.registerListener(new Listener(id === undefined ? {} : { id }));
  }

  function message(body) {
    const type = required(body.type ?? body.t, "type");
    const payload = body.payload !== undefined ? body.payload : body.p;
    const size = JSON.stringify(payload ?? null).length;
    if (size > max.bodyBytes) throw tooLarge(max.bodyBytes);
    return { type, payload };
  }

  /** Runs one controller-protocol command; `request` is what authorize sees. */
  async function execute(command, request) {
    if (command === null || typeof command !== "object") throw new InvalidMessageFormatError("a command is a JSON object");
    const verb = required(command.v, "v");
    const action = VERBS[verb];
    if (!action) throw new InvalidMessageFormatError(`unknown verb "${verb}" (d, b, c, r, rl, rc, l, w)`);
    const c = verb === "c" ? text(command.c, "c") : required(command.c, "c");
    const r = ["d", "rl", "l"].includes(verb) ? required(command.r, "r") : undefined;
    const msg = verb === "d" || verb === "b" ? message({ type: command.t, payload: command.p }) : undefined;
    await allow(request, action, c, r);
    switch (verb) {
      case "c": return { c: createChannel(c).id };
      case "rc": channels.remove(c); return { ack: true };
      case "r": return { r: newListener(channels.get(c)).id };
      case "rl": channels.get(c).removeListener(r); return { ack: true };
      case "d": return { ack: true, id: channels.get(c).dispatch(r, msg.type, msg.payload) };
      case "b": return { ack: true, id: channels.get(c).broadcast(msg.type, msg.payload) };
      case "l": return { listen: { channel: channels.get(c), listener: channels.get(c).getListener(r).id } };
      default: { // w
        const channel = channels.get(c);
        return { listen: { channel, listener: newListener(channel).id } };
      }
    }
  }

  function createChannel(id) {
    if (id !== undefined && channels.ids().includes(id)) {
      throw new HubError(409, "InvalidChannelError", `channel ${id} already exists`);
    }
    if (channels.size >= max.channels) {
      throw new HubError(429, "LimitExceededError", `the hub holds ${max.channels} channels (limits.maxChannels)`);
    }
    return channels.add(new Channel({ ...channelOptions, ...(id === undefined ? {} : { id }) }));
  }

  /** Streams a listener as SSE; a reconnection to a listener that left re-registers its id. */
  function sse(request, channel, listenerId, lastEventId) {
    const known = channel.listenerIds().includes(listenerId);
    if (!known && !lastEventId) throw new InvalidListenerError(`no listener ${listenerId} in channel ${channel.id}`);
    if (!known) newListener(channel, listenerId);
    return channel.response(listenerId, { request, lastEventId, headers: { "x-listener-id": listenerId } });
  }

  async function route(request) {
    const url = new URL(request.url);
    const parts = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    const method = request.method;
    const lastEventId = request.headers.get("last-event-id") ?? url.searchParams.get("lastEventId") ?? undefined;
    const json = (body, status = 200) => Response.json(body, { status });

    if (parts[0] === "command" && parts.length === 1) {
      if (method !== "POST") throw notAllowed("POST");
      const result = await execute(await readJson(request, max.bodyBytes), request);
      if (!result.listen) return json(result, result.c || result.r ? 201 : 200);
      const { channel, listener } = result.listen;
      return sse(request, channel, listener, lastEventId);
    }
    if (parts[0] !== "channels") throw new HubError(404, "NotFoundError", `no route ${url.pathname}`);
    const [, c, sub, l, leaf] = parts;
    if (parts.length === 1) {
      if (method === "GET") return json({ channels: channels.ids() });
      if (method !== "POST") throw notAllowed("GET, POST");
      const body = await readJson(request, max.bodyBytes, { optional: true });
      const id = text(body.id, "id");
      await allow(request, "createChannel", id);
      return json({ id: createChannel(id).id }, 201);
    }
    if (parts.length === 2) {
      if (method !== "DELETE") throw notAllowed("DELETE");
      await allow(request, "removeChannel", c);
      channels.remove(c);
      return json({ ack: true });
    }
    if (sub === "messages" && parts.length === 3) {
      if (method !== "POST") throw notAllowed("POST");
      const msg = message(await readJson(request, max.bodyBytes));
      await allow(request, "broadcast", c);
      return json({ id: channels.get(c).broadcast(msg.type, msg.payload) });
    }
    if (sub === "events" && parts.length === 3) {
      if (method !== "GET") throw notAllowed("GET");
      await allow(request, "watch", c);
      const channel = channels.get(c);
      return sse(request, channel, newListener(channel).id);
    }
    if (sub !== "listeners") throw new HubError(404, "NotFoundError", `no route ${url.pathname}`);
    if (parts.length === 3) {
      if (method !== "POST") throw notAllowed("POST");
      await allow(request, "addListener", c);
      return json({ id: newListener(channels.get(c)).id }, 201);
    }
    if (parts.length === 4) {
      if (method !== "DELETE") throw notAllowed("DELETE");
      await allow(request, "removeListener", c, l);
      channels.get(c).removeListener(l);
      return json({ ack: true });
    }
    if (leaf === "messages" && parts.length === 5) {
      if (method !== "POST") throw notAllowed("POST");
      const msg = message(await readJson(request, max.bodyBytes));
      await allow(request, "dispatch", c, l);
      return json({ id: channels.get(c).dispatch(l, msg.type, msg.payload) });
    }
    if (leaf === "events" && parts.length === 5) {
      if (method !== "GET") throw notAllowed("GET");
      await allow(request, "listen", c, l);
      return sse(request, channels.get(c), l, lastEventId);
    }
    throw new HubError(404, "NotFoundError", `no route ${url.pathname}`);
  }

  const corsHeaders = (request) => {
    if (!cors) return {};
    const origin = cors === true ? "*" : cors.origin;
    return {
      "access-control-allow-origin": origin,
      "access-control-expose-headers": "x-listener-id",
      ...(origin === "*" ? {} : { vary: "origin" }),
    };
  };

  async function fetchHandler(request) {
    let response;
    if (cors && request.method === "OPTIONS") {
      response = new Response(null, {
        status: 204,
        headers: {
          "access-control-allow-methods": "GET, POST, DELETE, OPTIONS",
          "access-control-allow-headers": "content-type, authorization, last-event-id",
          "access-control-max-age": "600",
        },
      });
    } else {
      try {
        response = await route(request);
      } catch (error) {
        response = errorResponse(error);
        if (response.status === 500) report(onError, error, request);
      }
    }
    for (const [name, value] of Object.entries(corsHeaders(request))) response.headers.set(name, value);
    return response;
  }

  /** Serves commands posted on a MessagePort or BroadcastChannel: `{ id?, ...command }` in;
   * `{ id, reply }`, `{ id, error }` or, for l/w, `{ id, message }`… then `{ id, end: true }` out. */
  function connectPort(port) {
    const onMessage = async (event) => {
      const { id, ...command } = event.data ?? {};
      try {
        const result = await execute(command, undefined);
        if (!result.listen) return port.postMessage({ id, reply: result });
        const { channel, listener } = result.listen;
        port.postMessage({ id, reply: { r: listener } });
        for await (const message of channel.messages(listener)) port.postMessage({ id, message });
        port.postMessage({ id, end: true });
      } catch (error) {
        port.postMessage({ id, error: { name: error.name, message: error.message } });
      }
    };
    port.addEventListener("message", onMessage);
    port.start?.();
    return () => port.removeEventListener("message", onMessage);
  }

  return { fetch: fetchHandler, channels, execute, connectPort };
}

/** The default onError: a 500 is never silent. */
function logError(error, request) {
  console.error(`eric-sse hub: 500 for ${request?.method} ${request?.url}:`, error);
}

function report(onError, error, request) {
  try {
    onError(error, request);
  } catch (hookError) {
    console.error("eric-sse hub: onError threw:", hookError);
  }
}

const notAllowed = (allowed) => new HubError(405, "MethodNotAllowedError", `use ${allowed}`);

function errorResponse(error) {
  const status = statusOf(error);
  const body = { error: { name: error?.name ?? "Error", message: status === 500 ? "internal error" : error.message } };
  const response = Response.json(body, { status });
  if (status === 405) response.headers.set("allow", error.message.slice(4));
  return response;
}
