// Loading on an engine without WebAssembly SIMD128 (Safari before 16.4, old Chromium): the one
// .wasm is built with SIMD128 and cannot compile there, and every way of loading it must say so
// with a WasmLoadError instead of a bare CompileError or the bundler recipe of a missing file.
// No engine we test on lacks SIMD128, so this process makes its WebAssembly look like one that
// does: `validate` refuses SIMD modules and compiling fails as such an engine's does. Its own
// process (node --test runs each file apart): nothing here ever instantiates the .wasm.
import { test } from "node:test";
import { equal, match, ok, rejects, throws } from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

const bytes = readFileSync(new URL("../../pkg/eric_sse_bg.wasm", import.meta.url));
const real = { validate: WebAssembly.validate, Module: WebAssembly.Module, compile: WebAssembly.compile };

/** The package's .wasm, or (for the engine without SIMD128) a module with a SIMD instruction:
 * the loader's probe is the only other module that could use one here. Node's own modules (Node
 * 20 compiles undici's HTTP parser on first use) compile as usual. */
const ours = (source) => source?.byteLength === bytes.byteLength;
const probe = (source) => source?.byteLength === 31 && new Uint8Array(source.buffer ?? source, source.byteOffset ?? 0)[26] === 0xfd;

/** Runs `fn` on an engine whose WebAssembly has SIMD128 or not; compiling the package's .wasm fails. */
async function onEngine({ simd }, fn) {
  const failure = () => new WebAssembly.CompileError("Compiling function #12 failed: invalid simd opcode 0xfd0f");
  WebAssembly.validate = (source) => (simd || !(ours(source) || probe(source))) && real.validate(source);
  WebAssembly.Module = /** @type {any} */ (function Module(source) {
    if (ours(source)) throw failure();
    return new real.Module(source);
  });
  WebAssembly.compile = async (source) => {
    if (ours(source)) throw failure();
    return real.compile(source);
  };
  try {
    return await fn();
  } finally {
    Object.assign(WebAssembly, real);
  }
}

const simdError = (error) => error?.name === "WasmLoadError" && /no WebAssembly SIMD128/.test(error.message)
  && error.cause instanceof WebAssembly.CompileError;

test("without SIMD128, initSync and init throw a WasmLoadError that says so", async () => {
  const { init, initSync } = await import("eric-sse/init");
  await onEngine({ simd: false }, async () => {
    throws(() => initSync({ module: bytes }), simdError);
    await rejects(init({ module_or_path: bytes }), simdError);
    await rejects(init(new URL("../../pkg/eric_sse_bg.wasm", import.meta.url)), simdError);
  });
});

test("without SIMD128, importing the Node entry (which loads on import) fails with that WasmLoadError", async () => {
  await onEngine({ simd: false }, () => rejects(import("eric-sse"), simdError));
});

test("an engine with SIMD128 whose compile fails gets the error as it was, not the SIMD one", async () => {
  const { init, initSync } = await import("eric-sse/init");
  await onEngine({ simd: true }, async () => {
    throws(() => initSync({ module: bytes }), (error) => error instanceof WebAssembly.CompileError);
    await rejects(init({ module_or_path: bytes }), (error) => {
      equal(error.name, "WasmLoadError");
      match(error.message, /could not load the \.wasm from the given bytes/);
      ok(!/SIMD128/.test(error.message), error.message);
      return true;
    });
  });
});

for (const entry of ["eric-sse", "eric-sse/channel", "eric-sse/client"]) {
  test(`importing ${entry} loads none of Node's streams (a cold import stays short)`, () => {
    // Two things would: `import … from "node:fs"` (Node's ESM view of fs reads its stream
    // getters) and reading the global TransformStream (SseParserStream links to it when first
    // made). Together about 2-3 ms of a cold import on Node 20, 5 ms on Node 24.
    const code = `await import(${JSON.stringify(entry)}); console.log(JSON.stringify(process.moduleLoadList.filter((m) => /^NativeModule (stream|internal\\/streams\\/readable|internal\\/webstreams\\/readablestream)$/.test(m))));`;
    const result = spawnSync(process.execPath, ["--input-type=module", "-e", code], { encoding: "utf8" });
    equal(result.status, 0, result.stderr);
    equal(result.stdout.trim(), "[]");
  });
}
