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

/**
 * Instantiates from a Module or bytes, synchronously (Node, Deno, workerd, workers).
 * @param {any} input a Module, bytes, or `{ module }`
 */
export function initSync(input) {
  if (compiled) return;
  const source = input?.module ?? input;
  instantiate(source instanceof WebAssembly.Module ? source : new WebAssembly.Module(source));
}

/** Reads a file: URL where fetch cannot (Node, Bun), without importing `node:` modules. */
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
    const response = typeof Response === "function" && source instanceof Response;
    const tried = where ?? (response ? source.url || "a Response" : "the given bytes");
    throw new WasmLoadError(`eric-sse: could not load the .wasm from ${tried} (${cause?.message ?? cause}); ${RECIPE}`, { cause });
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
