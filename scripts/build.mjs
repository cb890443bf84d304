// Builds the package: Rust → wasm32 (release, size profile) → wasm-bindgen --target web →
// wasm-opt -Oz (binaryen from npm) into pkg/. Steps whose inputs did not change are skipped.
import { copyFileSync, existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { bin, mtime, root, run } from "./lib.mjs";
import { setup } from "./setup.mjs";

const FEATURES = [
  "--enable-bulk-memory", "--enable-nontrapping-float-to-int", "--enable-sign-ext",
  "--enable-mutable-globals", "--enable-reference-types", "--enable-multivalue",
  // The parser's SIMD128 code (.cargo/config.toml builds wasm32 with +simd128).
  "--enable-simd",
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
  const tmp = join(root, "target", "eric_sse_bg.opt.wasm");
  run(bin("wasm-opt"), ["-Oz", ...FEATURES, out, "-o", tmp]);
  copyFileSync(tmp, out);
}

if (import.meta.url === `file://${process.argv[1]}`) build();
