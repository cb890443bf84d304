// workerd client stage: serves tests/workerd/client-worker.js with the real workerd, allowed to
// reach loopback addresses (the default network service refuses them), and runs the client
// tests inside it against the SSE test server (127.0.0.1 and 127.0.0.2).
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { root } from "../../scripts/lib.mjs";
import { freePort, serveConfig } from "../../scripts/workerd.mjs";
import { startSseTestServer } from "../sse-server.mjs";

const files = (dir, ext) => readdirSync(join(root, dir)).filter((f) => f.endsWith(ext)).map((f) => `${dir}/${f}`);

function config(dir) {
  const modules = ["tests/workerd/client-worker.js", ...files("tests/behaviour", ".js"), ...files("js", ".js"), ...files("js/hub", ".js"),
    "pkg/eric_sse.js", "pkg/eric_sse_bg.wasm"];
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
