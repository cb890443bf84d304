// Types for `eric-sse/init`, the manual-init entry (browsers, Web Workers, service workers,
// bundles): the whole API, plus `init` and `initSync`, which only this entry exports. Call one of
// them before anything else; the API throws NotInitializedError until then.
import type { Bytes, WasmModule } from "./index.js";

export * from "./index.js";

/** Where the .wasm comes from: a URL (string or URL), a Request or Response, bytes, or a compiled Module. */
export type InitInput = string | URL | Request | Response | Bytes | WasmModule;

/**
 * Fetches (file: URLs are read from disk in Node, Deno and Bun), compiles and instantiates the
 * .wasm; by default eric_sse_bg.wasm next to the package's glue, which a bundler may not copy:
 * see the README's "Bundlers" section. Resolves once the API is usable; calling it again does
 * nothing. @throws WasmLoadError naming the URL tried.
 */
export function init(input?: { module_or_path?: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>): Promise<void>;

/** Instantiates synchronously from bytes or a compiled Module (what a WorkerPool posts). */
export function initSync(input: { module: Bytes | WasmModule } | Bytes | WasmModule): void;
