// Loads the one .wasm and remembers its compiled WebAssembly.Module, so a WorkerPool can post it
// to workers instead of having each worker fetch and compile it again. Nothing that touches the
// core works before a load: `requireCore()` says so with a NotInitializedError.

import { initSync as instantiate } from "../pkg/eric_sse.js";
import { EricSseError, NotInitializedError } from "./errors.js";

/** @type {WebAssembly.Module | null} */
let compiled = null;

/** The compiled module in use, or null before init. */
export const compiledModule = () => compiled;

/** Throws NotInitializedError unless the module is loaded. */
export function requireCore() {
  if (compiled === null) {
    throw new NotInitializedError(
      "eric-sse: the WebAssembly module is not loaded yet: call `await init()` (from \"eric-sse\" in browsers, "
      + "or \"eric-sse/init\") before using the API",
    );
  }
}

/**
 * Instantiates from a compiled Module or the module's bytes, synchronously (Node, Deno,
 * workerd, workers). Takes `{ module }` or the value itself. Later calls do nothing.
 * @param {{ module: BufferSource | WebAssembly.Module } | BufferSource | WebAssembly.Module} input
 */
export function initSync(input) {
  if (compiled) return;
  const source = /** @type {any} */ (input)?.module ?? input;
  const module = source instanceof WebAssembly.Module ? source : new WebAssembly.Module(source);
  instantiate({ module });
  compiled = module;
}

/** @param {unknown} input */
async function compile(input) {
  let source = await input;
  if (source instanceof WebAssembly.Module) return source;
  let url;
  if (typeof source === "string" || source instanceof URL || (typeof Request === "function" && source instanceof Request)) {
    url = source instanceof Request ? source.url : String(source);
    try {
      source = await fetch(/** @type {any} */ (source));
    } catch (cause) {
      throw new EricSseError(`eric-sse: could not fetch the .wasm from ${url} (${/** @type {Error} */ (cause)?.message}). `
        + "Serve node_modules/eric-sse/pkg/eric_sse_bg.wasm and pass its URL to init(), or let your bundler emit it "
        + "(README: \"Bundlers and the .wasm\")", { cause });
    }
  }
  if (typeof Response === "function" && source instanceof Response) {
    if (!source.ok) {
      throw new EricSseError(`eric-sse: fetching the .wasm from ${source.url || url} failed with HTTP ${source.status}. `
        + "Serve node_modules/eric-sse/pkg/eric_sse_bg.wasm and pass its URL to init(), or let your bundler emit it "
        + "(README: \"Bundlers and the .wasm\")");
    }
    return WebAssembly.compile(await source.arrayBuffer());
  }
  return WebAssembly.compile(/** @type {BufferSource} */ (source));
}

/**
 * Fetches (by default eric_sse_bg.wasm next to the glue), compiles and instantiates. Takes
 * `{ module_or_path }` or the value itself: a URL, Request, Response, bytes or a Module.
 * @param {unknown} [input]
 */
export async function init(input) {
  if (compiled) return;
  const source = /** @type {any} */ (input)?.module_or_path ?? input ?? new URL("../pkg/eric_sse_bg.wasm", import.meta.url);
  initSync(await compile(source));
}
