// Loads the one .wasm and remembers its compiled WebAssembly.Module, so a WorkerPool can post
// it to workers instead of having each worker fetch and compile it again.

import { __wbg_finalize_init as finalize, __wbg_get_imports as imports } from "../pkg/eric_sse.js";
import { NotInitializedError, WasmLoadError, WasmTrapError } from "./errors.js";

/** @type {WebAssembly.Module | null} */
let compiled = null;
/** Counts instances: a new one replaces an instance that trapped (see `trapped`). */
let generation = 0;
/** @type {any} the current instance's exports */
let exports = null;

/** @param {WebAssembly.Module} module */
function instantiate(module) {
  exports = finalize(new WebAssembly.Instance(module, imports()), module);
  compiled = module;
  generation += 1;
}

/** Which instance is current: objects made by an earlier one must be rebuilt (Channel does). */
export const coreGeneration = () => generation;

/** The current instance's memory (tests use it to exhaust memory and force a trap). */
export const coreMemory = () => /** @type {WebAssembly.Memory | undefined} */ (exports?.memory);

/** Node's Buffer (also in Deno and Bun), or undefined: its native UTF-8 and UTF-16 copies. */
export const NodeBuffer = /** @type {any} */ (globalThis).Buffer;

/** Views of the current instance's memory, made again when it grows (growing detaches the
 * old buffer) or the instance is replaced: read them after `coreViews()`. */
export const views = {
  /** @type {WebAssembly.Memory | null} */ memory: null,
  /** @type {ArrayBuffer | null} */ buffer: null,
  bytes: new Uint8Array(0),
  words: new Uint32Array(0),
  /** @type {any} a Node Buffer over the memory, where there is Buffer */ node: null,
};

/** Brings `views` up to date with the memory. */
export function coreViews() {
  const memory = /** @type {WebAssembly.Memory} */ (exports?.memory);
  // Growing detaches the old buffer, so views of it read length 0: a cheap test, where the
  // `buffer` getter is a call into the engine.
  if (memory === views.memory && views.bytes.length !== 0) return;
  if (memory !== views.memory) {
    views.memory = memory;
    views.buffer = null;
  }
  const buffer = memory.buffer;
  if (buffer !== views.buffer) {
    views.buffer = buffer;
    views.bytes = new Uint8Array(buffer);
    views.words = new Uint32Array(buffer);
    views.node = typeof NodeBuffer?.from === "function" ? NodeBuffer.from(buffer) : null;
  }
}

/**
 * A copy of the `len` bytes at `at` in the core's memory, for a stream to keep: in Node a
 * Buffer (small ones come from Node's pool, as its sockets' chunks do: far cheaper than a
 * fresh ArrayBuffer), elsewhere a Uint8Array.
 * @param {number} at
 * @param {number} len
 * @returns {Uint8Array}
 */
export function copyOut(at, len) {
  coreViews();
  const bytes = views.bytes.subarray(at, at + len);
  if (!views.node) return bytes.slice();
  const copy = NodeBuffer.allocUnsafe(len);
  copy.set(bytes);
  return copy;
}

// UTF-16 → string: Node's Buffer#ucs2Slice is a copy; elsewhere TextDecoder("utf-16le") (no BOM
// stripping: a U+FEFF in the text is data), or String.fromCharCode for short texts.
const ucs2Slice = typeof NodeBuffer?.prototype?.ucs2Slice === "function" ? NodeBuffer.prototype.ucs2Slice : null;
/** @type {TextDecoder | null} */
let utf16 = null;
try {
  utf16 = new TextDecoder("utf-16le", { ignoreBOM: true });
} catch {
  utf16 = null;
}

/**
 * The string of `length` UTF-16 units at `address` in the core's memory (after `coreViews()`).
 * @param {number} address
 * @param {number} length
 */
export function textAt(address, length) {
  if (length === 0) return "";
  if (ucs2Slice && views.node) return ucs2Slice.call(views.node, address, address + 2 * length);
  const units = new Uint16Array(/** @type {ArrayBuffer} */ (views.buffer), address, length);
  if (utf16 && length > 64) return utf16.decode(units);
  let text = "";
  for (let at = 0; at < length; at += 8192) {
    text += String.fromCharCode.apply(null, /** @type {any} */ (units.subarray(at, at + 8192)));
  }
  return text;
}

const latin1Slice = typeof NodeBuffer?.prototype?.latin1Slice === "function" ? NodeBuffer.prototype.latin1Slice : null;
const ascii = new TextDecoder();

/**
 * The packed text of the delivery a RawChannel's `peek`, `take` or `peekStream` just gave
 * (`code` ≥ 0): `2n` for `n` ASCII bytes, `2n + 1` for `n` UTF-16 units the core widened
 * (`delivery` in src/wasm/channel.rs).
 * @param {{ deliveryAt(wide: boolean): number }} raw
 * @param {number} code
 * @returns {string}
 */
export function deliveryText(raw, code) {
  const wide = code % 2 === 1;
  const length = Math.floor(code / 2);
  const at = raw.deliveryAt(wide);
  coreViews();
  if (wide) return textAt(at, length);
  if (latin1Slice && views.node) return latin1Slice.call(views.node, at, at + length);
  return ascii.decode(views.bytes.subarray(at, at + length));
}

const utf8 = new TextEncoder();

/** What RawChannel's hot calls (payloadBuffer, dispatch, broadcast, poll) return when they
 * failed; the error is `raw.takeError()` (`FAILED` in src/wasm/channel.rs). */
export const FAILED = -3;

/**
 * A hot call's number, or its error thrown.
 * @param {{ takeError(): any }} raw
 * @param {number} n
 * @returns {number}
 */
export function checked(raw, n) {
  if (n === FAILED) throw raw.takeError();
  return n;
}

/**
 * Writes a payload's text as UTF-8 into the core's payload buffer (`RawChannel.payloadBuffer`)
 * and returns its length in bytes: with Buffer, one native write (SIMD in Node 22+) into room
 * for the worst case (3 bytes a unit; past 64 Ki units the exact length is measured first);
 * elsewhere `encodeInto`, in a second step for text past its first guess.
 * @param {{ payloadBuffer(units: number, len: number): number, takeError(): any }} raw
 * @param {string} text
 * @returns {number}
 */
export function writePayload(raw, text) {
  const units = text.length;
  if (NodeBuffer) {
    // Up to 64 Ki units, room for the worst case (3 bytes a unit) costs less than measuring.
    const len = units <= 65536 ? units * 3 : NodeBuffer.byteLength(text, "utf8");
    const at = checked(raw, raw.payloadBuffer(units, len));
    coreViews();
    return views.node.write(text, at, len, "utf8");
  }
  let room = units + 16;
  let at = checked(raw, raw.payloadBuffer(units, room));
  coreViews();
  const { read, written } = utf8.encodeInto(text, views.bytes.subarray(at, at + room));
  if (read === units) return written;
  room = written + (units - read) * 3;
  at = checked(raw, raw.payloadBuffer(units, room));
  coreViews();
  return written + utf8.encodeInto(text.slice(read), views.bytes.subarray(at + written, at + room)).written;
}

/**
 * What a failed call into the core should throw. A WebAssembly trap (`unreachable`, an
 * allocation the engine refused) leaves the instance unusable, so it is replaced by a fresh one
 * at once: the caller gets a WasmTrapError, every channel rebuilds itself on its next call (its
 * queues and history are gone: streams close and their clients resume with a gap notice), and
 * everything else keeps working. Other errors pass through.
 * @param {unknown} error
 * @returns {unknown}
 */
export function trapped(error) {
  if (!(error instanceof WebAssembly.RuntimeError) || compiled === null) return error;
  instantiate(compiled);
  return new WasmTrapError(`eric-sse: the WebAssembly instance trapped (${error.message}) and was replaced; `
    + "channels rebuild themselves empty (their clients resume with a gap notice)", { cause: error });
}

const RECIPE = "pass its URL or bytes: init({ module_or_path }) or initSync({ module }); "
  + "with a bundler see the README's \"Bundlers\" section (Vite: import url from \"eric-sse/eric_sse_bg.wasm?url\"; "
  + "esbuild: --loader:.wasm=file and import url from \"eric-sse/eric_sse_bg.wasm\")";

/** The compiled module in use, or null before init. */
export const compiledModule = () => compiled;

/** Throws NotInitializedError until the .wasm is instantiated (only the manual-init entry can get here). */
export function assertReady() {
  if (!compiled) {
    throw new NotInitializedError("eric-sse: call `await init()` (or initSync) from \"eric-sse/init\" before using the API");
  }
}

/** A module whose one function uses a SIMD128 instruction (`i8x16.popcnt`). */
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0,
  65, 0, 253, 15, 253, 98, 11]);

/**
 * The error for a .wasm that did not compile because the engine has no WebAssembly SIMD128 (the
 * one .wasm is built with it), or null when the engine has it.
 * @param {unknown} cause
 */
function simdMissing(cause) {
  let simd = true;
  try {
    simd = WebAssembly.validate(SIMD_PROBE);
  } catch {
    // Cannot tell: report the compile error as it is.
  }
  if (simd || !(cause instanceof WebAssembly.CompileError)) return null;
  return new WasmLoadError("eric-sse: this JavaScript engine has no WebAssembly SIMD128, which eric-sse's .wasm needs "
    + "(Node ≥ 16.4, Deno, Bun, Cloudflare Workers, Chrome ≥ 91, Firefox ≥ 89, Safari ≥ 16.4)", { cause });
}

/**
 * Instantiates from a Module or bytes, synchronously (Node, Deno, workerd, workers).
 * @param {any} input a Module, bytes, or `{ module }`
 */
export function initSync(input) {
  if (compiled) return;
  const source = input?.module ?? input;
  let module;
  try {
    module = source instanceof WebAssembly.Module ? source : new WebAssembly.Module(source);
  } catch (cause) {
    throw simdMissing(cause) ?? cause;
  }
  instantiate(module);
}

/** Reads a file: URL where fetch cannot (Node, Bun), without importing `node:` modules. @param {URL} url */
async function readFileUrl(url) {
  if (typeof Deno !== "undefined") return Deno.readFile(url);
  const fs = globalThis.process?.getBuiltinModule?.("node:fs/promises");
  return fs ? fs.readFile(url) : fetch(url);
}

/** @param {any} input */
async function compile(input) {
  let source = await input;
  if (source instanceof WebAssembly.Module) return source;
  const where = source instanceof URL || typeof source === "string" ? String(source)
    : typeof Request === "function" && source instanceof Request ? source.url : null;
  try {
    if (where !== null && where.startsWith("file:")) source = await readFileUrl(new URL(where));
    else if (where !== null) source = await fetch(source);
    if (typeof Response === "function" && source instanceof Response) {
      if (!source.ok) throw new Error(`HTTP ${source.status}`);
      source = await source.arrayBuffer();
    }
    return await WebAssembly.compile(source);
  } catch (cause) {
    const simd = simdMissing(cause);
    if (simd) throw simd;
    const response = typeof Response === "function" && source instanceof Response;
    const tried = where ?? (response ? source.url || "a Response" : "the given bytes");
    throw new WasmLoadError(`eric-sse: could not load the .wasm from ${tried} (${/** @type {Error} */ (cause)?.message ?? cause}); ${RECIPE}`, { cause });
  }
}

/** Fetches (by default eric_sse_bg.wasm next to the glue), compiles and instantiates. Takes
 * `{ module_or_path }` or the value itself: a URL, Request, Response, bytes or a Module.
 * @param {any} [input] */
export async function init(input) {
  if (compiled) return;
  const source = input?.module_or_path ?? input ?? new URL("../pkg/eric_sse_bg.wasm", import.meta.url);
  initSync(await compile(source));
}
