// Deno entry: the .wasm is read from the package and instantiated synchronously on import.
import { initSync } from "./wasm.js";

initSync(Deno.readFileSync(new URL("../pkg/eric_sse_bg.wasm", import.meta.url)));

export * from "./api.js";
