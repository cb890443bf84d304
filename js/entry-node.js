// Node entry: the .wasm is read from the package and instantiated synchronously on import.
import { readFileSync } from "node:fs";
import { WasmLoadError } from "./errors.js";
import { initSync } from "./wasm.js";

const url = new URL("../pkg/eric_sse_bg.wasm", import.meta.url);
let bytes;
try {
  bytes = readFileSync(url);
} catch (cause) {
  throw new WasmLoadError(`eric-sse: cannot read ${url.pathname}: keep "eric-sse" external in a Node bundle `
    + "(esbuild --packages=external), or import from \"eric-sse/init\" and call initSync({ module: bytes })", { cause });
}
initSync(bytes);

export * from "./api.js";
