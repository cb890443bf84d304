// Redis stage (`npm test`): a real redis-server on 127.0.0.1 (Debian's, which `npm run setup`
// installs), then
// - the backplane contract (tests/behaviour/backplane.js) against redisBackplane in this process:
//   down/up = SHUTDOWN SAVE and a restart on the same port, lose = SIGKILL and a restart empty,
//   window = MAXLEN = 5;
// - the adapter's own tests (tests/redis/adapter.js);
// - three processes of examples/redis/server.js, one each in Node, Deno and Bun, on one Redis,
//   read over HTTP (tests/redis/processes.mjs).
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { root, systemNode } from "../../scripts/lib.mjs";
import { freePort } from "../../scripts/workerd.mjs";
import { backplaneTests } from "../behaviour/backplane.js";
import { adapterTests, until } from "./adapter.js";
import { runProcesses } from "./processes.mjs";
import { REDIS_SERVER, startRedis } from "./redis-server.mjs";

/** Fails a test that hangs instead of hanging the stage. */
const within = (ms, promise) => Promise.race([promise, new Promise((_, reject) => {
  setTimeout(() => reject(new Error(`no result within ${ms / 1000} s`)), ms).unref();
})]);

/** Every module a file imports, recursively (relative specifiers), and the bare ones. */
function importGraph(entry, seen = new Set(), bare = new Set()) {
  if (seen.has(entry)) return { seen, bare };
  seen.add(entry);
  // Comments out (JSDoc names modules in type imports), code kept.
  const text = readFileSync(entry, "utf8").replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  for (const [, spec] of text.matchAll(/(?:from\s*|import\s*\(\s*|import\s+)["']([^"']+)["']/g)) {
    if (spec.startsWith(".")) importGraph(join(dirname(entry), spec), seen, bare);
    else bare.add(spec);
  }
  return { seen, bare };
}

/** The package's shape: a subpath with its types, an optional peer, main entries without Redis. */
function checkPackage(report) {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const sub = pkg.exports["./redis"];
  report("redis: package.json exports eric-sse/redis (types and module) and @redis/client as an optional peer",
    sub?.types === "./redis.d.ts" && sub?.default === "./dist/redis.js" && pkg.files.includes("redis.d.ts")
      && pkg.peerDependencies?.["@redis/client"] && pkg.peerDependenciesMeta?.["@redis/client"]?.optional === true,
    JSON.stringify({ sub, peer: pkg.peerDependencies }));
  for (const entry of ["entry-node.js", "entry-deno.js", "entry-web.js", "entry-workerd.js"]) {
    const { seen, bare } = importGraph(join(root, "js", entry));
    const redis = [...seen].map((f) => relative(root, f)).filter((f) => f.includes("redis"));
    report(`redis: js/${entry} never imports the Redis backplane or client`,
      seen.size > 5 && redis.length === 0 && ![...bare].some((b) => b.includes("redis")), `${redis} ${[...bare]}`);
  }
  // The bundles: only dist/redis.js imports the client.
  const meta = JSON.parse(readFileSync(join(root, "target", "dist-meta.json"), "utf8"));
  const importers = Object.entries(meta.outputs)
    .filter(([, output]) => output.imports.some((i) => i.external && i.path.includes("redis")))
    .map(([file]) => file);
  report("redis: of the bundles in dist/, only dist/redis.js imports @redis/client", importers.join() === "dist/redis.js",
    importers.join());
  const tsc = spawnSync(systemNode(), [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tests/redis"],
    { cwd: root, encoding: "utf8" });
  report("redis: redis.d.ts declares exactly what js/backplane/redis.js exports (tsc -p tests/redis)", tsc.status === 0,
    tsc.stdout + tsc.stderr);
}

export async function runRedis(report) {
  checkPackage(report);
  if (!existsSync(REDIS_SERVER)) {
    report(`redis: ${REDIS_SERVER} is installed (npm run setup installs Debian's redis-server)`, false);
    return;
  }
  const lib = await import("../../js/entry-node.js");
  const { redisBackplane } = await import("../../js/backplane/redis.js");
  const { createClient } = await import("@redis/client");
  const redis = await startRedis("redis");
  const made = [];
  const make = (options = {}) => {
    const backplane = redisBackplane({
      url: redis.url, prefix: "contract:", maxLen: 5, trim: "exact", retryMaxMs: 200, blockMs: 2000, ...options,
    });
    made.push(backplane);
    return backplane;
  };
  const raw = createClient({ url: redis.url, RESP: 2 });
  raw.on("error", () => {});
  const run = async (label, list, ctx) => {
    for (const { name, fn } of list) {
      try {
        await within(30000, fn(ctx));
        report(`${label}: ${name}`, true);
      } catch (error) {
        report(`${label}: ${name}`, false, `${error?.name}: ${error?.message}`);
      }
    }
  };
  try {
    const contract = {
      make,
      down: async (backplane) => {
        await redis.down();
        await until(() => !backplane.up, "the backplane to see Redis go");
      },
      up: async (backplane) => {
        await redis.up();
        await until(() => backplane.up, "the backplane to reconnect");
      },
      // The contract's loss is one without an outage (FLUSHALL); a restart without persistence,
      // with its down/up notices, is in adapter.js and processes.mjs.
      lose: () => redis.ask("FLUSHALL"),
      window: 5,
    };
    await run("redis backplane contract", backplaneTests.map(({ name, fn }) => ({ name, fn: (ctx) => fn(lib, ctx) })), contract);
    await raw.connect();
    await run("redis adapter", adapterTests, { lib, redisBackplane, redis, raw, make, startRedis, freePort });
    await runProcesses(lib, redis, ["node", "deno", "bun"], report);
  } finally {
    await Promise.all(made.map((b) => b.close()));
    raw.destroy();
    await redis.stop();
  }
}
