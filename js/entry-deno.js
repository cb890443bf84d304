// Deno entry: the .wasm is read from the package and instantiated synchronously on import.
// The build makes one bundle per subset from this file (see entry-node.js).
import { compiledModule, initSync } from "./wasm.js";

if (!compiledModule()) initSync(Deno.readFileSync(new URL("../pkg/eric_sse_bg.wasm", import.meta.url)));

export * from "./api.js";
