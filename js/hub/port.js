// The hub's commands on a MessagePort or BroadcastChannel: `{ id?, ...command }` in;
// `{ id, reply }`, `{ id, error }` or, for l/w, `{ id, reply: { r } }` then `{ id, message }`…
// and `{ id, end: true }` out. Listeners a port opened with l/w end with the port.

import { EricSseError } from "../errors.js";
import { reply } from "./http.js";

/**
 * @param {MessagePort | BroadcastChannel} port
 * @param {(body: object) => Promise<{ command: import("./commands.js").Command, outcome: import("./commands.js").Outcome }>} run
 * @param {(error: unknown, request: undefined) => void} onError
 * @returns {() => void} stops serving and removes the listeners this port opened
 */
export function servePort(port, run, onError) {
  /** @type {Set<{ channel: import("../channel.js").Channel, listener: string }>} */
  const opened = new Set();
  /** @param {MessageEvent} event */
  const onMessage = async (event) => {
    const data = event.data !== null && typeof event.data === "object" ? event.data : {};
    const { id, ...body } = data;
    try {
      const { command, outcome } = await run(body);
      if (!("stream" in outcome)) return port.postMessage({ id, reply: reply(command, outcome, true)[1] });
      const stream = outcome.stream;
      opened.add(stream);
      port.postMessage({ id, reply: { r: stream.listener } });
      for await (const message of stream.channel.messages(stream.listener)) port.postMessage({ id, message });
      opened.delete(stream);
      port.postMessage({ id, end: true });
    } catch (error) {
      const known = error instanceof EricSseError && /** @type {any} */ (error).status !== 500;
      if (!known) onError(error, undefined);
      port.postMessage({ id, error: known ? { name: error.name, message: error.message } : { name: "InternalError", message: "internal error" } });
    }
  };
  const stop = () => {
    port.removeEventListener("message", /** @type {EventListener} */ (/** @type {unknown} */ (onMessage)));
    port.removeEventListener("close", stop);
    for (const { channel, listener } of opened) {
      if (channel.hasListener(listener)) channel.removeListener(listener);
    }
    opened.clear();
  };
  port.addEventListener("message", /** @type {EventListener} */ (/** @type {unknown} */ (onMessage)));
  port.addEventListener("close", stop);
  /** @type {any} */ (port).start?.();
  return stop;
}
