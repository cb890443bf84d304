// Size and start-up (issue 15 item 6): what each entry makes a runtime load, what a consumer's
// bundle keeps, and how long a cold `import` takes in a fresh Node process.
//
//   wasm           pkg/eric_sse_bg.wasm, raw and gzipped
//   per entry      dist/node[-channel|-client].js and every chunk it imports (esbuild's metafile,
//                  target/dist-meta.json), each gzipped on its own as a server would send it
//   consumer       `esbuild --bundle --minify` of a one-line app importing from the packed exports
//                  map (the wasm stays external), gzipped
//   cold import    a fresh Node process per sample (system Node 20 and Node 24), the time of
//                  `await import(spec)` alone, samples interleaved with the anchors
//                  eventsource-parser and better-sse; median and minimum
//
// `node bench/size.mjs` prints the figures; `npm run bench` puts them in its table.
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { bin, node24, root, systemNode } from "../scripts/lib.mjs";

const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;
const file = (path) => readFileSync(join(root, path));

/** The dist files `entry` loads (itself and its static chunk imports), from esbuild's metafile. */
function closure(entry) {
  const { outputs } = JSON.parse(file("target/dist-meta.json").toString());
  const seen = new Set();
  const visit = (path) => {
    if (seen.has(path) || !outputs[path]) return;
    seen.add(path);
    for (const { path: next, kind } of outputs[path].imports) if (kind === "import-statement") visit(next);
  };
  visit(entry);
  return [...seen];
}

/** Bytes and gzipped bytes of what `import "eric-sse<subpath>"` loads in Node (JS only). */
function entrySize(name) {
  const files = closure(`dist/${name}.js`);
  const raw = files.reduce((n, f) => n + file(f).length, 0);
  const zipped = files.reduce((n, f) => n + gz(file(f)), 0);
  return { files: files.length, raw, zipped };
}

/** A consumer's minified esbuild bundle of `source` (importing eric-sse), gzipped. */
function consumerBundle(source) {
  // Inside the package, so "eric-sse/…" resolves through its own exports map (self-reference).
  const dir = mkdtempSync(join(root, "target", "size-"));
  try {
    const input = join(dir, "app.js");
    writeFileSync(input, source);
    const out = join(dir, "out.js");
    const result = spawnSync(bin("esbuild"), [input, "--bundle", "--minify", "--format=esm", "--platform=browser",
      "--conditions=browser", "--external:*.wasm", `--outfile=${out}`, "--log-level=error"], { cwd: root, encoding: "utf8" });
    if (result.status !== 0) throw new Error(`esbuild: ${result.stderr}`);
    const bytes = readFileSync(out);
    return { raw: bytes.length, zipped: gz(bytes) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Milliseconds of `await import(spec)` in a fresh process of `node`. */
function coldImport(node, spec) {
  const code = `const t = performance.now(); await import(${JSON.stringify(spec)}); console.log(performance.now() - t);`;
  const result = spawnSync(node, ["--input-type=module", "-e", code], { cwd: root, encoding: "utf8" });
  if (result.status !== 0) throw new Error(`import ${spec}: ${result.stderr.slice(-500)}`);
  return Number(result.stdout.trim());
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Cold-import times (median, min) per spec, samples interleaved. */
function coldImports(node, specs, samples) {
  const times = Object.fromEntries(specs.map((s) => [s, []]));
  for (let i = 0; i < samples; i += 1) for (const spec of specs) times[spec].push(coldImport(node, spec));
  return Object.fromEntries(specs.map((s) => [s, { median: median(times[s]), min: Math.min(...times[s]) }]));
}

export const IMPORT_SPECS = ["eric-sse/channel", "eric-sse/client", "eric-sse", "eventsource-parser", "better-sse"];

export function benchSize({ quick = false } = {}) {
  const wasm = file("pkg/eric_sse_bg.wasm");
  const samples = quick ? 5 : 21;
  return {
    wasm: { raw: wasm.length, zipped: gz(wasm) },
    entries: { channel: entrySize("node-channel"), client: entrySize("node-client"), full: entrySize("node") },
    consumer: {
      channel: consumerBundle('import { Channel } from "eric-sse/channel";\nconsole.log(new Channel());\n'),
      client: consumerBundle('import { connect } from "eric-sse/client";\nconsole.log(connect);\n'),
    },
    imports: {
      node20: { version: spawnSync(systemNode(), ["--version"], { encoding: "utf8" }).stdout.trim(),
        times: coldImports(systemNode(), IMPORT_SPECS, samples) },
      node24: { version: spawnSync(node24, ["--version"], { encoding: "utf8" }).stdout.trim(),
        times: coldImports(node24, IMPORT_SPECS, samples) },
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(benchSize({ quick: process.argv.includes("--quick") }), null, 2));
}
