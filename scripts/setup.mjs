// Installs what building and testing need, skipping whatever is already in place:
// the wasm32 Rust target, wasm-bindgen-cli at the version pinned in Cargo.toml, the npm dev
// dependencies, and (with --browser, as `npm test` asks) Debian's chromium and redis-server (also
// alone with --redis). Safe to run again: it only checks then.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { mtime, output, pinnedBindgen, root, run } from "./lib.mjs";

export function setup({ browser = false, redis = browser } = {}) {
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
  let updated = false;
  if (browser && !existsSync("/usr/bin/chromium")) {
    console.log("setup: installing Debian's chromium for the browser tests");
    run("apt-get", ["update"]);
    updated = true;
    run("apt-get", ["install", "-y", "chromium"]);
  }
  if (redis && !existsSync("/usr/bin/redis-server")) {
    console.log("setup: installing Debian's redis-server for the Redis backplane tests");
    if (!updated) run("apt-get", ["update"]);
    run("apt-get", ["install", "-y", "redis-server"]);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const browser = process.argv.includes("--browser");
  setup({ browser, redis: browser || process.argv.includes("--redis") });
}
