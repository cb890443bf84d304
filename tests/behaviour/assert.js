// Tiny assertions that run in every runtime (Node, Deno, workerd, browsers): no node:assert.

export class AssertionError extends Error {
  name = "AssertionError";
}

const show = (v) => {
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
};

export function ok(value, message = "expected a truthy value") {
  if (!value) throw new AssertionError(message);
}

export function equal(actual, expected, message = "") {
  if (show(actual) !== show(expected) || typeof actual !== typeof expected) {
    throw new AssertionError(`${message} expected ${show(expected)}, got ${show(actual)}`.trim());
  }
}

/** Runs fn, expects it to throw an instance of Class named `Class.name`; returns the error. */
export function throws(fn, Class, message = "") {
  try {
    fn();
  } catch (error) {
    checkError(error, Class, message);
    return error;
  }
  throw new AssertionError(`${message} expected ${Class.name} to be thrown`.trim());
}

export async function rejects(promise, Class, message = "") {
  try {
    await promise;
  } catch (error) {
    checkError(error, Class, message);
    return error;
  }
  throw new AssertionError(`${message} expected a rejection with ${Class.name}`.trim());
}

function checkError(error, Class, message) {
  if (!(error instanceof Class) || !(error instanceof Error) || error.name !== Class.name) {
    throw new AssertionError(`${message} expected ${Class.name}, got ${error?.name}: ${error?.message}`.trim());
  }
}

/**
 * Message ids are `<epoch>-<seq>` (the epoch differs per channel lifetime); tests compare the
 * sequence: `seq("1795764418452-3")` is 3, and `norm(text)` rewrites every id in SSE text and
 * JSON to its sequence, so expected texts can say `id: 3`.
 */
export const seq = (id) => Number(String(id).split("-")[1]);
export const norm = (text) => text.replace(/(id: |"oldestId":"|lastEventId":")\d+-(\d+)/g, "$1$2");

const decoder = new TextDecoder();

/** Reads a byte stream to its end; returns the chunks as strings. */
export async function readChunks(stream) {
  const chunks = [];
  for await (const chunk of stream) {
    ok(chunk instanceof Uint8Array, "streams yield Uint8Array chunks");
    chunks.push(decoder.decode(chunk));
  }
  return chunks;
}

/** Reads one chunk from a reader as a string (null when the stream ended). */
export async function readText(reader) {
  const { value, done } = await reader.read();
  return done ? null : decoder.decode(value);
}

export const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));

/** `promise`, or an AssertionError when it has not settled within `ms`: a promise left pending
 * fails its test instead of hanging the runner. */
export function settles(promise, ms, what) {
  let timer;
  const late = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new AssertionError(`${what} did not settle within ${ms} ms`)), ms);
  });
  return Promise.race([promise, late]).finally(() => clearTimeout(timer));
}

/** The error `promise` rejects with (fails when it fulfils). */
export async function failure(promise) {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new AssertionError("expected a rejection");
}
