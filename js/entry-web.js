// Browser / manual-init entry: call `await init()` once before using the API. `init()` fetches
// eric_sse_bg.wasm next to the glue; pass a URL, Response, bytes or WebAssembly.Module to choose
// (`initSync` takes bytes or a Module). Worker modules import this entry too: `serve()`
// instantiates the module their pool posts.
export { init, initSync } from "./wasm.js";
export * from "./api.js";
