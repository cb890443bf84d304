// `npm test`: sets up what is missing, builds, then runs every stage and prints one closing
// line "N passed, M failed". Stages: cargo test, clippy (panic lints), the package's export
// map, the shared suite under Node 20 and Node 24 (node:test), Deno, Bun, workerd and Chromium;
// the client tests in each of them (in workerd against the SSE test server over 127.0.0.1);
// checkJs; the hub examples; and packaging (the packed tarball through real bundlers and runtimes).
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "./build.mjs";
import { bin, node24, root, systemNode } from "./lib.mjs";
import { setup } from "./setup.mjs";

let passed = 0;
let failed = 0;
const failures = [];

function report(name, ok, detail = "") {
  if (ok) {
    passed += 1;
  } else {
    failed += 1;
    failures.push(`${name}${detail ? ` — ${detail}` : ""}`);
  }
}

/** Runs a command without blocking (the SSE test server lives in this process). */
function spawnAsync(cmd, args, options) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, ...options, stdio: ["ignore", "pipe", "pipe"] });
    let text = "";
    child.stdout.on("data", (d) => { text += d; });
    child.stderr.on("data", (d) => { text += d; });
    child.on("error", (error) => resolve({ status: null, error, text }));
    child.on("close", (status) => resolve({ status, text }));
  });
}

/** Runs a command, adds the counts its output states, and prints the output on failure. */
async function stage(title, cmd, args, parse, options = {}) {
  const started = Date.now();
  const result = await spawnAsync(cmd, args, options);
  const text = result.text;
  const counts = parse(text);
  const ok = result.status === 0 && counts.failed === 0 && counts.passed > 0;
  passed += counts.passed;
  failed += counts.failed;
  if (!ok) {
    if (counts.failed === 0) report(`${title}: exit ${result.status ?? result.error}`, false);
    failures.push(`${title}: see output above`);
    process.stdout.write(text);
  }
  console.log(`${ok ? "ok  " : "FAIL"} ${title}: ${counts.passed} passed, ${counts.failed} failed (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

const sum = (text, re) => [...text.matchAll(re)].reduce((n, m) => n + Number(m[1]), 0);
const cargoCounts = (text) => ({ passed: sum(text, /(\d+) passed;/g), failed: sum(text, /(\d+) failed;/g) });
const tapCounts = (text) => ({ passed: sum(text, /^# pass (\d+)/gm), failed: sum(text, /^# fail (\d+)/gm) });
const bunCounts = (text) => ({ passed: sum(text, /^\s*(\d+) pass$/gm), failed: sum(text, /^\s*(\d+) fail$/gm) });
const denoCounts = (text) => ({ passed: sum(text, /(\d+) passed/g), failed: sum(text, /(\d+) failed/g) });
const exitOnly = (text, status) => ({ passed: 1, failed: 0, status });

async function inProcess(title, fn) {
  const before = { passed, failed };
  const started = Date.now();
  try {
    await fn(report);
  } catch (error) {
    report(`${title}: ${error?.stack ?? error}`, false);
  }
  const p = passed - before.passed;
  const f = failed - before.failed;
  console.log(`${f === 0 && p > 0 ? "ok  " : "FAIL"} ${title}: ${p} passed, ${f} failed (${((Date.now() - started) / 1000).toFixed(1)} s)`);
}

async function checkExportMap() {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  for (const path of [".", "./channel", "./client"]) {
    const conditions = Object.keys(pkg.exports[path]);
    report(`package: exports["${path}"] lists types, workerd, deno before node, node, browser, default`,
      conditions.join() === "types,workerd,deno,node,browser,default", conditions.join());
  }
  for (const condition of ["workerd", "deno", "node"]) {
    const result = spawnSync(systemNode(), [`--conditions=${condition}`, "--input-type=module", "-e",
      'console.log(import.meta.resolve("eric-sse"), import.meta.resolve("eric-sse/client"))'], { cwd: root, encoding: "utf8" });
    report(`package: the ${condition} condition resolves to dist/${condition}.js and dist/${condition}-client.js`,
      result.stdout.trim().endsWith(`/dist/${condition}.js ${pathToFileURL(join(root, "dist", `${condition}-client.js`))}`),
      result.stdout + result.stderr);
  }
  // The subsets: what each bundle exports is what its .d.ts declares (the types check the other way).
  const meta = JSON.parse(readFileSync(join(root, "target", "dist-meta.json"), "utf8"));
  /** Every source file an output pulls in, through its chunks. @param {string} out */
  const sources = (out, seen = new Set()) => {
    if (!seen.has(out)) {
      seen.add(out);
      for (const i of meta.outputs[out].imports) if (!i.external) sources(i.path, seen);
    }
    return [...seen].flatMap((o) => Object.keys(meta.outputs[o].inputs));
  };
  for (const [subset, banned] of [["channel", /^js\/(hub|pool|processing|parser|event-source|client|backplane\/(memory|sqlite|broadcast|redis))/],
    ["client", /^js\/(channel|stream|listener|action-listener|hub|pool|processing|backplane|cloudflare)/]]) {
    const declared = readFileSync(join(root, `${subset}.d.ts`), "utf8").match(/export \{([^}]*)\} from/)?.[1]
      .split(",").map((name) => name.trim()).filter(Boolean).sort() ?? [];
    const actual = Object.keys(await import(pathToFileURL(join(root, "dist", `node-${subset}.js`)).href)).sort();
    report(`package: eric-sse/${subset} exports what ${subset}.d.ts declares`, declared.join() === actual.join(),
      `declared ${declared.join()}; exported ${actual.join()}`);
    const pulled = sources(`dist/node-${subset}.js`).filter((file) => banned.test(file));
    report(`package: eric-sse/${subset} pulls in none of ${banned.source}`, pulled.length === 0, pulled.join());
  }
  // The wasm-bindgen glue is split by binding (scripts/build.mjs GLUE_PARTS): neither subset
  // loads the other's bindings or the hub's.
  const outputsOf = (out, seen = new Set()) => {
    if (!seen.has(out)) {
      seen.add(out);
      for (const i of meta.outputs[out].imports) if (!i.external) outputsOf(i.path, seen);
    }
    return [...seen];
  };
  for (const [subset, names] of [["channel", ["RawParser", "RawRoute", "decodeCommand", "matchRoute"]],
    ["client", ["RawChannel", "RawRoute", "decodeCommand", "matchRoute", "encodeFrame"]]]) {
    // `class X`, `function X`, `var X` and, in a minified declaration list, `X=class`.
    const alt = names.join("|");
    const defines = new RegExp(`(?:class|var|let|const|function)\\s+(${alt})\\b|(?<![\\w$.])(${alt})\\s*=\\s*class\\b`, "g");
    const found = outputsOf(`dist/node-${subset}.js`)
      .flatMap((out) => [...readFileSync(join(root, out), "utf8").matchAll(defines)].map((m) => `${m[1] ?? m[2]} in ${out}`));
    report(`package: what eric-sse/${subset} loads defines none of the bindings ${names.join(", ")}`, found.length === 0, found.join("; "));
  }
}

/** A consumer folder with node_modules/eric-sse → this repository, for Deno's resolution. */
function denoConsumer() {
  const dir = join(root, "test-output", "consumer");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, "node_modules"), { recursive: true });
  symlinkSync(root, join(dir, "node_modules", "eric-sse"), "dir");
  writeFileSync(join(dir, "package.json"), '{ "type": "module", "dependencies": { "eric-sse": "*" } }\n');
  writeFileSync(join(dir, "deno.test.mjs"), [
    'import * as lib from "eric-sse";',
    'import { tests } from "../../tests/behaviour/suite.js";',
    'import { clientTests } from "../../tests/behaviour/client.js";',
    "for (const { name, fn } of tests) Deno.test(name, () => fn(lib));",
    'const ctx = { server: Deno.env.get("SSE_TEST_SERVER"), deadUrl: Deno.env.get("SSE_DEAD_URL") };',
    "for (const { name, fn } of clientTests) Deno.test(`client: ${name}`, () => fn(lib, ctx));",
    'const { poolTests } = await import("../../tests/behaviour/pool.js");',
    'const tasksUrl = new URL("../../tests/workers/tasks.js", import.meta.url);',
    "const poolCtx = { inline: false, pool: (options) => new lib.WorkerPool(tasksUrl, options) };",
    "for (const { name, fn } of poolTests) Deno.test(`pool: ${name}`, () => fn(lib, poolCtx));",
    'Deno.test("the package name resolves to the deno entry", () => {',
    '  const resolved = import.meta.resolve("eric-sse");',
    '  if (!resolved.endsWith("/dist/deno.js")) throw new Error(`resolved to ${resolved}`);',
    "});", "",
  ].join("\n"));
  copyFileSync(join(root, "tests", "types", "usage.ts"), join(dir, "usage.ts"));
  return dir;
}

const started = Date.now();
setup({ browser: true });
build();
await stage("cargo test (Rust core)", "cargo", ["test", "--quiet"], cargoCounts);
await stage("cargo test wasm32 + SIMD128 under Node (tests/parser.rs: SIMD vs scalar vs byte parser)", process.execPath,
  ["scripts/wasm-test.mjs"], cargoCounts);
await stage("cargo clippy (no unwrap/expect/panic/indexing outside tests)", "cargo",
  ["clippy", "--all-targets", "--quiet", "--", "-D", "warnings"], exitOnly);
await stage("cargo clippy wasm32 (bindings)", "cargo",
  ["clippy", "--target", "wasm32-unknown-unknown", "--quiet", "--", "-D", "warnings"], exitOnly);
await inProcess("package export map", checkExportMap);

const { startSseTestServer } = await import("../tests/sse-server.mjs");
const { freePort } = await import("./workerd.mjs");
const sseServer = await startSseTestServer();
const env = { ...process.env, NO_COLOR: "1", SSE_TEST_SERVER: sseServer.url,
  SSE_DEAD_URL: `http://127.0.0.1:${await freePort()}/sse` };
const nodeArgs = ["--test", "--test-reporter=tap", "tests/node/suite.test.mjs", "tests/node/trap.test.mjs", "tests/node/sink.test.mjs", "tests/node/parser-paths.test.mjs",
  "tests/node/node-listener.test.mjs", "tests/node/load.test.mjs"];
for (const node of [systemNode(), node24]) {
  const version = spawnSync(node, ["--version"], { encoding: "utf8" }).stdout.trim();
  await stage(`Node ${version} (node:test)`, node, nodeArgs, tapCounts, { env });
}
await stage("Deno (deno test)", bin("deno"), ["test", "-A", "--no-check", "--node-modules-dir=manual", "deno.test.mjs"],
  denoCounts, { cwd: denoConsumer(), env });
await stage("Bun (bun test)", bin("bun"), ["test", "tests/bun/suite.test.mjs"], bunCounts, { env });
await sseServer.close();
await stage("TypeScript declarations (deno check of tests/types/usage.ts)", bin("deno"),
  ["check", "--node-modules-dir=manual", "usage.ts"], exitOnly, { cwd: join(root, "test-output", "consumer") });
await stage("TypeScript: checkJs over js/ and index.d.ts/JS drift (tsc -p tsconfig.json)", systemNode(),
  [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.json"], exitOnly);
const { runWorkerd } = await import("../tests/workerd/run.mjs");
await inProcess("workerd (real workerd over 127.0.0.1)", runWorkerd);
const { runWorkerdClient } = await import("../tests/workerd/client-run.mjs");
await inProcess("workerd client tests (fetch from workerd to the SSE test server)", runWorkerdClient);
const { runSoak } = await import("../tests/soak/run.mjs");
await inProcess("soak, short (aborted streams and a stalled reader against workerd and Deno; npm run soak: 100,000)", (report) => runSoak(report, { aborts: 2000 }));
const { runHubExamples } = await import("../tests/hub/run.mjs");
await inProcess("hub examples (workerd, Deno; node:http in Node 20, 24, Bun and Deno; over 127.0.0.1)", runHubExamples);
await inProcess("Durable Objects (workerd + SQLite on disk, SIGKILL/restart, wrangler dev)", (await import("../tests/durable/run.mjs")).runDurable);
await inProcess("Redis backplane (real redis-server: contract, adapter, Node + Deno + Bun processes)", (await import("../tests/redis/run.mjs")).runRedis);
await inProcess("bench, quick (npm run bench -- --quick: every scenario runs to the end; no figure is asserted)", (report) => {
  mkdirSync(join(root, "test-output"), { recursive: true });
  const out = join(root, "test-output", "bench-quick.md");
  const result = spawnSync(process.execPath, ["--expose-gc", "bench/run.mjs", "--quick", `--out=${out}`],
    { cwd: root, encoding: "utf8", timeout: 15 * 60 * 1000 });
  report("bench --quick exits 0 and writes its table", result.status === 0 && existsSync(`${out}.json`),
    `${result.error ?? ""}${(result.stderr || result.stdout || "").slice(-2000)}`);
  if (!existsSync(`${out}.json`)) return;
  const rows = JSON.parse(readFileSync(`${out}.json`, "utf8"));
  const broken = rows.filter((r) => /the scenario threw|not measured(?! with --quick)/.test(r.figures));
  report("bench --quick: no scenario threw or went unmeasured", rows.length > 0 && broken.length === 0,
    broken.map((r) => `${r.scenario}: ${r.figures}`).join("; "));
  for (const family of ["Fan-out", "Single stream", "Core:", "Memory:", "Payload", "Parse", "Pool", "Durable Objects",
    "Redis backplane", "Sockets", "Size", "Cold import"]) {
    report(`bench --quick: has its ${family} rows`, rows.some((r) => r.scenario.startsWith(family)));
  }
});
const { runBrowser } = await import("../tests/browser/run.mjs");
await inProcess("Chromium (headless, playwright-core)", runBrowser);
await inProcess("packaging (npm pack → wrangler, esbuild, Vite, Bun, Deno, Node, tsc)", (await import("../tests/packaging/run.mjs")).runPackaging);

if (failures.length) console.log(`\nFailures:\n${failures.map((f) => `  - ${f}`).join("\n")}`);
console.log(`\nall stages took ${((Date.now() - started) / 1000).toFixed(0)} s`);
console.log(`${passed} passed, ${failed} failed`);
process.exitCode = failed === 0 ? 0 : 1;
