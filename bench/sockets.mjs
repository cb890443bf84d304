// Fan-out over real sockets (issue 15): one SSE server process and load-client processes that
// talk to it only over 127.0.0.1. The servers, each in its own child process and one at a time
// (bench/sockets-server.mjs):
//   eric-stream  eric-sse on node:http, the README's recipe: channel.stream() chunks → res.write
//   eric-pipe    eric-sse on node:http, channel.pipe(listenerId, res, { request })
//   eric-deno    eric-sse on Deno.serve, channel.response(listenerId, { request })
//   naive        node:http, a Set of responses; per message one JSON.stringify, one Buffer,
//                res.write(frame) to each
//   better-sse   better-sse 0.16.1 on node:http, createSession(req, res) + channel.broadcast
// The load client (bench/sockets-client.mjs, 2 processes by default) holds N connections over
// raw sockets, counts frames, checks every connection sees every message in order and records
// latency from the send time in each payload. Per contender and (N, offered rate): deliveries/s
// received, server CPU µs per delivery (utime + stime from /proc/<pid>/stat, every thread of the
// process), p50/p99 latency and server RSS at the end of the window. Then memory per open idle
// connection: heap + external (which includes the wasm memory) after GC, before and after N
// connections, in the server process.
//
// `node bench/sockets.mjs [--quick]` runs this part alone; `npm run bench` runs it with the rest.
import { fork, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { bin, root } from "../scripts/lib.mjs";
import { fmt } from "./lib.mjs";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const TICK_US = 1e6 / 100; // /proc/<pid>/stat counts in clock ticks (CLK_TCK = 100 on Linux)
const LOG_STEP = Math.log(1.01); // the load client's latency buckets

/** Every child this process started, killed when it exits. (Should this process die without
 * running its exit handlers, the servers exit when their stdin closes and the load clients when
 * their IPC channel does.) */
const children = new Set();
process.on("exit", () => {
  for (const child of children) child.kill("SIGKILL");
});

function track(child) {
  children.add(child);
  child.once("exit", () => children.delete(child));
  return child;
}

/** Ends a child: closing its stdin asks it to exit (so a --cpu-prof profile gets written);
 * SIGKILL after `graceMs`. */
function kill(child, graceMs = 0) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.stdin?.end();
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  return exited.finally(() => clearTimeout(timer));
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise,
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms); }),
  ]).finally(() => clearTimeout(timer));
}

// ---- the server ----

export const CONTENDERS = ["eric-pipe", "eric-stream", "eric-deno", "naive", "better-sse"];

async function startServer(kind) {
  const script = fileURLToPath(new URL("./sockets-server.mjs", import.meta.url));
  const [cmd, args] = kind === "eric-deno"
    ? [bin("deno"), ["run", "-A", "--node-modules-dir=manual", "--unstable-no-legacy-abort", "--v8-flags=--expose-gc", script, kind]]
    : [process.execPath, ["--expose-gc", ...(process.env.SOCKETS_NODE_ARGS?.split(" ").filter(Boolean) ?? []), script, kind]];
  const child = track(spawn(cmd, args, { cwd: root, stdio: ["pipe", "pipe", "inherit"], env: { ...process.env, NO_COLOR: "1" } }));
  const port = await withTimeout(new Promise((resolve, reject) => {
    let text = "";
    child.stdout.on("data", (d) => {
      text += d;
      const m = text.match(/listening (\d+)/);
      if (m) resolve(Number(m[1]));
    });
    child.once("exit", (code) => reject(new Error(`${kind} server exited with ${code}`)));
  }), 30000, `${kind} server start`);
  const base = `http://127.0.0.1:${port}`;
  return {
    kind, port, pid: child.pid,
    ctl: (path) => withTimeout(fetch(`${base}${path}`).then((r) => r.json()), 30000, `${kind} ${path}`),
    // A moment to exit on its own (a --cpu-prof profile is written at exit), then SIGKILL.
    stop: () => kill(child, process.env.SOCKETS_NODE_ARGS ? 5000 : 300),
  };
}

/** utime + stime of every thread of `pid`, in µs. */
function cpuUs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) * TICK_US;
}

/** Write and read system calls made so far by `pid` (every thread). */
function syscalls(pid) {
  const io = readFileSync(`/proc/${pid}/io`, "utf8");
  return { writes: Number(io.match(/syscw: (\d+)/)?.[1]), reads: Number(io.match(/syscr: (\d+)/)?.[1]) };
}

function rssBytes(pid) {
  const m = readFileSync(`/proc/${pid}/status`, "utf8").match(/VmRSS:\s+(\d+) kB/);
  return m ? Number(m[1]) * 1024 : NaN;
}

// ---- the load clients ----

async function startLoad() {
  const child = track(fork(fileURLToPath(new URL("./sockets-client.mjs", import.meta.url)), [], {
    stdio: ["ignore", "inherit", "inherit", "ipc"], execArgv: [],
  }));
  const waiting = new Map();
  let nextId = 0;
  await withTimeout(new Promise((resolve) => child.once("message", resolve)), 15000, "load client start");
  child.on("message", (message) => {
    const settle = waiting.get(message.id);
    waiting.delete(message.id);
    if (message.error) settle?.reject(new Error(message.error));
    else settle?.resolve(message);
  });
  child.once("exit", (code) => {
    for (const { reject } of waiting.values()) reject(new Error(`load client exited with ${code}`));
  });
  return {
    pid: child.pid,
    request(op, args = {}, ms = 60000) {
      const id = nextId += 1;
      const answer = new Promise((resolve, reject) => waiting.set(id, { resolve, reject }));
      child.send({ id, op, ...args });
      return withTimeout(answer, ms, `load client ${op}`);
    },
    stop: () => kill(child),
  };
}

const sum = (xs, f) => xs.reduce((a, x) => a + f(x), 0);

/** Opens `n` more connections spread over the load processes; waits until the server counts
 * `total` (default n). */
async function openConnections(server, loads, n, total = n) {
  const per = loads.map((_, i) => Math.floor(n / loads.length) + (i < n % loads.length ? 1 : 0));
  await Promise.all(loads.map((l, i) => (per[i] ? l.request("open", { port: server.port, count: per[i] }, 120000) : null)));
  const deadline = Date.now() + 20000;
  for (;;) {
    const { connections } = await server.ctl("/ctl/count");
    if (connections >= total) return;
    if (Date.now() > deadline) throw new Error(`${server.kind}: ${connections} of ${total} connections registered`);
    await sleep(20);
  }
}

function percentileMs(histogram, p) {
  const total = histogram.reduce((a, b) => a + b, 0);
  if (total === 0) return NaN;
  let seen = 0;
  for (let i = 0; i < histogram.length; i += 1) {
    seen += histogram[i];
    if (seen >= total * p) return (i === 0 ? 1 : Math.exp(i * LOG_STEP)) / 1000;
  }
  return NaN;
}

/** One (contender, N, rate) cell: warm up, measure a fixed window, stop, let clients drain. */
async function cell(server, loads, n, rate, { warmMs, windowMs, drainMs }) {
  await server.ctl(`/ctl/publish?rate=${rate}`);
  await sleep(warmMs);
  await Promise.all(loads.map((l) => l.request("reset")));
  const cpu0 = cpuUs(server.pid);
  const io0 = syscalls(server.pid);
  const t0 = performance.now();
  await sleep(windowMs);
  const cpu1 = cpuUs(server.pid);
  const io1 = syscalls(server.pid);
  const t1 = performance.now();
  const snaps = await Promise.all(loads.map((l) => l.request("snapshot")));
  const rss = rssBytes(server.pid);
  const stopped = await server.ctl("/ctl/stop");

  // Every connection must end up with every message published so far, in order.
  const drainStarted = performance.now();
  let check;
  for (;;) {
    const checks = await Promise.all(loads.map((l) => l.request("check", { expected: stopped.published })));
    check = { complete: sum(checks, (c) => c.complete), bad: sum(checks, (c) => c.bad), open: sum(checks, (c) => c.open) };
    if (check.complete === n || check.bad > 0 || performance.now() - drainStarted > drainMs) break;
    await sleep(50);
  }

  const deliveries = sum(snaps, (s) => s.frames / (s.elapsedMs / 1000));
  const serverCpuPerSecond = (cpu1 - cpu0) / ((t1 - t0) / 1000);
  const histogram = new Array(1900).fill(0);
  for (const s of snaps) for (let i = 0; i < s.histogram.length; i += 2) histogram[s.histogram[i]] += s.histogram[i + 1];
  return {
    n, rate, deliveries,
    published: stopped.sent / (stopped.elapsedMs / 1000),
    usPerDelivery: serverCpuPerSecond / deliveries,
    writesPerDelivery: (io1.writes - io0.writes) / ((t1 - t0) / 1000) / deliveries,
    serverCores: serverCpuPerSecond / 1e6,
    clientCores: sum(snaps, (s) => s.cpuUs / s.elapsedMs / 1000),
    p50: percentileMs(histogram, 0.5), p99: percentileMs(histogram, 0.99),
    negative: sum(snaps, (s) => s.negative),
    rss, messages: stopped.published, ticks: stopped.ticks, longestGapMs: stopped.longestGapMs, ...check,
    drainMs: performance.now() - drainStarted,
  };
}

/** Per idle connection: heap + external (wasm memory included) after GC, N connections. */
async function memoryPerConnection(kind, loads, n) {
  const server = await startServer(kind);
  try {
    await openConnections(server, loads, 50); // warm: code compiled, pools allocated
    const before = await server.ctl("/ctl/memory");
    await openConnections(server, loads, n, 50 + n);
    const after = await server.ctl("/ctl/memory");
    const total = (m) => m.heapUsed + m.external;
    return {
      kind, n, gc: before.gc,
      bytes: (total(after) - total(before)) / n,
      heap: (after.heapUsed - before.heapUsed) / n,
      wasm: after.wasm === undefined ? undefined : (after.wasm - before.wasm) / n,
      rss: (after.rss - before.rss) / n,
    };
  } finally {
    await Promise.all(loads.map((l) => l.request("close")));
    await server.stop();
  }
}

/**
 * Runs every contender. Resolves to { config, cells: { [kind]: cell[] }, memory: { [kind] } }.
 * `quick`: fewer clients and shorter windows (a smoke run, under a minute).
 */
export async function benchSockets({
  quick = false, contenders = CONTENDERS, log = () => {}, memoryN, cells: runCells = true, loads: which = ["below", "saturated"],
} = {}) {
  const config = quick
    ? { sizes: [200, 1000], warmMs: 300, windowMs: 1000, drainMs: 5000, memoryN: 1000 }
    : { sizes: [1000, 5000], warmMs: 1000, windowMs: 3000, drainMs: 10000, memoryN: 5000 };
  // Offered rates, as deliveries/s (messages/s × N): one every contender keeps up with, and one
  // beyond what any of them can do on this machine.
  config.belowDeliveries = 20000;
  config.saturatedDeliveries = 2000000;
  config.loadProcesses = Number(process.env.SOCKETS_LOAD_PROCESSES ?? 2);
  if (memoryN) config.memoryN = memoryN;
  const loads = await Promise.all(Array.from({ length: config.loadProcesses }, startLoad));
  const cells = {};
  const memory = {};
  try {
    for (const kind of ["naive", "eric-pipe", "eric-stream", "better-sse"].filter((k) => contenders.includes(k))) {
      memory[kind] = await memoryPerConnection(kind, loads, config.memoryN);
      log(`memory ${kind}: ${JSON.stringify(memory[kind])}`);
    }
    for (const kind of runCells ? contenders : []) {
      cells[kind] = [];
      for (const n of config.sizes) {
        const server = await startServer(kind);
        let skip = "";
        try {
          await openConnections(server, loads, n);
          for (const [load, deliveries] of [["below", config.belowDeliveries], ["saturated", config.saturatedDeliveries]]) {
            if (!which.includes(load)) continue;
            if (skip) {
              cells[kind].push({ n, load, skipped: skip });
              continue;
            }
            const result = await cell(server, loads, n, deliveries / n, config);
            cells[kind].push({ ...result, load });
            log(`${kind} ${n} ${load}: ${fmt(result.deliveries / 1000, 1)} k/s, ${fmt(result.usPerDelivery, 2)} µs/delivery, `
              + `p50 ${fmt(result.p50, 2)} ms p99 ${fmt(result.p99, 2)} ms, server ${fmt(result.serverCores, 2)} cores `
              + `(${fmt(result.writesPerDelivery, 2)} write/writev calls per delivery; Deno's sendmsg are not counted), `
              + `clients ${fmt(result.clientCores, 2)} cores, published ${fmt(result.published, 0)}/s in ${result.ticks} timer turns `
              + `(longest gap ${fmt(result.longestGapMs, 0)} ms), ${result.complete}/${n} complete (${result.bad} bad) after ${fmt(result.drainMs, 0)} ms`);
            // A backlog left behind would spoil the next cell on this server.
            if (result.complete !== n) skip = `the ${load} cell left ${n - result.complete} connections incomplete`;
          }
        } finally {
          await Promise.all(loads.map((l) => l.request("close")));
          await server.stop();
        }
      }
    }
  } finally {
    await Promise.all(loads.map((l) => l.stop()));
  }
  return { config, cells, memory };
}

// ---- rows for bench/run.mjs ----

const NAMES = {
  "eric-pipe": "eric-sse pipe", "eric-stream": "eric-sse stream→res", "eric-deno": "eric-sse Deno.serve",
  naive: "naive", "better-sse": "better-sse",
};
const k = (v) => `${fmt(v / 1000, 1)} k/s`;
const ms = (v) => (Number.isNaN(v) ? "–" : v >= 100 ? `${fmt(v, 0)} ms` : `${fmt(v, 1)} ms`);
const mb = (v) => `${fmt(v / 2 ** 20, 0)} MB`;

/** The table rows: one per (N, load) and one for memory, in bench/run.mjs's row shape. */
export function socketRows(result) {
  const rows = [];
  const { config, cells, memory } = result;
  for (const n of config.sizes) {
    for (const load of ["below", "saturated"]) {
      const at = Object.fromEntries(Object.entries(cells)
        .map(([kind, list]) => [kind, list.find((c) => c.n === n && c.load === load)])
        .filter(([, c]) => c));
      const measured = Object.entries(at).filter(([, c]) => !c.skipped);
      const skipped = Object.entries(at).filter(([, c]) => c.skipped);
      if (measured.length === 0) continue;
      const { rate } = measured[0][1];
      const list = (f) => measured.map(([kind, c]) => `${NAMES[kind]} ${f(c)}`).join(", ");
      const figures = measured.map(([kind, c]) =>
        `${NAMES[kind]} ${k(c.deliveries)}, ${fmt(c.usPerDelivery, 2)} µs/delivery, p50 ${ms(c.p50)} p99 ${ms(c.p99)}, RSS ${mb(c.rss)}`).join("; ")
        + skipped.map(([kind, c]) => `; ${NAMES[kind]} not measured (${c.skipped})`).join("");
      const get = (kind) => (at[kind] && !at[kind].skipped ? at[kind] : undefined);
      const [pipe, naive, better] = [get("eric-pipe"), get("naive"), get("better-sse")];
      const complete = skipped.length === 0 && measured.every(([, c]) => c.complete === c.n);
      let ratio = "";
      let met = false;
      let goal;
      if (load === "below") {
        goal = "eric-sse pipe at or below naive's µs per delivery";
        const vsNaive = (c) => fmt(c.usPerDelivery / naive.usPerDelivery, 2);
        if (pipe && naive && better) {
          const others = [["eric-stream", "stream→res"], ["eric-deno", "Deno"]].filter(([kind]) => get(kind))
            .map(([kind, name]) => `${name} ${vsNaive(get(kind))}×`).join(", ");
          ratio = `pipe ${vsNaive(pipe)}× naive's µs/delivery, ${fmt(pipe.usPerDelivery / better.usPerDelivery, 2)}× better-sse's${others ? ` (${others} naive's)` : ""}`;
          met = pipe.usPerDelivery <= naive.usPerDelivery && complete;
        }
      } else {
        goal = "eric-sse pipe delivers more per second than naive and better-sse";
        if (pipe && naive && better) {
          ratio = `pipe ${fmt(pipe.deliveries / naive.deliveries, 2)}× naive's deliveries/s, ${fmt(pipe.deliveries / better.deliveries, 2)}× better-sse's`;
          met = pipe.deliveries > naive.deliveries && pipe.deliveries > better.deliveries && complete;
        }
      }
      const completeness = list((c) => (c.complete === c.n ? "all" : `${c.complete}`)
        + (c.bad ? ` (${c.bad} with a gap or out of order)` : "")
        + (c.complete + c.bad < c.n ? ` (${c.n - c.complete - c.bad} still behind ${fmt(c.drainMs / 1000, 1)} s after publishing stopped)` : "")
        + (load === "saturated" && c.complete === c.n ? ` in ${fmt(c.drainMs / 1000, 1)} s` : ""));
      const cores = list((c) => `${fmt(c.serverCores, 2)}/${fmt(c.clientCores, 2)}`);
      const published = load === "saturated" ? `; messages published/s: ${list((c) => fmt(c.published, 0))}` : "";
      const negative = sum(measured, ([, c]) => c.negative);
      const clock = negative ? `; ${negative} latencies came out negative (clock skew between processes)` : "";
      rows.push({
        scenario: `Sockets: ${n.toLocaleString("en-US")} SSE clients over 127.0.0.1, ${load === "below" ? "below capacity" : "saturated"} `
          + `(${fmt(rate, rate < 100 ? 1 : 0)} msg/s offered = ${k(rate * n)} deliveries)`,
        figures, ratio, goal, met,
        note: `connections that got every message in order${load === "saturated" ? " (and how long after publishing stopped)" : ""}: ${completeness}; CPU cores used, server/load client: ${cores}${published}${clock}`,
      });
    }
  }
  const pipe = memory["eric-pipe"];
  const stream = memory["eric-stream"];
  const naive = memory.naive;
  if (pipe && stream && naive) {
    const over = (m) => m.bytes - naive.bytes;
    const wasm = (m) => (m.wasm === undefined ? "" : `, of which wasm memory growth ${fmt(m.wasm, 0)} B`);
    rows.push({
      scenario: `Memory per open idle connection, ${pipe.n.toLocaleString("en-US")} connections (server process, heap + external after GC)`,
      figures: `eric-sse pipe ${fmt(pipe.bytes, 0)} B${wasm(pipe)}; eric-sse stream→res ${fmt(stream.bytes, 0)} B${wasm(stream)}; `
        + `naive (the Node connection alone) ${fmt(naive.bytes, 0)} B${memory["better-sse"] ? `; better-sse ${fmt(memory["better-sse"].bytes, 0)} B` : ""}`,
      ratio: `pipe adds ${fmt(over(pipe), 0)} B to the connection, stream→res ${fmt(over(stream), 0)} B`,
      goal: "sink ≤ 1 KB per open connection (over the connection itself)",
      met: over(pipe) <= 1024 && pipe.gc,
      note: `RSS growth per connection: pipe ${fmt(pipe.rss, 0)} B, stream→res ${fmt(stream.rss, 0)} B, naive ${fmt(naive.rss, 0)} B (kernel socket buffers are not in any of these)`,
    });
  }
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => process.exit(130));
  const quick = process.argv.includes("--quick");
  const only = process.argv.find((a) => a.startsWith("--only="))?.slice(7).split(",");
  const started = Date.now();
  const memoryN = Number(process.argv.find((a) => a.startsWith("--memory="))?.slice(9)) || undefined;
  const result = await benchSockets({
    quick, contenders: only ?? CONTENDERS, log: (line) => console.log(line), memoryN, cells: !process.argv.includes("--memory-only"),
    loads: process.argv.find((a) => a.startsWith("--load="))?.slice(7).split(","),
  });
  for (const r of socketRows(result)) {
    console.log(`${r.met ? "met " : "MISS"}  ${r.scenario}\n      ${r.figures}${r.ratio ? `\n      → ${r.ratio}` : ""}   (goal: ${r.goal})\n      ${r.note}`);
  }
  console.log(`(${Math.round((Date.now() - started) / 1000)} s)`);
  process.exit(0);
}
