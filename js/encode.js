// encode(): one SSE frame as text, with the core's injection checks.

import { encodeFrame } from "../pkg/eric_sse_channel.js";
import { InvalidMessageFormatError } from "./errors.js";
import { assertReady, trapped } from "./wasm.js";

/**
 * @param {Record<string, unknown>} fields
 * @param {string} name
 * @returns {string | undefined}
 */
function text(fields, name) {
  const value = fields[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") {
    throw new InvalidMessageFormatError(`SSE field ${name} must be a string, got ${typeof value}`);
  }
  return value;
}

/**
 * Encodes `{ event, data, id, retry, comment }` as one SSE frame. Refuses CR/LF in event or id,
 * NUL in id, and a retry that is not a non-negative integer, with InvalidMessageFormatError.
 * Data and comments are split at every line ending so they round-trip exactly.
 * @param {{ event?: string, data?: string, id?: string, retry?: number, comment?: string }} fields
 * @returns {string}
 */
export function encode(fields) {
  if (fields === null || typeof fields !== "object") {
    throw new InvalidMessageFormatError("encode expects an object { event, data, id, retry, comment }");
  }
  const { retry } = fields;
  if (retry !== undefined && !(Number.isSafeInteger(retry) && retry >= 0)) {
    throw new InvalidMessageFormatError(`retry must be a non-negative integer (milliseconds), got ${retry}`);
  }
  assertReady();
  const [event, data, id, comment] = [text(fields, "event"), text(fields, "data"), text(fields, "id"), text(fields, "comment")];
  try {
    return encodeFrame(event, data, id, retry ?? -1, comment);
  } catch (error) {
    // Out of memory for a huge field: the instance trapped; a fresh one replaces it.
    throw trapped(error);
  }
}
