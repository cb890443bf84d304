// Durable Objects stage: examples/cloudflare-durable served by the real workerd, with its
// ChannelObject namespace on SQLite in a folder on local disk, reached over 127.0.0.1:
// - the hub's protocol and attack tests (tests/behaviour/hub.js, attack.js) through the front;
// - two readers on different requests see one publisher's messages with the same ids in order;
// - a reader that drops resumes with Last-Event-ID and gets exactly what it missed;
// - SIGKILL workerd while publishing and reading, restart it on the same folder: resumes are
//   served from disk, ids continue, nothing acknowledged is lost, nothing is delivered twice;
// - a resume from before the window gets the gap notice and the window;
// - the channel directory survives the restart;
// - the SQLite engine passes the backplane contract (tests/behaviour/backplane.js) inside an object;
// - the same worker under `wrangler dev` (local mode, offline), restarted once.
import { spawn } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync, cpSync, symlinkSync } from "node:fs";
import { join, relative } from "node:path";
import { node24, root } from "../../scripts/lib.mjs";
import { freePort, modulesUnder, packageModules } from "../../scripts/workerd.mjs";
import { attackTests } from "../behaviour/attack.js";
import { hubTests } from "../behaviour/hub.js";
import { parts, reader, serveDurable } from "./lib.mjs";

const TOKEN = "test-token";
/** The example's HISTORY for this run: messages each channel keeps on disk. */
const WINDOW = 50;
const auth = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
let unique = 0;
const fresh = (prefix) => `${prefix}-${Date.now().toString(36)}-${(unique += 1)}`;

class Failure extends Error {}
const expect = (ok, message) => { if (!ok) throw new Failure(message); };
const same = (a, b, message) => expect(JSON.stringify(a) === JSON.stringify(b), `${message}: expected ${JSON.stringify(b)}, got ${JSON.stringify(a)}`);
const until = async (check, what, ms = 5000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Failure(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
};
const numbered = (events) => events.filter((e) => e.type === "n");
const gaps = (events) => events.filter((e) => e.type === "_eric_replay_gap").length;
/** True when ids strictly increase (epoch, then seq). */
const increasing = (ids) => ids.every((id, i) => i === 0 || (([a, b], [c, d]) => a < c || (a === c && b < d))(parts(ids[i - 1]), parts(id)));

function client(base) {
  const call = async (method, path, body) => {
    const response = await fetch(`${base()}${path}`, { method, headers: auth, body: body === undefined ? undefined : JSON.stringify(body) });
    return { status: response.status, json: await response.json() };
  };
  const publish = async (c, n) => {
    const { status, json } = await call("POST", `/channels/${c}/messages`, { type: "n", payload: n });
    expect(status === 200, `publish ${n}: ${status} ${JSON.stringify(json)}`);
    return json.id;
  };
  const open = async (path, headers = {}) => {
    const r = reader(await fetch(`${base()}${path}`, { headers }));
    await r.wait(() => r.raw.startsWith("retry:"), `${path} to open`);
    return r;
  };
  return { call, publish, open };
}

export async function runDurable(report) {
  const base = join(root, "test-output", "durable");
  rmSync(base, { recursive: true, force: true });
  const dir = join(base, "storage");
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const env = { HUB_TOKEN: TOKEN, HISTORY: String(WINDOW) };
  let server = await serveDurable({ port, dir, env });
  const { call, publish, open } = client(() => server.url);
  const check = async (name, fn) => {
    try {
      await fn();
      report(`durable: ${name}`, true);
    } catch (error) {
      report(`durable: ${name}`, false, `${error?.name}: ${error?.message}`);
    }
  };

  try {
    const ctx = { request: (path, init) => fetch(`${server.url}${path}`, init) };
    for (const { name, fn } of [...hubTests, ...attackTests]) await check(`through the front: ${name}`, () => fn(ctx));

    await check("two readers on different requests get one publisher's messages with the same ids in the same order", async () => {
      const c = fresh("two");
      await call("POST", "/channels", { id: c });
      const a = await open(`/channels/${c}/events`);
      const bResponse = await fetch(`${server.url}/command`, { method: "POST", headers: auth, body: JSON.stringify({ v: "w", c }) });
      const b = reader(bResponse);
      const sent = new Map();
      for (let n = 0; n < 10; n += 1) sent.set(n, await publish(c, n));
      for (let batch = 1; batch < 4; batch += 1) {
        // Ten publishes in flight at once: the object orders them.
        const ids = await Promise.all(Array.from({ length: 10 }, (_, i) => publish(c, batch * 10 + i)));
        ids.forEach((id, i) => sent.set(batch * 10 + i, id));
      }
      await a.wait((e) => numbered(e).length === 40, "40 messages on reader a");
      await b.wait((e) => numbered(e).length === 40, "40 messages on reader b");
      const idsA = numbered(a.events).map((e) => e.id);
      same(numbered(b.events).map((e) => e.id), idsA, "reader b's ids against reader a's");
      expect(increasing(idsA), `ids increase: ${idsA}`);
      same([...idsA].sort(), [...sent.values()].sort(), "the ids delivered are the ids the publishes were answered with");
      for (const e of numbered(a.events)) same(sent.get(Number(e.data)), e.id, `message ${e.data} carries its publish's id`);
      await a.close();
      await b.close();
      await call("DELETE", `/channels/${c}`);
    });

    await check("a reader that drops and resumes with Last-Event-ID gets exactly what it missed", async () => {
      const c = fresh("resume");
      await call("POST", "/channels", { id: c });
      const first = await open(`/channels/${c}/events`);
      for (let n = 0; n < 10; n += 1) await publish(c, n);
      await first.wait((e) => numbered(e).length === 10, "the first 10");
      const last = numbered(first.events)[9].id;
      await first.close();
      const missed = [];
      for (let n = 10; n < 20; n += 1) missed.push(await publish(c, n));
      const again = await open(`/channels/${c}/events`, { "last-event-id": last });
      await again.wait((e) => numbered(e).length === 10, "the 10 missed");
      const live = await publish(c, 20);
      await again.wait((e) => numbered(e).length === 11, "the next live message");
      same(numbered(again.events).map((e) => e.id), [...missed, live], "the resumed stream's ids");
      same(numbered(again.events).map((e) => Number(e.data)), Array.from({ length: 11 }, (_, i) => 10 + i), "its payloads");
      same(gaps(again.events), 0, "gap notices");
      await again.close();
      await call("DELETE", `/channels/${c}`);
    });

    await check("clients that vanish are found by the first keep-alive: their listeners stop counting against the channel's limit (20 in the example policy)", async () => {
      const c = fresh("vanish");
      await call("POST", "/channels", { id: c });
      const gone = [];
      for (let i = 0; i < 20; i += 1) gone.push(await open(`/channels/${c}/events`));
      const full = await fetch(`${server.url}/channels/${c}/events`);
      await full.body?.cancel();
      same(full.status, 429, "a 21st watcher while 20 are connected");
      // The clients drop their connections without a word (workerd does not abort the request's
      // signal): the object finds out when its first keep-alive to them fails.
      for (const r of gone) await r.close();
      const started = Date.now();
      let back = [];
      while (back.length < 20 && Date.now() - started < 8000) {
        const response = await fetch(`${server.url}/channels/${c}/events`);
        if (response.status === 200) back.push(reader(response));
        else {
          await response.body?.cancel();
          await new Promise((r) => setTimeout(r, 100));
        }
      }
      for (const r of back) await r.close();
      expect(back.length === 20, `20 new watchers within 8 s (the keep-alive interval is 15 s; the first one comes within 1 s): got ${back.length} in ${Date.now() - started} ms`);
      await call("DELETE", `/channels/${c}`);
    });

    // ---- SIGKILL and restart ----
    const c = fresh("crash");
    const other = fresh("listed");
    let acked = new Map();
    let before = [];
    let restarted = false;
    await check("SIGKILL workerd while publishing and reading, restart it on the same folder: history replays from disk, ids continue, 0 lost, 0 duplicated", async () => {
      await call("POST", "/channels", { id: c });
      await call("POST", "/channels", { id: other });
      const r1 = await open(`/channels/${c}/events`);
      let next = 0;
      let stopped = false;
      const publishing = (async () => {
        while (!stopped) {
          const n = next;
          next += 1;
          try {
            const { status, json } = await call("POST", `/channels/${c}/messages`, { type: "n", payload: n });
            if (status !== 200) break;
            acked.set(n, json.id);
          } catch {
            break; // workerd is gone: this publish may or may not have been stored
          }
        }
      })();
      await until(() => acked.size >= 25, "25 acknowledged publishes");
      await server.kill();
      stopped = true;
      await publishing;
      await r1.ended;
      before = numbered(r1.events);
      server = await serveDurable({ port, dir, env });
      restarted = true;
      const lastSeen = before.at(-1).id;
      const r1b = await open(`/channels/${c}/events`, { "last-event-id": lastSeen });
      const r2 = await open(`/channels/${c}/events`, { "last-event-id": acked.get(0) });
      const tailBefore = (await r2.wait((e) => numbered(e).length >= acked.size - 1, "the replay from disk")).at(-1);
      const after = [];
      for (let n = next; n < next + 5; n += 1) after.push(await publish(c, n));
      const lastId = after.at(-1);
      await r1b.wait((e) => e.some((x) => x.id === lastId), "the new messages on the resumed reader");
      await r2.wait((e) => e.some((x) => x.id === lastId), "the new messages on the reader from the start");
      await r1b.close();
      await r2.close();

      const replayed = numbered(r2.events);
      const stored = replayed.filter((e) => !after.includes(e.id));
      const [epoch, seq] = parts(stored.at(-1).id);
      same(parts(after[0]), [epoch, seq + 1], `the first id after the restart continues the log (last stored ${stored.at(-1).id}, tail seen ${tailBefore?.id})`);
      const all = [...before, ...numbered(r1b.events)];
      const ids = all.map((e) => e.id);
      const payloads = all.map((e) => Number(e.data));
      const lost = [...acked.keys()].filter((n) => !payloads.includes(n));
      const duplicated = ids.length - new Set(ids).size;
      expect(lost.length === 0 && duplicated === 0, `lost ${lost.length} (${lost}), duplicated ${duplicated}`);
      expect(increasing(ids), "one reader across the crash sees increasing ids");
      expect(payloads.every((p, i) => i === 0 || p > payloads[i - 1]), `payloads in publish order: ${payloads}`);
      // Only a publish that was in flight at the kill (never acknowledged) may be missing.
      const holes = Array.from({ length: payloads.at(-1) + 1 }, (_, i) => i).filter((n) => !payloads.includes(n));
      expect(holes.every((n) => !acked.has(n)), `holes ${holes} include acknowledged messages`);
      for (const [n, id] of acked) same(all.find((e) => Number(e.data) === n)?.id, id, `acknowledged message ${n} keeps its id`);
      same(replayed.map((e) => Number(e.data)), payloads.slice(1), "the reader resuming from the first id replays everything after it from disk");
      same(gaps(r1b.events) + gaps(r2.events), 0, "gap notices after the restart");
      console.log(`  durable: SIGKILL after ${acked.size} acknowledged publishes (${next - acked.size} in flight, `
        + `${stored.length + 1 - acked.size} of them stored), the reader had ${before.length}; after the restart the log held `
        + `${stored.length + 1}: 0 lost, 0 duplicated, the next id was ${after[0]}`);
    });

    await check("the channel directory survives the restart (GET /channels)", async () => {
      expect(restarted, "workerd was restarted");
      const { json } = await call("GET", "/channels");
      expect(json.channels.includes(c) && json.channels.includes(other), JSON.stringify(json));
    });

    await check(`a resume from before the window (${WINDOW} messages) gets the gap notice, then the window, then live messages`, async () => {
      const g = fresh("window");
      await call("POST", "/channels", { id: g });
      const first = await publish(g, 0);
      const sent = [];
      for (let n = 1; n <= WINDOW + 5; n += 1) sent.push(await publish(g, n));
      const r = await open(`/channels/${g}/events`, { "last-event-id": first });
      await r.wait((e) => numbered(e).length === WINDOW, "the window");
      const live = await publish(g, WINDOW + 6);
      await r.wait((e) => numbered(e).length === WINDOW + 1, "the live message");
      await r.close();
      same(r.events[0].type, "_eric_replay_gap", "the first event");
      same(numbered(r.events).map((e) => e.id), [...sent.slice(-WINDOW), live], "the kept window, then live");
      await call("DELETE", `/channels/${g}`);
    });
    await call("DELETE", `/channels/${c}`);
    await call("DELETE", `/channels/${other}`);
  } finally {
    await server.stop();
  }

  await contract(report);
  await wrangler(report);
}

/** The backplane contract against sqliteBackplane inside a Durable Object, in workerd. */
async function contract(report) {
  const dir = join(root, "test-output", "durable", "contract");
  mkdirSync(dir, { recursive: true });
  const modules = ["tests/durable/contract-worker.js", ...modulesUnder("tests/behaviour"), ...packageModules()];
  const line = (m) => `    (name = "${m}", ${m.endsWith(".wasm") ? "wasm" : "esModule"} = embed "${relative(dir, join(root, m))}"),`;
  const config = join(dir, "config.capnp");
  writeFileSync(config, [
    'using Workerd = import "/workerd/workerd.capnp";',
    "const config :Workerd.Config = (",
    '  services = [ (name = "main", worker = .worker), (name = "storage", disk = (writable = true)) ],',
    '  sockets = [ (name = "http", address = "127.0.0.1:0", http = (), service = "main") ],',
    ");",
    "const worker :Workerd.Worker = (",
    "  modules = [", ...modules.map(line), "  ],",
    '  durableObjectNamespaces = [ (className = "ContractObject", uniqueKey = "eric-sse-contract", enableSql = true) ],',
    '  durableObjectStorage = (localDisk = "storage"),',
    '  bindings = [ (name = "CONTRACT", durableObjectNamespace = "ContractObject") ],',
    '  compatibilityDate = "2025-09-01",',
    ");",
  ].join("\n"));
  const storage = join(dir, "storage");
  mkdirSync(storage, { recursive: true });
  const server = await serveDurable({ port: await freePort(), dir: storage, config });
  try {
    const results = await (await fetch(`${server.url}/contract`)).json();
    for (const r of results) report(`durable: sqliteBackplane contract in an object: ${r.name}`, r.ok, r.error);
    report("durable: the backplane contract ran in full", results.length >= 11, `${results.length} results`);
  } finally {
    await server.stop();
  }
}

/** The example under `wrangler dev` (local, offline) as a user runs it, restarted once. */
async function wrangler(report) {
  const app = join(root, ".cache", "durable-wrangler");
  rmSync(app, { recursive: true, force: true });
  const cwd = join(app, "examples", "cloudflare-durable");
  mkdirSync(join(app, "node_modules"), { recursive: true });
  cpSync(join(root, "examples", "cloudflare-durable", "worker.js"), join(cwd, "worker.js"));
  cpSync(join(root, "examples", "cloudflare-durable", "wrangler.toml"), join(cwd, "wrangler.toml"));
  cpSync(join(root, "examples", "policy.js"), join(app, "examples", "policy.js"));
  symlinkSync(root, join(app, "node_modules", "eric-sse"), "dir");
  writeFileSync(join(app, "package.json"), '{ "private": true, "type": "module" }\n');
  const port = await freePort();
  const env = {
    ...process.env, NO_COLOR: "1", FORCE_COLOR: "0", WRANGLER_SEND_METRICS: "false", CLOUDFLARE_CF_FETCH_ENABLED: "false",
    WRANGLER_LOG_PATH: join(app, "logs"), CLOUDFLARE_API_TOKEN: "", CLOUDFLARE_ACCOUNT_ID: "",
  };
  const start = async () => {
    const child = spawn(node24, [join(root, "node_modules", "wrangler", "bin", "wrangler.js"), "dev", "--ip", "127.0.0.1", "--port", String(port),
      "--show-interactive-dev-session=false", "--persist-to", join(app, "state")], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d) => { out += d; });
    child.stderr.on("data", (d) => { out += d; });
    const exited = new Promise((resolve) => child.once("exit", resolve));
    const url = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 360; i += 1) {
      if (child.exitCode !== null) throw new Error(`wrangler dev exited with ${child.exitCode}:\n${out.slice(-2000)}`);
      try {
        await fetch(`${url}/channels`);
        return { url, output: () => out, stop: () => (child.exitCode === null ? (child.kill(), exited) : exited) };
      } catch {
        await new Promise((r) => setTimeout(r, 250));
      }
    }
    child.kill();
    throw new Error(`wrangler dev did not answer within 90 s:\n${out.slice(-2000)}`);
  };
  let server;
  const base = () => server.url;
  const { call, publish, open } = client(base);
  const c = fresh("wrangler");
  let ids = [];
  try {
    server = await start();
    await check(report, "wrangler dev (local): create, watch, publish over the Durable Object binding", async () => {
      same((await call("POST", "/channels", { id: c })).status, 201, "create");
      const r = await open(`/channels/${c}/events`);
      ids = [await publish(c, 1), await publish(c, 2)];
      await r.wait((e) => numbered(e).length === 2, "2 messages");
      same(numbered(r.events).map((e) => e.id), ids, "ids");
      await r.close();
    }, server);
    await server.stop();
    server = await start();
    await check(report, "wrangler dev restarted on the same state: the resume replays from disk and ids continue", async () => {
      expect(ids.length === 2, "the first round trip ran");
      const r = await open(`/channels/${c}/events`, { "last-event-id": ids[0] });
      const next = await publish(c, 3);
      await r.wait((e) => numbered(e).length === 2, "the replay and the next message");
      same(numbered(r.events).map((e) => e.id), [ids[1], next], "ids");
      same(parts(next), [parts(ids[1])[0], parts(ids[1])[1] + 1], "the next id");
      same((await call("GET", "/channels")).json.channels.includes(c), true, "listed");
      await r.close();
    }, server);
  } catch (error) {
    report("durable: wrangler dev starts", false, String(error?.message ?? error).slice(-2000));
  } finally {
    await server?.stop();
  }
}

async function check(report, name, fn, server) {
  try {
    await fn();
    report(`durable: ${name}`, true);
  } catch (error) {
    report(`durable: ${name}`, false, `${error?.name}: ${error?.message}\n${server?.output?.().slice(-1500) ?? ""}`);
  }
}
