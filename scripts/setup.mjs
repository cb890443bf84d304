// Installs what building and testing need, skipping whatever is already in place:
// the wasm32 Rust target, wasm-bindgen-cli at the version pinned in Cargo.toml, the npm dev
// dependencies, and (with --browser, as `npm test` asks) Debian's chromium and redis-server (also
// alone with --redis; valgrind with --valgrind, as `npm run bench` asks). Safe to run again: it
// only checks then.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { mtime, output, pinnedBindgen, root, run } from "./lib.mjs";

export function setup({ browser = false, redis = browser, valgrind = false } = {}) {
  if (!output("rustup", ["target", "list", "--installed"]).includes("wasm32-unknown-unknown")) {
    run("rustup", ["target", "add", "wasm32-unknown-unknown"]);
  }
  const want = pinnedBindgen();
  if (!output("wasm-bindgen", ["--version"]).includes(want)) {
    console.log(`setup: installing wasm-bindgen-cli ${want} (a few minutes, once)`);
    run("cargo", ["install", "wasm-bindgen-cli", "--version", want, "--locked"]);
  }
  const stamp = join(root, "node_modules", ".package-lock.json");
  if (mtime(stamp) < mtime(join(root, "package.json")) || mtime(stamp) < mtime(join(root, "package-lock.json"))) {
    run("npm", [existsSync(join(root, "package-lock.json")) ? "ci" : "install", "--no-audit", "--no-fund"]);
  }
  // Debian packages: [wanted, the file that shows it is there, package, what needs it].
  const debian = [
    [browser, "/usr/bin/chromium", "chromium", "the browser tests"],
    [redis, "/usr/bin/redis-server", "redis-server", "the Redis backplane tests"],
    [valgrind, "/usr/bin/valgrind", "valgrind", "the parser's instruction counts (npm run bench)"],
  ].filter(([wanted, file]) => wanted && !existsSync(file));
  if (debian.length > 0) run("apt-get", ["update"]);
  for (const [, , name, why] of debian) {
    console.log(`setup: installing Debian's ${name} for ${why}`);
    run("apt-get", ["install", "-y", name]);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const browser = process.argv.includes("--browser");
  setup({ browser, redis: browser || process.argv.includes("--redis"), valgrind: process.argv.includes("--valgrind") });
}
