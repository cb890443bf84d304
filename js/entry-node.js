// Node entry: the .wasm is read from the package and instantiated synchronously on import.
// The build makes one bundle per subset from this file (dist/node.js, node-channel.js,
// node-client.js: "./api.js" becomes "./api-channel.js" or "./api-client.js").
import { readFileSync } from "node:fs";
import { WasmLoadError } from "./errors.js";
import { compiledModule, initSync } from "./wasm.js";

if (!compiledModule()) {
  const url = new URL("../pkg/eric_sse_bg.wasm", import.meta.url);
  let bytes;
  try {
    bytes = readFileSync(url);
  } catch (cause) {
    throw new WasmLoadError(`eric-sse: cannot read ${url.pathname}: keep "eric-sse" external in a Node bundle `
      + "(esbuild --packages=external), or import from \"eric-sse/init\" and call initSync({ module: bytes })", { cause });
  }
  initSync(bytes);
}

export * from "./api.js";
