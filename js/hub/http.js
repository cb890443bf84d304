// The hub's HTTP plumbing: bounded JSON bodies, JSON replies, error responses and CORS.

import { EricSseError, InvalidMessageFormatError, PayloadTooLargeError, UnsupportedMediaTypeError } from "../errors.js";
import { concat } from "../stream.js";

/** @param {number} max */
const tooLarge = (max) => new PayloadTooLargeError(`the body is over ${max} bytes (limits.maxBodyBytes)`);

/** A JSON media type: application/json or any …/…+json. @param {string | null} contentType */
const isJson = (contentType) => /^application\/(?:[\w.+-]*\+)?json$/.test((contentType ?? "").split(";")[0].trim().toLowerCase());

/** JSON.parse's reviver: numbers JSON's text can hold but a double cannot (1e400) are refused,
 * not turned into null. @param {string} _key @param {unknown} value */
function finite(_key, value) {
  if (typeof value === "number" && !Number.isFinite(value)) throw new RangeError("a number out of range");
  return value;
}

/**
 * Reads a JSON object body of at most `max` bytes: 413 beyond, 415 when its Content-Type is not
 * JSON (so a cross-site form or `text/plain` post cannot run a command: a browser sends JSON
 * only after a CORS preflight), 400 when it is not a UTF-8 JSON object or could not be read (the
 * client left); an empty body is `{}` when `optional`.
 * @param {Request} request
 * @param {number} max
 * @param {boolean} optional
 * @returns {Promise<object>}
 */
export async function readJson(request, max, optional) {
  const declared = Number(request.headers.get("content-length") ?? NaN);
  if (declared > max) throw tooLarge(max);
  /** @type {Uint8Array[]} */
  const chunks = [];
  let size = 0;
  if (request.body) {
    try {
      for await (const chunk of /** @type {AsyncIterable<Uint8Array>} */ (/** @type {unknown} */ (request.body))) {
        size += chunk.byteLength;
        if (size > max) throw tooLarge(max);
        chunks.push(chunk);
      }
    } catch (error) {
      if (error instanceof EricSseError) throw error;
      throw new InvalidMessageFormatError(`the body could not be read (${/** @type {Error} */ (error)?.message ?? error})`, { cause: error });
    }
  }
  if (size === 0 && optional) return {};
  const type = request.headers.get("content-type");
  if (size > 0 && !isJson(type)) {
    throw new UnsupportedMediaTypeError(`the body must be JSON (Content-Type: application/json), got ${JSON.stringify(type ?? "")}`);
  }
  let value;
  try {
    const text = new TextDecoder("utf-8", { fatal: true }).decode(concat(chunks.length ? chunks : [new Uint8Array(0)]));
    value = JSON.parse(text, finite);
  } catch (error) {
    throw new InvalidMessageFormatError(error instanceof RangeError ? "the body holds a number out of range"
      : error instanceof TypeError ? "the body is not UTF-8" : "the body is not valid JSON");
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    throw new InvalidMessageFormatError("the body must be a JSON object");
  }
  return value;
}

/**
 * The response for an error: its class's status and `{ error: { name, message } }`; anything
 * that is not an eric-sse error is a 500 whose details stay on the server (`onError`).
 * @param {unknown} error
 */
export function errorResponse(error) {
  const known = error instanceof EricSseError;
  const status = known ? /** @type {number} */ (/** @type {any} */ (error).status) : 500;
  const body = {
    error: known && status !== 500
      ? { name: error.name, message: error.message }
      : { name: "InternalError", message: "internal error" },
  };
  const response = Response.json(body, { status });
  const allow = /** @type {any} */ (error)?.allow;
  if (status === 405 && typeof allow === "string") response.headers.set("allow", allow);
  return response;
}

/**
 * CORS headers for `cors` (true: any origin; { origin }: that one).
 * @param {boolean | { origin: string } | undefined} cors
 * @returns {Record<string, string>}
 */
export function corsHeaders(cors) {
  if (!cors) return {};
  const origin = cors === true ? "*" : cors.origin;
  return {
    "access-control-allow-origin": origin,
    "access-control-expose-headers": "x-listener-id",
    ...(origin === "*" ? {} : { vary: "origin" }),
  };
}

/** The answer to a CORS preflight. */
export function preflight() {
  return new Response(null, {
    status: 204,
    headers: {
      "access-control-allow-methods": "GET, POST, DELETE, OPTIONS",
      "access-control-allow-headers": "content-type, authorization, last-event-id",
      "access-control-max-age": "600",
    },
  });
}

/**
 * The JSON reply to a command that does not stream: REST keys, or the controller protocol's.
 * @param {import("./commands.js").Command} command
 * @param {import("./commands.js").Outcome} outcome
 * @param {boolean} viaCommand
 * @returns {[number, object]}
 */
export function reply(command, outcome, viaCommand) {
  if ("channels" in outcome) return [200, outcome];
  if ("channel" in outcome) return [201, viaCommand ? { c: outcome.channel } : { id: outcome.channel }];
  if ("listener" in outcome) return [201, viaCommand ? { r: outcome.listener } : { id: outcome.listener }];
  if ("id" in outcome) return [200, viaCommand ? { ack: true, id: outcome.id } : { id: outcome.id }];
  return [200, { ack: true }];
}
