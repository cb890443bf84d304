// workerd client stage: serves tests/workerd/client-worker.js with the real workerd, allowed to
// reach loopback addresses (the default network service refuses them), and runs the client
// tests inside it against the SSE test server (127.0.0.1 and 127.0.0.2).
import { mkdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { root } from "../../scripts/lib.mjs";
import { freePort, modulesUnder, packageModules, serveConfig } from "../../scripts/workerd.mjs";
import { startSseTestServer } from "../sse-server.mjs";

function config(dir) {
  const modules = ["tests/workerd/client-worker.js", ...modulesUnder("tests/behaviour"), ...packageModules()];
  const line = (name) => `    (name = "${name}", ${name.endsWith(".wasm") ? "wasm" : "esModule"} = embed "${relative(dir, join(root, name))}"),`;
  return [
    'using Workerd = import "/workerd/workerd.capnp";',
    "const config :Workerd.Config = (",
    "  services = [",
    '    (name = "main", worker = .worker),',
    '    (name = "internet", network = (allow = ["local"])),',
    "  ],",
    '  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), service = "main") ],',
    ");",
    "const worker :Workerd.Worker = (",
    "  modules = [",
    ...modules.map(line),
    "  ],",
    '  compatibilityDate = "2025-09-01",',
    ");",
  ].join("\n");
}

export async function runWorkerdClient(report) {
  const dir = join(root, "test-output", "workerd", "client");
  mkdirSync(dir, { recursive: true });
  const configPath = join(dir, "config.capnp");
  writeFileSync(configPath, config(dir));
  const sse = await startSseTestServer();
  const worker = await serveConfig(configPath);
  try {
    const dead = `http://127.0.0.1:${await freePort()}/sse`;
    const query = new URLSearchParams({ server: sse.url, dead });
    const results = await (await fetch(`${worker.url}/client?${query}`)).json();
    for (const r of results) report(`workerd client: ${r.name}`, r.ok, r.error);
    report("workerd client: the client tests ran in full", results.length > 40, `${results.length} results`);
  } finally {
    await worker.stop();
    await sse.close();
  }
}
