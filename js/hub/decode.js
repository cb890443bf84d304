// The hub's two calls into the core (src/wasm/hub.rs), for createHub and createDurableHub alike:
// a trap in either (the instance out of memory) replaces the instance, as every channel call
// does, instead of leaving a broken one behind.

import { decodeCommand, matchRoute } from "../../pkg/eric_sse_hub.js";
import { trapped } from "../wasm.js";

/**
 * The route a method and path name.
 * @param {string} method
 * @param {string} path
 * @returns {import("../../pkg/eric_sse_hub.js").RawRoute}
 */
export function match(method, path) {
  try {
    return matchRoute(method, path);
  } catch (error) {
    throw trapped(error);
  }
}

/**
 * The command a route and its body say (typed errors for bad ones).
 * @param {import("../../pkg/eric_sse_hub.js").RawRoute} route
 * @param {object} body
 * @param {number} max the body limit, for payloads
 * @returns {import("./commands.js").Command}
 */
export function decode(route, body, max) {
  try {
    return /** @type {import("./commands.js").Command} */ (decodeCommand(route, body, max));
  } catch (error) {
    throw trapped(error);
  }
}
