// Hub stage: the same protocol tests (tests/behaviour/hub.js) over HTTP against
// examples/cloudflare served by the real workerd and examples/deno served by real Deno.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { bin, root } from "../../scripts/lib.mjs";
import { freePort, serveConfig, waitForServer } from "../../scripts/workerd.mjs";
import { hubTests } from "../behaviour/hub.js";

const TOKEN = "test-token";

async function runAgainst(label, server, report) {
  const ctx = { request: (path, init) => fetch(`${server.url}${path}`, init) };
  try {
    for (const { name, fn } of hubTests) {
      try {
        await fn(ctx);
        report(`${label}: ${name}`, true);
      } catch (error) {
        report(`${label}: ${name}`, false, `${error?.name}: ${error?.message}`);
      }
    }
  } finally {
    await server.stop();
  }
}

export async function runHubExamples(report) {
  const config = join(root, "examples", "cloudflare", "config.capnp");
  await runAgainst("workerd examples/cloudflare", await serveConfig(config, { env: { HUB_TOKEN: TOKEN } }), report);

  const port = await freePort();
  const deno = spawn(bin("deno"), ["run", "--allow-net", "--allow-env", "--allow-read", "examples/deno/server.js"], {
    cwd: root, stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, HUB_TOKEN: TOKEN, PORT: String(port), NO_COLOR: "1" },
  });
  await runAgainst("deno examples/deno", await waitForServer(deno, `http://127.0.0.1:${port}`, "deno"), report);
}
