// Packaging stage: packs the package as npm would publish it, installs the tarball into a
// scratch app (.cache/packaging/app, reinstalled only when the tarball changes), copies the
// fixture projects (tests/packaging/fixtures/<tool>) and the TypeScript projects (tests/types)
// into it, then builds and runs each for real: wrangler dev, esbuild (browser page, module
// service worker, Node bundles), Vite (build + preview: page, Web Worker, WorkerPool), webpack, Bun,
// Deno, plain Node (ESM, require, eric-sse/init) and tsc --strict under bundler, node16,
// nodenext and a Node-only lib. Pages run in headless Chromium; servers are reached over
// 127.0.0.1. Every tool is the repository's own devDependency (locked in package-lock.json).
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, request as httpRequest } from "node:http";
import { join } from "node:path";
import { launchChromium } from "../../scripts/chromium.mjs";
import { bin, node24, root, systemNode } from "../../scripts/lib.mjs";
import { serve } from "../../scripts/serve.mjs";
import { DEMO_FILES, startDemo } from "../../scripts/start.mjs";
import { freePort } from "../../scripts/workerd.mjs";

const cache = join(root, ".cache", "packaging");
const app = join(cache, "app");
const fixtures = join(root, "tests", "packaging", "fixtures");
const QUIET = { ...process.env, NO_COLOR: "1", FORCE_COLOR: "0" };

/** Runs a command; resolves to { status, out } (stdout and stderr together). */
function sh(cmd, args, { cwd = app, env = QUIET, timeoutMs = 180_000 } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => { out += d; });
    child.stderr.on("data", (d) => { out += d; });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (error) => { clearTimeout(timer); resolve({ status: null, out: `${out}${error}` }); });
    child.on("close", (status) => { clearTimeout(timer); resolve({ status, out }); });
  });
}

/** Starts a server process; resolves once it prints "READY <url>" (or `url` answers). */
async function startServer(cmd, args, { cwd = app, env = QUIET, url = null, path = "/", timeoutMs = 60_000 } = {}) {
  const child = spawn(cmd, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const ready = new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no READY line within ${timeoutMs} ms:\n${out}`)), timeoutMs);
    const onData = (d) => {
      out += d;
      const match = /READY (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (match && !url) { clearTimeout(timer); resolve(match[1]); }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => { clearTimeout(timer); reject(new Error(`exited with ${code}:\n${out}`)); });
    if (url) {
      (async () => {
        for (let i = 0; i < timeoutMs / 250; i += 1) {
          if (child.exitCode !== null) return;
          try {
            await fetch(new URL(path, url));
            clearTimeout(timer);
            return resolve(url);
          } catch {
            await new Promise((r) => setTimeout(r, 250));
          }
        }
      })();
    }
  });
  try {
    const base = await ready;
    return { url: base, output: () => out, stop: () => (child.exitCode === null ? (child.kill(), exited) : exited) };
  } catch (error) {
    child.kill();
    throw error;
  }
}

const sha256 = (path) => createHash("sha256").update(readFileSync(path)).digest("hex");
const copyFixture = (name, to = name) => {
  rmSync(join(app, to), { recursive: true, force: true });
  cpSync(join(fixtures, name), join(app, to), { recursive: true });
};

/** npm pack (prepack builds pkg/): returns { tarball, files }. */
async function pack(report) {
  mkdirSync(cache, { recursive: true });
  const result = await sh("npm", ["pack", "--json", "--pack-destination", cache], { cwd: root });
  // Scripts run by prepack may print too: the pack result is the last JSON array.
  const text = result.out;
  const at = text.startsWith("[") ? 0 : text.lastIndexOf("\n[\n") + 1;
  let info;
  try {
    [info] = JSON.parse(text.slice(at, text.lastIndexOf("]") + 1));
  } catch {
    throw new Error(`npm pack failed (exit ${result.status}):\n${text.slice(-3000)}`);
  }
  report("pack: npm pack succeeds (prepack builds pkg/)", result.status === 0, text.slice(-500));
  return { tarball: join(cache, info.filename), files: info.files.map((f) => f.path) };
}

function checkTarball(report, files) {
  const has = (path) => files.includes(path);
  const required = ["pkg/eric_sse_bg.wasm", "index.d.ts", "init.d.ts", "channel.d.ts", "client.d.ts", "redis.d.ts", "LICENSE",
    "README.md", "package.json", "dist/node.js", "dist/node.js.map", "dist/web-client.js", "dist/workerd-channel.js", "dist/redis.js"];
  const missing = required.filter((path) => !has(path));
  report("pack: the tarball holds the .wasm, the declarations, LICENSE and every entry with its source map", missing.length === 0, `missing ${missing}`);
  const stray = files.filter((path) => /^(src|js|tests|scripts|target|bench|fuzz|www|\.cache|test-output|node_modules)\//.test(path) || path === "pkg/eric_sse.js");
  report("pack: no sources (the maps hold them), tests, scripts or build leftovers in the tarball", stray.length === 0, stray.join(", "));
  const unmapped = files.filter((path) => path.startsWith("dist/") && path.endsWith(".js") && !has(`${path}.map`));
  report("pack: every dist/ file ships its source map", unmapped.length === 0, unmapped.join(", "));
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const exported = Object.values(pkg.exports).flatMap((v) => (typeof v === "string" ? [v] : Object.values(v)))
    .map((p) => p.replace(/^\.\//, ""));
  const unexported = exported.filter((path) => !has(path));
  report("pack: every path in the exports map is in the tarball", unexported.length === 0, unexported.join(", "));
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const mentioned = [...new Set([...readme.matchAll(/`(examples\/[\w./-]+)`/g)].map((m) => m[1]))];
  const absent = mentioned.filter((path) => !files.some((f) => f === path || f.startsWith(path.endsWith("/") ? path : `${path}/`)));
  report("pack: every examples/ path the README names is in the tarball", mentioned.length > 0 && absent.length === 0,
    `named ${mentioned}, absent ${absent}`);
  report("pack: package.json has LICENSE, keywords, a prepack that builds, and no blanket sideEffects: false",
    pkg.license === "MIT" && Array.isArray(pkg.keywords) && pkg.keywords.length > 0 && /scripts\/build\.mjs/.test(pkg.scripts?.prepack ?? "")
      && pkg.sideEffects !== false && existsSync(join(root, "LICENSE")), JSON.stringify({ sideEffects: pkg.sideEffects, prepack: pkg.scripts?.prepack }));
}

/** The scratch app with the tarball installed; reinstalled only when the tarball's hash changes. */
async function installTarball(report, tarball) {
  mkdirSync(app, { recursive: true });
  const stamp = join(app, ".tarball-sha256");
  const hash = sha256(tarball);
  const cached = existsSync(stamp) && readFileSync(stamp, "utf8") === hash && existsSync(join(app, "node_modules", "eric-sse", "package.json"));
  if (!cached) {
    writeFileSync(join(app, "package.json"), '{ "name": "scratch-app", "private": true, "type": "module" }\n');
    rmSync(join(app, "node_modules"), { recursive: true, force: true });
    rmSync(join(app, "package-lock.json"), { force: true });
    const result = await sh("npm", ["install", "--no-audit", "--no-fund", "--no-package-lock", tarball]);
    report("install: npm install <tarball> into a fresh app", result.status === 0, result.out.slice(-1000));
    if (result.status !== 0) return false;
    writeFileSync(stamp, hash);
  }
  console.log(`  packaging: tarball ${cached ? "already installed (cache hit)" : "installed"} in ${app}`);
  copyFixture("common");
  return true;
}

const body = async (response) => {
  const text = await response.text();
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

/** Reads an SSE response until `until` appears in the text (or 5 s pass). */
async function readUntil(response, until) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  const deadline = Date.now() + 5000;
  while (!until(text) && Date.now() < deadline) {
    const step = await Promise.race([reader.read(), new Promise((r) => setTimeout(() => r({ timeout: true }), deadline - Date.now()))]);
    if (step.timeout || step.done) break;
    text += decoder.decode(step.value, { stream: true });
  }
  await reader.cancel().catch(() => {});
  return text;
}

/** The hub over HTTP: pub/sub round trip as SSE bytes, typed error names, onError on a 500. */
async function checkServer(report, label, url, { defaultLog = null } = {}) {
  const probe = await body(await fetch(`${url}/probe`));
  for (const r of probe.results ?? [{ name: "/probe answered", ok: false, detail: JSON.stringify(probe) }]) {
    report(`${label}: ${r.name}`, r.ok, r.detail);
  }
  const created = await fetch(`${url}/channels`, { method: "POST" });
  const { id: channel } = await body(created);
  const events = await fetch(`${url}/channels/${channel}/events`);
  const sent = await body(await fetch(`${url}/channels/${channel}/messages`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ type: "tick", payload: { n: 1 } }),
  }));
  const frame = `id: ${sent.id}\nevent: tick\ndata: {"n":1}\n\n`;
  const text = await readUntil(events, (t) => t.includes(frame));
  report(`${label}: hub pub/sub over HTTP: POST /channels, SSE stream, broadcast with an id line`,
    created.status === 201 && typeof sent.id === "string" && sent.id !== "" && events.headers.get("content-type") === "text/event-stream"
      && /^retry: \d+\n/.test(text) && text.includes(frame), JSON.stringify({ status: created.status, sent, text }));
  const missing = await fetch(`${url}/channels/no-such-channel/events`);
  const refused = await fetch(`${url}/channels/${channel}/messages`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ type: "_eric_fake" }),
  });
  const names = [(await body(missing)).error?.name, (await body(refused)).error?.name];
  report(`${label}: hub error bodies carry the class names (404 InvalidChannelError, 400 InvalidMessageFormatError)`,
    missing.status === 404 && refused.status === 400 && names.join() === "InvalidChannelError,InvalidMessageFormatError",
    JSON.stringify([missing.status, refused.status, names]));
  const boom = await fetch(`${url}/channels`, { method: "POST", headers: { "x-boom": "1" } });
  const boomBody = await body(boom);
  const seen = await body(await fetch(`${url}/failures`));
  report(`${label}: a 500 reaches onError(error, request)`,
    boom.status === 500 && boomBody.error?.message === "internal error" && Array.isArray(seen)
      && seen.some((f) => f.message === "boom from authorize" && f.path === "/channels"), JSON.stringify({ status: boom.status, seen }));
  if (defaultLog) {
    const plain = await fetch(`${url}/default-hub/channels`, { method: "POST" });
    await new Promise((r) => setTimeout(r, 200));
    report(`${label}: without onError a 500 is logged (console.error)`,
      plain.status === 500 && /eric-sse hub: 500 for POST .*\/channels/.test(defaultLog()) && defaultLog().includes("boom in the default hub"),
      defaultLog().slice(-800));
  }
}

async function withServer(report, label, start, check) {
  let server;
  try {
    server = await start();
  } catch (error) {
    report(`${label}: starts`, false, String(error?.message ?? error).slice(-2000));
    return;
  }
  try {
    await check(server);
  } catch (error) {
    report(`${label}: ${error?.message}`, false, `${error?.stack ?? ""}\n${server.output().slice(-2000)}`);
  } finally {
    await server.stop();
  }
}

/** Opens `url` in Chromium and reports the page's window.__results. */
async function pageResults(report, context, label, url) {
  const page = await context.newPage();
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  try {
    await page.goto(url);
    await page.waitForFunction(() => window.__results, null, { timeout: 30_000 });
    const results = await page.evaluate(() => window.__results);
    for (const r of results) report(`${label}: ${r.name}`, r.ok, r.detail);
    report(`${label}: no uncaught page errors`, errors.length === 0, errors.join("; "));
  } catch (error) {
    report(`${label}: the page reported results`, false, `${error.message}; page errors: ${errors.join("; ")}`);
  } finally {
    await page.close();
  }
}

// ---- the roads ----

async function demoServer(report) {
  const demo = await startDemo({ tickMs: 60_000 });
  const raw = (path) => new Promise((resolve, reject) => {
    const req = httpRequest(`${demo.url}${path}`, { method: "GET" }, (res) => { res.resume(); resolve(res.statusCode); });
    req.on("error", reject);
    req.end();
  });
  try {
    const denied = ["/.git/config", "/.git", "/package.json", "/scripts/start.mjs", "/src/lib.rs", "/tests/behaviour/suite.js",
      "/www/%2e%2e/.git/config", "/www/..%2f.git%2fconfig", "/dist/%2e%2e/Cargo.toml", "/js/entry-web.js"];
    const allowed = ["/www/", "/dist/web.js", "/pkg/eric_sse_bg.wasm", "/examples/service-worker/sw.js"];
    const got = {};
    for (const path of [...denied, ...allowed]) got[path] = await raw(path);
    report("demo server (npm start) serves only www/, dist/, pkg/ and the service worker example",
      denied.every((p) => got[p] === 404 || got[p] === 403) && allowed.every((p) => got[p] === 200)
        && DEMO_FILES.join() === "/www/,/dist/,/pkg/,/examples/service-worker/", JSON.stringify(got));
  } finally {
    await demo.close();
  }
}

async function nodeRoads(report) {
  copyFixture("node");
  for (const node of [systemNode(), node24]) {
    const version = (await sh(node, ["--version"])).out.trim();
    await withServer(report, `Node ${version} (installed tarball)`,
      () => startServer(node, ["node/server.js"]), (server) => checkServer(report, `Node ${version}`, server.url, { defaultLog: server.output }));
    const required = await sh(node, ["node/require.cjs"]);
    let parsed = {};
    try { parsed = JSON.parse(required.out.trim().split("\n").at(-1)); } catch {}
    report(`Node ${version}: require("eric-sse") from CommonJS works (require of the ESM entry)`,
      required.status === 0 && parsed.ok === true, required.out.slice(-800));
    const manual = await sh(node, ["node/init.js"]);
    let out = {};
    try { out = JSON.parse(manual.out.trim().split("\n").at(-1)); } catch {}
    report(`Node ${version}: eric-sse/init refuses the API before init() with NotInitializedError`,
      out.before?.name === "NotInitializedError" && out.before?.isClass === true && out.before?.message.includes("init()"), manual.out.slice(-800));
    report(`Node ${version}: eric-sse/init: a missing .wasm fails with WasmLoadError naming the URL`,
      out.missing?.name === "WasmLoadError" && out.missing?.isClass && out.missing.message.includes("file:///nowhere/eric_sse_bg.wasm"), manual.out.slice(-800));
    report(`Node ${version}: eric-sse/init: init() reads the package's .wasm (file: URL) and the API works`,
      manual.status === 0 && out.after === true, manual.out.slice(-800));
    await checkSubpaths(report, `Node ${version}`, node, ["node/subpaths.js"]);
    await checkQuickStart(report, `Node ${version}`, node);
  }
}

/** A README quick start (a channel ticking every second, served at /): a tick arrives with an
 * id, and a client resuming with that id gets exactly what came after it. */
async function checkTicks(report, name, port) {
  const seq = (id) => Number(/-(\d+)$/.exec(id ?? "")?.[1] ?? NaN);
  const url = `http://127.0.0.1:${port}/`;
  const first = await fetch(url);
  const text = await readUntil(first, (t) => /id: \S+\nevent: tick\ndata: \{"at":\d+\}\n\n/.test(t));
  const id = /id: (\S+)\nevent: tick/.exec(text)?.[1];
  // Two more ticks go by, then resume from the first one: the replay starts right after it
  // (ids are "<epoch>-<seq>"; a stream without the replay would start two or more later).
  await new Promise((r) => setTimeout(r, 2300));
  const resumed = await fetch(url, { headers: { "last-event-id": id ?? "" } });
  const again = await readUntil(resumed, (t) => /id: \S+\nevent: tick/.test(t));
  const next = /id: (\S+)\nevent: tick/.exec(again)?.[1];
  report(name, first.headers.get("content-type") === "text/event-stream" && /^retry: \d+\n/.test(text) && id !== undefined
    && seq(next) === seq(id) + 1 && !again.includes(`id: ${id}\n`), JSON.stringify({ text, again }));
}

/** The code block under `heading` in the README, its port 8080 replaced by `port`. */
function readmeBlock(heading, port) {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const at = readme.indexOf(`${heading}\n`);
  const code = at < 0 ? "" : (/```js\n([\s\S]*?)```/.exec(readme.slice(at))?.[1] ?? "");
  return code.includes("8080") ? code.replace("8080", String(port)) : "";
}

/** The README's Node quick start, as written there (only its port changed), against the
 * installed tarball. */
async function checkQuickStart(report, label, node) {
  const port = await freePort();
  const code = readmeBlock("### Node (≥ 20.19)", port);
  const name = `${label}: the README's Node quick start (channel.pipe) streams ticks and resumes after Last-Event-ID`;
  if (!code.includes(".pipe(")) return report(name, false, "quick start not found in README.md");
  writeFileSync(join(app, "quickstart.mjs"), code);
  await withServer(report, `${label} (README quick start)`, () => startServer(node, ["quickstart.mjs"], { url: `http://127.0.0.1:${port}` }),
    () => checkTicks(report, name, port));
}

/**
 * A registry of one package on 127.0.0.1: the packed tarball as `eric-sse`, so Deno can import
 * `npm:eric-sse` as the README says (every other name answers 404).
 * @returns {Promise<{ url: string, served: string[], close: () => Promise<void> }>}
 */
async function localRegistry(tarball) {
  const bytes = readFileSync(tarball);
  const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/`;
  const file = `eric-sse-${manifest.version}.tgz`;
  const version = {
    name: manifest.name, version: manifest.version, type: manifest.type, exports: manifest.exports,
    peerDependencies: manifest.peerDependencies, peerDependenciesMeta: manifest.peerDependenciesMeta,
    dist: {
      tarball: `${url}eric-sse/-/${file}`,
      shasum: createHash("sha1").update(bytes).digest("hex"),
      integrity: `sha512-${createHash("sha512").update(bytes).digest("base64")}`,
    },
  };
  const packument = { name: manifest.name, "dist-tags": { latest: manifest.version }, versions: { [manifest.version]: version } };
  const served = [];
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", url).pathname);
    served.push(path);
    if (path === "/eric-sse") return res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(packument));
    if (path === `/eric-sse/-/${file}`) return res.writeHead(200, { "content-type": "application/octet-stream" }).end(bytes);
    res.writeHead(404).end();
  });
  await new Promise((resolve) => server.listen(port, "127.0.0.1", resolve));
  return { url, served, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** The README's Deno quick start with `npm:eric-sse`, resolved from a local registry that
 * serves the packed tarball, in a fresh DENO_DIR. */
async function denoNpmSpecifier(report, tarball, deno) {
  const port = await freePort();
  const code = readmeBlock("### Deno", port);
  const name = "Deno: the README's quick start with npm:eric-sse (from a registry serving the tarball) streams ticks and resumes after Last-Event-ID";
  if (!code.includes('"npm:eric-sse"')) return report(name, false, "Deno quick start with npm:eric-sse not found in README.md");
  const dir = join(cache, "deno-npm");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "server.js"), code);
  const registry = await localRegistry(tarball);
  try {
    const env = { ...QUIET, DENO_NO_UPDATE_CHECK: "1", NPM_CONFIG_REGISTRY: registry.url, DENO_DIR: join(dir, "deno-dir") };
    await withServer(report, "Deno npm:eric-sse (README quick start)",
      () => startServer(deno, ["run", "-A", "--no-prompt", "--no-config", "--no-lock", "server.js"], { cwd: dir, env, url: `http://127.0.0.1:${port}` }),
      () => checkTicks(report, name, port));
    report("Deno: npm:eric-sse was fetched from the local registry (the packed tarball, not a published one)",
      registry.served.includes("/eric-sse") && registry.served.some((p) => p.endsWith(".tgz")), JSON.stringify(registry.served));
  } finally {
    await registry.close();
  }
}

/** eric-sse, eric-sse/channel and eric-sse/client in one app (fixtures/node/subpaths.js). */
async function checkSubpaths(report, label, cmd, args, options) {
  const run = await sh(cmd, args, options);
  let out = {};
  try { out = JSON.parse(run.out.trim().split("\n").at(-1)); } catch {}
  report(`${label}: eric-sse/channel and eric-sse/client export their part only`,
    out.channelHasHub === false && out.clientHasChannel === false, run.out.slice(-800));
  report(`${label}: the main entry and both subpaths share one instance and one set of classes`,
    out.sameClasses === true && out.crossInstanceof === true && out.oneInstance === true && out.parsed === true, run.out.slice(-800));
  report(`${label}: minified, every exported class keeps its name, and errors and channels print by it`,
    out.classes >= 30 && out.misnamed?.length === 0 && out.printed?.join("|") === "QueueOverflowError: full|Channel", run.out.slice(-800));
}

async function typeProjects(report) {
  const dir = join(app, "types");
  rmSync(dir, { recursive: true, force: true });
  const check = async (project) => {
    cpSync(join(root, "tests", "types", project), join(dir, project), { recursive: true });
    cpSync(join(root, "tests", "types", "usage.ts"), join(dir, project, "usage.ts"));
    const result = await sh(systemNode(), [join(root, "node_modules", "typescript", "bin", "tsc"), "-p", join(dir, project)]);
    report(`tsc --strict --noEmit: ${project} project (usage and expected errors)`, result.status === 0, result.out.slice(0, 3000));
  };
  // Two at a time: one per core.
  await Promise.all([check("bundler"), check("node16")]);
  await Promise.all([check("nodenext"), check("node-only")]);
}

/** The README's Browser quick start, as written there, served from the scratch app (the
 * installed tarball under node_modules/) and run in Chromium: the page's listener logs the
 * broadcast with an id, and nothing fails. */
async function readmeBrowser(report, context) {
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const html = /### Browser\n\n```html\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
  const name = "README Browser quick start (import map → the installed package, init(), a channel in the page) runs in Chromium";
  if (!html.includes("importmap")) return report(name, false, `snippet not found in README.md:\n${html}`);
  writeFileSync(join(app, "readme-browser.html"), `<!doctype html>\n${html}`);
  const server = await serve({ base: app });
  const page = await context.newPage();
  const logs = [];
  const errors = [];
  page.on("console", (m) => logs.push(m.text()));
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("requestfailed", (r) => errors.push(`${r.url()} failed`));
  page.on("response", (r) => { if (r.status() >= 400) errors.push(`${r.url()} ${r.status()}`); });
  try {
    await page.goto(`${server.url}/readme-browser.html`);
    const deadline = Date.now() + 10_000;
    while (!logs.some((l) => /^\d+-1 hello /.test(l)) && errors.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    report(name, logs.some((l) => /^\d+-1 hello /.test(l)) && errors.length === 0, JSON.stringify({ logs, errors }));
  } finally {
    await page.close();
    await server.close();
  }
}

async function esbuildRoads(report, context) {
  copyFixture("node");
  copyFixture("esbuild");
  const cwd = join(app, "esbuild");
  const esbuild = (args) => sh(bin("esbuild"), [...args, "--log-level=warning"], { cwd });
  const browser = await esbuild(["src/page.js", "src/tasks.js", "src/bare.js", "src/sw-page.js", "src/sw.js",
    "--bundle", "--format=esm", "--minify", "--outdir=dist", "--loader:.wasm=file"]);
  report("esbuild: browser bundles build (page, worker module, module service worker) with --minify", browser.status === 0, browser.out);
  const minimal = await esbuild(["src/minimal.js", "--bundle", "--format=esm", "--minify", "--outfile=dist-min/minimal.js"]);
  const node = await esbuild(["src/server.js", "--bundle", "--platform=node", "--format=esm", "--minify", "--loader:.wasm=binary", "--target=node20", "--outfile=dist-node/server.mjs"]);
  const external = await esbuild(["src/server-external.js", "--bundle", "--platform=node", "--format=esm", "--packages=external", "--outfile=dist-node/external.mjs"]);
  const inlined = await esbuild(["src/node-inlined.js", "--bundle", "--platform=node", "--format=esm", "--minify", "--outfile=dist-node/inlined.mjs"]);
  report("esbuild: Node bundles build (whole with --loader:.wasm=binary; package external)",
    node.status === 0 && external.status === 0 && inlined.status === 0, node.out + external.out + inlined.out);
  if (minimal.status === 0) {
    const code = readFileSync(join(cwd, "dist-min", "minimal.js"), "utf8");
    const pool = ["worker_threads", "WorkerPool", "no workers here", "TaskError", "DataProcessingChannel"].filter((s) => code.includes(s));
    report("esbuild: a browser bundle without WorkerPool carries no pool code and imports nothing from node:",
      pool.length === 0 && !/(from\s*|import\(\s*)["']node:/.test(code), `found ${pool}`);
  } else report("esbuild: minimal browser bundle builds", false, minimal.out);
  if (browser.status === 0) {
    const bundles = readdirSync(join(cwd, "dist")).filter((f) => f.endsWith(".js"));
    const nodeImports = bundles.filter((f) => /(from\s*|import\(\s*)["']node:/.test(readFileSync(join(cwd, "dist", f), "utf8")));
    report("esbuild: no browser bundle imports node: modules", nodeImports.length === 0, nodeImports.join(", "));
    for (const html of readdirSync(join(cwd, "public"))) cpSync(join(cwd, "public", html), join(cwd, "dist", html));
    const server = await serve({ base: join(cwd, "dist") });
    try {
      await pageResults(report, context, "esbuild page (Chromium)", `${server.url}/page.html`);
      await pageResults(report, context, "esbuild page without the recipe (Chromium)", `${server.url}/bare.html`);
      await pageResults(report, context, "esbuild module service worker (Chromium)", `${server.url}/sw-page.html`);
    } finally {
      await server.close();
    }
  }
  if (node.status === 0) {
    await withServer(report, "esbuild Node bundle (whole, minified)", () => startServer(systemNode(), ["dist-node/server.mjs"], { cwd }),
      (server) => checkServer(report, "esbuild Node bundle (whole, minified)", server.url));
  }
  if (external.status === 0) {
    await withServer(report, "esbuild Node bundle (package external)", () => startServer(systemNode(), ["dist-node/external.mjs"], { cwd }),
      (server) => checkServer(report, "esbuild Node bundle (package external)", server.url));
  }
  if (inlined.status === 0) {
    const run = await sh(systemNode(), ["dist-node/inlined.mjs"], { cwd });
    report("esbuild Node bundle of \"eric-sse\" without the recipe fails with WasmLoadError naming the path and the fix",
      run.status !== 0 && run.out.includes("WasmLoadError") && run.out.includes("/pkg/eric_sse_bg.wasm") && run.out.includes("--packages=external"),
      run.out.slice(-600));
  }
}

async function viteRoads(report, context) {
  copyFixture("vite");
  const cwd = join(app, "vite");
  const vite = join(root, "node_modules", "vite", "bin", "vite.js");
  const built = await sh(node24, [vite, "build", "--logLevel", "warn"], { cwd });
  report("vite build (page, Web Worker, pool worker via ?worker&url)", built.status === 0, built.out.slice(-2000));
  if (built.status !== 0) return;
  const assets = readdirSync(join(cwd, "dist", "assets"));
  report("vite build: one .wasm emitted", assets.filter((f) => f.endsWith(".wasm")).length === 1, assets.join(", "));
  const port = await freePort();
  await withServer(report, "vite preview",
    () => startServer(node24, [vite, "preview", "--host", "127.0.0.1", "--port", String(port), "--strictPort"], { cwd, url: `http://127.0.0.1:${port}/` }),
    async (server) => {
      await pageResults(report, context, "Vite page (Chromium)", `${server.url}index.html`);
      await pageResults(report, context, "Vite page, init() with no argument (Chromium)", `${server.url}bare.html`);
    });
}

/** webpack 5 (production, ES module output) with no recipe: the .wasm must be emitted and a
 * plain init() must find it. */
async function webpackRoads(report, context) {
  copyFixture("webpack");
  const cwd = join(app, "webpack");
  const webpack = join(root, "node_modules", "webpack-cli", "bin", "cli.js");
  const built = await sh(node24, [webpack, "--config", "webpack.config.mjs"], { cwd });
  report("webpack 5 build (production, ES module output) of a page importing eric-sse/init", built.status === 0, built.out.slice(-2000));
  if (built.status !== 0) return;
  const files = readdirSync(join(cwd, "dist"));
  report("webpack: one .wasm emitted", files.filter((f) => f.endsWith(".wasm")).length === 1, files.join(", "));
  cpSync(join(cwd, "public", "index.html"), join(cwd, "dist", "index.html"));
  const server = await serve({ base: join(cwd, "dist") });
  try {
    await pageResults(report, context, "webpack page, init() with no argument (Chromium)", `${server.url}/index.html`);
  } finally {
    await server.close();
  }
}

async function wranglerRoads(report) {
  copyFixture("wrangler");
  const cwd = join(app, "wrangler");
  const port = await freePort();
  const env = {
    ...QUIET, WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_LOG_PATH: join(cache, "wrangler-logs"), CLOUDFLARE_API_TOKEN: "", CLOUDFLARE_ACCOUNT_ID: "",
  };
  const wrangler = join(root, "node_modules", "wrangler", "bin", "wrangler.js");
  await withServer(report, "wrangler dev (local, minified)",
    () => startServer(node24, [wrangler, "dev", "--ip", "127.0.0.1", "--port", String(port), "--show-interactive-dev-session=false"],
      { cwd, env, url: `http://127.0.0.1:${port}`, path: "/channels", timeoutMs: 90_000 }),
    (server) => checkServer(report, "wrangler dev", server.url));
  const dry = await sh(node24, [wrangler, "deploy", "--dry-run", "--outdir", "dist"], { cwd, env });
  const outputs = existsSync(join(cwd, "dist")) ? readdirSync(join(cwd, "dist")) : [];
  report("wrangler deploy --dry-run bundles the worker with the .wasm as a module",
    dry.status === 0 && outputs.some((f) => f.endsWith(".wasm")) && outputs.some((f) => f.endsWith(".js")), `${outputs}\n${dry.out.slice(-1500)}`);
}

async function bunRoads(report) {
  copyFixture("bun");
  const bun = bin("bun");
  const version = (await sh(bun, ["--version"])).out.trim();
  await withServer(report, `Bun ${version} (installed tarball)`, () => startServer(bun, ["bun/server.js"]),
    (server) => checkServer(report, `Bun ${version}`, server.url));
  copyFixture("node");
  const required = await sh(bun, ["node/require.cjs"]);
  report(`Bun ${version}: require("eric-sse") from CommonJS`, required.status === 0 && required.out.includes('"ok":true'), required.out.slice(-600));
  await checkSubpaths(report, `Bun ${version}`, bun, ["node/subpaths.js"]);
}

async function denoRoads(report, tarball) {
  copyFixture("deno");
  const deno = bin("deno");
  await denoNpmSpecifier(report, tarball, deno);
  const version = (await sh(deno, ["--version"])).out.split("\n")[0];
  await withServer(report, `${version} (installed tarball, node_modules)`,
    () => startServer(deno, ["run", "-A", "--no-prompt", "--node-modules-dir=manual", "deno/server.js"], { env: { ...QUIET, DENO_NO_UPDATE_CHECK: "1" } }),
    (server) => checkServer(report, version, server.url));
  copyFixture("node");
  await checkSubpaths(report, version, deno, ["run", "-A", "--no-prompt", "--node-modules-dir=manual", "node/subpaths.js"],
    { env: { ...QUIET, DENO_NO_UPDATE_CHECK: "1" } });
}

/** CI=true (or PACK_CLEAN_CLONE=1): npm pack from a fresh clone of HEAD must build pkg/ and dist/ itself. */
async function cleanClone(report) {
  const dir = join(cache, "clone");
  rmSync(dir, { recursive: true, force: true });
  const clone = await sh("git", ["clone", "--quiet", "--local", "--no-hardlinks", root, dir], { cwd: cache });
  if (clone.status !== 0) return report("pack from a clean clone: git clone", false, clone.out);
  // The clone's target/ lives on in .cache (same clone path every run), so Cargo rebuilds little.
  mkdirSync(join(cache, "clone-target"), { recursive: true });
  mkdirSync(join(cache, "clone-out"), { recursive: true });
  symlinkSync(join(cache, "clone-target"), join(dir, "target"), "dir");
  const packed = await sh("npm", ["pack", "--json", "--pack-destination", join(cache, "clone-out")], { cwd: dir, timeoutMs: 1_200_000 });
  const listed = packed.out.slice(packed.out.lastIndexOf("\n[\n") + 1);
  report("pack from a clean clone: prepack builds pkg/ and dist/, and the tarball ships the bundles and the .wasm",
    packed.status === 0 && listed.includes('"pkg/eric_sse_bg.wasm"') && listed.includes('"dist/node.js"'), packed.out.slice(-1500));
  rmSync(dir, { recursive: true, force: true });
}

export async function runPackaging(report) {
  const started = Date.now();
  const lap = (what, since) => console.log(`  packaging: ${what} ${((Date.now() - since) / 1000).toFixed(1)} s`);
  let t = Date.now();
  const { tarball, files } = await pack(report);
  checkTarball(report, files);
  if (!(await installTarball(report, tarball))) return;
  lap("pack + install", t);
  t = Date.now(); await demoServer(report); lap("demo server", t);
  t = Date.now(); await typeProjects(report); lap("tsc projects", t);
  t = Date.now(); await nodeRoads(report); lap("Node", t);
  t = Date.now(); await bunRoads(report); lap("Bun", t);
  t = Date.now(); await denoRoads(report, tarball); lap("Deno", t);
  t = Date.now(); await wranglerRoads(report); lap("wrangler", t);
  const context = await launchChromium();
  try {
    t = Date.now(); await readmeBrowser(report, context); lap("README browser page", t);
    t = Date.now(); await esbuildRoads(report, context); lap("esbuild", t);
    t = Date.now(); await viteRoads(report, context); lap("Vite", t);
    t = Date.now(); await webpackRoads(report, context); lap("webpack", t);
  } finally {
    await context.close();
  }
  if (process.env.CI === "true" || process.env.PACK_CLEAN_CLONE === "1") {
    t = Date.now(); await cleanClone(report); lap("clean clone pack", t);
  } else {
    console.log("  packaging: npm pack from a clean clone runs with CI=true or PACK_CLEAN_CLONE=1");
  }
  lap("total", started);
}
