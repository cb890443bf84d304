// Loads the one .wasm and remembers its compiled WebAssembly.Module, so a WorkerPool can post
// it to workers instead of having each worker fetch and compile it again.

import { initSync as instantiate } from "../pkg/eric_sse.js";

let compiled = null;

/** The compiled module in use, or null before init. */
export const compiledModule = () => compiled;

/** Instantiates from a Module or bytes, synchronously (Node, Deno, workerd, workers). */
export function initSync(input) {
  const source = input?.module ?? input;
  if (compiled) return;
  const module = source instanceof WebAssembly.Module ? source : new WebAssembly.Module(source);
  instantiate({ module });
  compiled = module;
}

async function compile(input) {
  let source = await input;
  if (source instanceof WebAssembly.Module) return source;
  if (typeof source === "string" || source instanceof URL || (typeof Request === "function" && source instanceof Request)) {
    source = await fetch(source);
  }
  if (typeof Response === "function" && source instanceof Response) {
    if (!source.ok) throw new Error(`eric-sse: fetching the .wasm failed with HTTP ${source.status}`);
    return WebAssembly.compile(await source.arrayBuffer());
  }
  return WebAssembly.compile(source);
}

/** Fetches (by default eric_sse_bg.wasm next to the glue), compiles and instantiates. Takes
 * `{ module_or_path }` or the value itself: a URL, Request, Response, bytes or a Module. */
export async function init(input) {
  if (compiled) return;
  const source = input?.module_or_path ?? input ?? new URL("../pkg/eric_sse_bg.wasm", import.meta.url);
  initSync(await compile(source));
}
