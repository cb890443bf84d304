// workerd (Cloudflare Workers) entry: the .wasm is imported as a compiled module (workerd does
// not compile wasm from bytes at run time) and instantiated on import. The build makes one
// bundle per subset from this file (see entry-node.js).
import wasmModule from "../pkg/eric_sse_bg.wasm";
import { initSync } from "./wasm.js";

initSync(wasmModule);

export * from "./api.js";
