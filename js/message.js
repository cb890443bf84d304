// Messages: the exported Message/SignedMessage classes, payload → JSON text for the core, and
// the core's packed delivery ("id\ntype\nsender\npayload") → { id, type, payload, senderId }.

import { InvalidMessageFormatError } from "./errors.js";

/** A message: a type (the SSE event name) and a JSON-serializable payload. */
export class Message {
  constructor(type, payload = null) {
    this.type = type;
    this.payload = payload;
  }
}

/** A message that names the listener it comes from, so replies can go back to it. */
export class SignedMessage extends Message {
  constructor(senderId, type, payload = null) {
    super(type, payload);
    this.senderId = senderId;
  }
}

/** JSON text of a payload (`undefined` sends `null`); unserializable payloads are refused. */
export function toJson(payload) {
  if (payload === undefined) return "null";
  let json;
  try {
    json = JSON.stringify(payload);
  } catch (cause) {
    throw new InvalidMessageFormatError(`payload cannot be serialized as JSON: ${cause.message}`, { cause });
  }
  if (json === undefined) {
    throw new InvalidMessageFormatError(`payload cannot be serialized as JSON (${typeof payload})`);
  }
  return json;
}

/** A delivery as users get it. `id` is null for the library's own notices (_eric_dropped). */
export function unpack(packed) {
  const a = packed.indexOf("\n");
  const b = packed.indexOf("\n", a + 1);
  const c = packed.indexOf("\n", b + 1);
  const id = packed.slice(0, a);
  const sender = packed.slice(b + 1, c);
  const message = {
    id: id === "0" ? null : id,
    type: packed.slice(a + 1, b),
    payload: JSON.parse(packed.slice(c + 1)),
  };
  if (sender !== "") message.senderId = sender;
  return message;
}
