// shareChannel(): one channel across the contexts a BroadcastChannel reaches — a page's tabs and
// workers of one origin, worker_threads of a Node process, Deno's workers. Live only: there is
// no engine, so there is no history beyond each context's own and no order across senders.
//
// What it gives: a message published in one context reaches the listeners of every context
// sharing the name, each sender's messages in the order it sent them. What it does not: each
// context numbers its messages itself (ids differ between contexts, and a Last-Event-ID is only
// good where it was issued), messages from different senders may interleave differently in
// different contexts, and a context that was not listening when a message went out never gets
// it. For one order, history and replay across nodes, use a backplane (Redis Streams, Durable
// Objects).

import { InvalidOptionError } from "../errors.js";
import { toJson } from "../message.js";

/**
 * @typedef {object} SharedChannel
 * @property {(type: string, payload?: unknown) => string} publish to every context's listeners;
 *   returns this context's id for it
 * @property {(listenerId: string, type: string, payload?: unknown, options?: { senderId?: string }) => string | undefined}
 *   publishTo to the listener wherever it is: this context's id when it is here, undefined when
 *   it was sent on to the others
 * @property {() => void} close stops sharing
 */

/**
 * Shares `channel` with every context that shares a channel under the same name.
 * @param {import("../channel.js").Channel} channel
 * @param {{ name?: string }} [options] the BroadcastChannel name (default `eric-sse:<channel id>`)
 * @returns {SharedChannel}
 */
export function shareChannel(channel, { name = `eric-sse:${channel.id}` } = {}) {
  if (typeof globalThis.BroadcastChannel !== "function") {
    throw new InvalidOptionError("shareChannel needs BroadcastChannel, which this runtime does not have");
  }
  const bus = new BroadcastChannel(name);
  bus.onmessage = ({ data }) => {
    if (data === null || typeof data !== "object" || typeof data.type !== "string" || typeof data.json !== "string") return;
    try {
      const payload = JSON.parse(data.json);
      if (typeof data.target !== "string") channel.broadcast(data.type, payload);
      else if (channel.hasListener(data.target)) {
        channel.dispatch(data.target, data.type, payload, data.senderId === undefined ? undefined : { senderId: data.senderId });
      }
    } catch (error) {
      // A refusal here (a full queue under policy "error", the channel ended) concerns this
      // context only; the sender's own delivery already succeeded.
      console.error(`eric-sse: a message shared on ${name} was refused here:`, error);
    }
  };
  return {
    // The payload travels as its JSON text, the form every context's listeners get it in
    // (a structured clone would differ: toJSON, Buffers, class instances), and a payload JSON
    // cannot carry is refused here, before any context delivers it.
    publish(type, payload) {
      const json = toJson(payload);
      const id = channel.broadcast(type, payload);
      bus.postMessage({ type, json });
      return id;
    },
    publishTo(listenerId, type, payload, options) {
      if (channel.hasListener(listenerId)) return channel.dispatch(listenerId, type, payload, options);
      bus.postMessage({ type, json: toJson(payload), target: listenerId, senderId: options?.senderId });
      return undefined;
    },
    close() {
      bus.close();
    },
  };
}
