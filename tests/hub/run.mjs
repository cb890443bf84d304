// Hub stage: the same protocol and attack tests (tests/behaviour/hub.js, attack.js) over HTTP against
// examples/cloudflare served by the real workerd and examples/deno served by real Deno.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { bin, node24, root, systemNode } from "../../scripts/lib.mjs";
import { freePort, serveConfig, waitForServer } from "../../scripts/workerd.mjs";
import { attackTests } from "../behaviour/attack.js";
import { hubTests } from "../behaviour/hub.js";

const TOKEN = "test-token";

async function runAgainst(label, server, report) {
  const ctx = { request: (path, init) => fetch(`${server.url}${path}`, init) };
  try {
    for (const { name, fn } of [...hubTests, ...attackTests]) {
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

/** The examples' configs list the package's modules by hand: each must list what dist/workerd.js
 * loads (its chunks, from the build's metafile) and the .wasm. */
function checkModuleList(config, report) {
  const text = readFileSync(config, "utf8");
  const listed = new Set([...text.matchAll(/embed "\.\.\/\.\.\/((?:dist|pkg)\/[^"]+)"/g)].map((m) => m[1]));
  const { outputs } = JSON.parse(readFileSync(join(root, "target", "dist-meta.json"), "utf8"));
  const wanted = new Set(["pkg/eric_sse_bg.wasm"]);
  const visit = (out) => {
    if (wanted.has(out)) return;
    wanted.add(out);
    for (const i of outputs[out].imports) if (!i.external) visit(i.path);
  };
  visit("dist/workerd.js");
  const missing = [...wanted].filter((f) => !listed.has(f));
  report(`${config.slice(root.length + 1)} lists dist/workerd.js, every chunk it loads and the .wasm`, missing.length === 0,
    `add: ${missing.join(", ")}`);
}

export async function runHubExamples(report) {
  const config = join(root, "examples", "cloudflare", "config.capnp");
  checkModuleList(config, report);
  checkModuleList(join(root, "examples", "cloudflare-durable", "config.capnp"), report);
  await runAgainst("workerd examples/cloudflare", await serveConfig(config, { env: { HUB_TOKEN: TOKEN } }), report);

  const port = await freePort();
  const deno = spawn(bin("deno"), ["run", "--allow-net", "--allow-env", "--allow-read", "examples/deno/server.js"], {
    cwd: root, stdio: ["ignore", "ignore", "inherit"],
    env: { ...process.env, HUB_TOKEN: TOKEN, PORT: String(port), NO_COLOR: "1" },
  });
  await runAgainst("deno examples/deno", await waitForServer(deno, `http://127.0.0.1:${port}`, "deno"), report);

  // examples/node: the hub behind node:http through nodeListener, in Node 20 and 24 and in the
  // node:http of Bun and Deno.
  const nodeHttp = [
    ["node 20", systemNode(), []], ["node 24", node24, []], ["bun", bin("bun"), []],
    ["deno", bin("deno"), ["run", "--allow-net", "--allow-env", "--allow-read"]],
  ];
  for (const [label, cmd, args] of nodeHttp) {
    const nodePort = await freePort();
    const server = spawn(cmd, [...args, "examples/node/server.js"], {
      cwd: root, stdio: ["ignore", "ignore", "inherit"],
      env: { ...process.env, HUB_TOKEN: TOKEN, PORT: String(nodePort), NO_COLOR: "1" },
    });
    await runAgainst(`${label} examples/node`, await waitForServer(server, `http://127.0.0.1:${nodePort}`, label), report);
  }
}
