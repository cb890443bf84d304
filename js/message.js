// Messages: the exported Message/SignedMessage classes, the one payload serializer (`toJson`,
// also called by the wasm bindings for hub commands), and the JS twin of the core's delivery
// packing (src/pack.rs: "id LF type LF sender LF payload").

import { InvalidMessageFormatError } from "./errors.js";

/**
 * A message: a type (the SSE event name) and a JSON-serializable payload.
 * @template [P=unknown]
 */
export class Message {
  static get name() { return "Message"; } // minification renames the class
  /** @param {string} type @param {P} [payload] */
  constructor(type, payload) {
    this.type = type;
    /** @type {P} */
    this.payload = /** @type {P} */ (payload === undefined ? null : payload);
  }
}

/**
 * A message that names the listener it comes from, so replies can go back to it.
 * @template [P=unknown]
 * @extends {Message<P>}
 */
export class SignedMessage extends Message {
  static get name() { return "SignedMessage"; } // minification renames the class
  /** @param {string} senderId @param {string} type @param {P} [payload] */
  constructor(senderId, type, payload) {
    super(type, payload);
    this.senderId = senderId;
  }
}

/**
 * JSON text of a payload (`undefined` sends `null`); what JSON cannot carry is refused.
 * @param {unknown} payload
 * @returns {string}
 */
export function toJson(payload) {
  if (payload === undefined) return "null";
  let json;
  try {
    json = JSON.stringify(payload);
  } catch (cause) {
    throw new InvalidMessageFormatError(`payload cannot be serialized as JSON: ${/** @type {Error} */ (cause)?.message}`, { cause });
  }
  if (json === undefined) {
    throw new InvalidMessageFormatError(`payload cannot be serialized as JSON (${typeof payload})`);
  }
  return json;
}

/**
 * @typedef {{ id: string | null, type: string, payload: any, senderId?: string }} Delivery
 */

/**
 * A packed delivery as users get it. `id` is null for the library's notices.
 * @param {string} packed
 * @returns {Delivery}
 */
export function unpack(packed) {
  const a = packed.indexOf("\n");
  const b = packed.indexOf("\n", a + 1);
  const c = packed.indexOf("\n", b + 1);
  const id = packed.slice(0, a);
  const sender = packed.slice(b + 1, c);
  /** @type {Delivery} */
  const message = {
    id: id === "" ? null : id,
    type: packed.slice(a + 1, b),
    payload: JSON.parse(packed.slice(c + 1)),
  };
  if (sender !== "") message.senderId = sender;
  return message;
}
