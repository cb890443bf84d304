// Node entry: the .wasm is read from the package and instantiated synchronously on import.
// The build makes one bundle per subset from this file (dist/node.js, node-channel.js,
// node-client.js: "./api.js" becomes "./api-channel.js" or "./api-client.js").
import { WasmLoadError } from "./errors.js";
import { compiledModule, initSync } from "./wasm.js";

if (!compiledModule()) {
  // Not `import … from "node:fs"`: Node's ESM view of a builtin reads every export, and fs's
  // stream getters load all of node:stream (the channel entry's cold import: 13.5 → 12.2 ms on
  // Node 20, 10.5 → 7.2 ms on Node 24, medians of 25 interleaved; tests/node/load.test.mjs).
  const { readFileSync } = process.getBuiltinModule("node:fs");
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
