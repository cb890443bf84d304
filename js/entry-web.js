// Browser / manual-init entry: call `await init()` once before using the API. `init()` fetches
// eric_sse_bg.wasm next to the glue; pass a URL, Response, bytes or WebAssembly.Module to choose.
export { default as init, initSync } from "../pkg/eric_sse.js";
export * from "./api.js";
