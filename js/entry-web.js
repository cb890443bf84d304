// Browser / manual-init entry: call `await init()` once before using the API. `init()` fetches
// eric_sse_bg.wasm from the package (pkg/, beside the glue); pass a URL, Response, bytes or
// WebAssembly.Module to choose (`initSync` takes bytes or a Module). Worker modules import this
// entry too: `serve()` instantiates the module their pool posts. Every entry exports init and
// initSync (the API modules do); in the runtime entries they find the .wasm loaded already.
export * from "./api.js";
