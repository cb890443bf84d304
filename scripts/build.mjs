// Builds the package: Rust → wasm32 (release, size profile) → wasm-bindgen --target web →
// wasm-opt -Oz (binaryen from npm) into pkg/. Steps whose inputs did not change are skipped.
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bin, mtime, root, run } from "./lib.mjs";
import { setup } from "./setup.mjs";

const FEATURES = [
  "--enable-bulk-memory", "--enable-nontrapping-float-to-int", "--enable-sign-ext",
  "--enable-mutable-globals", "--enable-reference-types", "--enable-multivalue",
];

export function build() {
  setup();
  run("cargo", ["build", "--release", "--target", "wasm32-unknown-unknown", "--quiet"]);
  const raw = join(root, "target", "wasm32-unknown-unknown", "release", "eric_sse.wasm");
  const out = join(root, "pkg", "eric_sse_bg.wasm");
  // The glue's .d.ts lets `tsc` (tsconfig.json, checkJs) type js/ against it.
  if (mtime(out) > mtime(raw) && existsSync(join(root, "pkg", "eric_sse.d.ts"))) return;
  mkdirSync(join(root, "pkg"), { recursive: true });
  run("wasm-bindgen", ["--target", "web", "--out-dir", "pkg", raw]);
  patchGlue(join(root, "pkg", "eric_sse.js"));
  const tmp = join(root, "target", "eric_sse_bg.opt.wasm");
  run(bin("wasm-opt"), ["-Oz", ...FEATURES, out, "-o", tmp]);
  copyFileSync(tmp, out);
}

/**
 * Two changes to the glue wasm-bindgen generates (pinned in Cargo.toml, so its text is fixed;
 * every pattern must match exactly as often as expected or the build fails), so that a trapped
 * instance can be replaced (js/wasm.js):
 * - it exports `__wbg_get_imports` and `__wbg_finalize_init`, so the loader can instantiate the
 *   module again (the glue's own initSync does it once);
 * - each object is registered for finalization with the instance generation it was made in,
 *   and a finalizer frees only objects of the current instance (otherwise a pointer into the
 *   old instance's memory would be freed in the new one).
 * @param {string} path
 */
export function patchGlue(path) {
  let text = readFileSync(path, "utf8");
  const replace = (pattern, replacement, expected) => {
    const found = text.match(new RegExp(pattern.source, "g"))?.length ?? 0;
    if (found !== expected) {
      throw new Error(`patching the wasm-bindgen glue: expected ${expected} of ${pattern}, found ${found} (did wasm-bindgen change?)`);
    }
    text = text.replace(new RegExp(pattern.source, "g"), replacement);
  };
  replace(/function __wbg_finalize_init\(instance, module\) \{/, "let __wbgGeneration = 0;\nfunction __wbg_finalize_init(instance, module) {\n    __wbgGeneration += 1;", 1);
  replace(/new FinalizationRegistry\(ptr => wasm\.(__wbg_\w+_free)\(ptr, 1\)\)/,
    "new FinalizationRegistry(([ptr, generation]) => generation === __wbgGeneration && wasm.$1(ptr, 1))", 3);
  replace(/(\w+Finalization)\.register\((\w+), \2\.__wbg_ptr, \2\)/, "$1.register($2, [$2.__wbg_ptr, __wbgGeneration], $2)", 3);
  text += "\nexport { __wbg_get_imports, __wbg_finalize_init };\n";
  writeFileSync(path, text);
  const types = path.replace(/\.js$/, ".d.ts");
  writeFileSync(types, `${readFileSync(types, "utf8")}
/** Added by scripts/build.mjs (patchGlue): the imports object and the instance setup, so the loader can instantiate again. */
export function __wbg_get_imports(): WebAssembly.Imports;
export function __wbg_finalize_init(instance: WebAssembly.Instance, module: WebAssembly.Module): any;
`);
}

if (import.meta.url === `file://${process.argv[1]}`) build();
