// Deno entry: the .wasm is read from the package and instantiated synchronously on import.
import { initSync } from "../pkg/eric_sse.js";

initSync({ module: Deno.readFileSync(new URL("../pkg/eric_sse_bg.wasm", import.meta.url)) });

export * from "./api.js";
