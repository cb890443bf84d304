// Loads the one .wasm and remembers its compiled WebAssembly.Module, so a WorkerPool can post
// it to workers instead of having each worker fetch and compile it again.

import { initSync as instantiate } from "../pkg/eric_sse.js";
import { NotInitializedError, WasmLoadError } from "./errors.js";

/** @type {WebAssembly.Module | null} */
let compiled = null;

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
  const source = input?.module ?? input;
  if (compiled) return;
  const module = source instanceof WebAssembly.Module ? source : new WebAssembly.Module(source);
  instantiate({ module });
  compiled = module;
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
