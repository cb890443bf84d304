// Runs tests/parser.rs compiled for wasm32 with SIMD128 (.cargo/config.toml) under Node, through
// wasm-bindgen-test-runner (installed with wasm-bindgen-cli by scripts/setup.mjs): the conformance
// tests and the random differential tests then compare the UTF-16 parser's SIMD128 path with its
// scalar path and with the byte parser. Native `cargo test` runs the same tests with the block
// path's lane-by-lane form.
//
// The runner writes the test's JS glue to a temporary folder, and the crate's bindings import
// `../js/errors.js` and `../js/message.js` relative to it: TMPDIR points into target/ where a
// `js` link and a CommonJS package.json make those resolve.
import { lstatSync, mkdirSync, symlinkSync, unlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { root, run } from "./lib.mjs";

export function wasmTest() {
  const tmp = join(root, "target", "wasm-test", "tmp");
  mkdirSync(tmp, { recursive: true });
  const link = join(tmp, "js");
  if (lstatSync(link, { throwIfNoEntry: false })?.isSymbolicLink()) unlinkSync(link);
  symlinkSync(join(root, "js"), link, "dir");
  writeFileSync(join(tmp, "package.json"), '{ "type": "commonjs" }\n');
  run("cargo", ["test", "--release", "--target", "wasm32-unknown-unknown", "--test", "parser"],
    { env: { ...process.env, TMPDIR: tmp } });
}

if (import.meta.url === `file://${process.argv[1]}`) wasmTest();
