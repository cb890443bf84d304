// Serves a Worker with the real workerd binary on 127.0.0.1. Writes a config whose module
// names mirror repository paths (the first module is the main one) and returns a handle.
import { spawn } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join, relative } from "node:path";
import { bin, root } from "./lib.mjs";

/** Every `.js` file under `dir` (a repository path), recursively, as repository paths. */
export function modulesUnder(dir) {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return modulesUnder(path);
    return entry.name.endsWith(".js") ? [path] : [];
  });
}

/** The package's modules as a Worker imports them (what `npm run build` put in dist/): the
 * workerd and web entries, the chunks they share, and the .wasm. */
export function packageModules() {
  return [...modulesUnder("dist").filter((f) => /^dist\/(workerd|web|shared)\b/.test(f)), "pkg/eric_sse_bg.wasm"];
}

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function moduleLine(dir, name) {
  const kind = name.endsWith(".wasm") ? "wasm" : "esModule";
  return `    (name = "${name}", ${kind} = embed "${relative(dir, join(root, name))}"),`;
}

/** Starts workerd serving `modules` (repository paths, main first); resolves once it answers. */
export async function serveWorker(name, modules) {
  const dir = join(root, "test-output", "workerd", name);
  mkdirSync(dir, { recursive: true });
  const config = [
    'using Workerd = import "/workerd/workerd.capnp";',
    "const config :Workerd.Config = (",
    '  services = [ (name = "main", worker = .worker) ],',
    '  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), service = "main") ],',
    ");",
    "const worker :Workerd.Worker = (",
    "  modules = [",
    ...modules.map((m) => moduleLine(dir, m)),
    "  ],",
    '  compatibilityDate = "2025-09-01",',
    '  compatibilityFlags = ["enable_request_signal"],',
    ");",
  ].join("\n");
  const configPath = join(dir, "config.capnp");
  writeFileSync(configPath, config);
  return serveConfig(configPath);
}

/** Runs `workerd serve <configPath>` with its "http" socket on a free 127.0.0.1 port. */
export async function serveConfig(configPath, { env = {} } = {}) {
  const port = await freePort();
  const child = spawn(bin("workerd"), ["serve", configPath, `--socket-addr=http=127.0.0.1:${port}`], {
    stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, ...env },
  });
  return waitForServer(child, `http://127.0.0.1:${port}`, "workerd");
}

/** Resolves { url, stop } once `url` answers; fails if the process exits or 10 s pass. */
export async function waitForServer(child, url, what) {
  const exited = new Promise((resolve) => child.once("exit", resolve));
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    try {
      await fetch(url);
      return { url, pid: child.pid, stop: () => (child.kill(), exited) };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  child.kill();
  throw new Error(`${what} did not answer within 10 s`);
}
