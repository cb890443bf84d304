// `npm run bench` (run by scripts/bench.mjs under `node --expose-gc`): every scenario side by
// side in one run, one table of figures and ratios, written to bench/RESULTS.md.
import { readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { fileURLToPath } from "node:url";
import { Channel } from "eric-sse";
import { initSync } from "../pkg/eric_sse.js";
import {
  betterSseFanout, betterSseSingle, ericFanout, ericSingle, naiveFanout, pullFanout, sendPhase,
} from "./fanout.mjs";
import { fmt, median, sideBySide } from "./lib.mjs";
import { benchDurable } from "./durable.mjs";
import { benchCallgrind, CALLGRIND_SETUP } from "./callgrind.mjs";
import { SHAPES, benchParseApart } from "./parse.mjs";
import { benchPayload } from "./payload.mjs";
import { benchPool } from "./pool.mjs";
import { benchRedis } from "./redis.mjs";
import { IMPORT_SPECS, benchSize } from "./size.mjs";
import { benchSockets, socketRows } from "./sockets.mjs";

const quick = process.argv.includes("--quick");
const rows = [];
const row = (scenario, figures, ratio, goal, met, note = "") => rows.push({ scenario, figures, ratio, goal, met, note });
const rate = (count, ms) => `${fmt(count / ms / 1000, 2)} M/s`;

async function fanout(n, m) {
  for (const paced of [false, true]) {
    const schedule = paced ? "paced: a turn between broadcasts" : "burst: broadcasts in one turn";
    /** Each run's delivery phase (from the first broadcast to the last byte read), per contender. */
    const phases = { eric: [], better: [], naive: [], pull: [] };
    const timed = (name, fn) => async () => {
      const bytes = await fn();
      phases[name].push(sendPhase());
      return bytes;
    };
    const r = await sideBySide({
      eric: timed("eric", () => ericFanout(n, m, paced)),
      better: timed("better", () => betterSseFanout(n, m, paced)),
      naive: timed("naive", () => naiveFanout(n, m, paced)),
      ...(paced ? { pull: timed("pull", () => pullFanout(n, m, paced)) } : {}),
    }, quick ? 1 : 3);
    // The first of each is the warm-up round.
    const phase = Object.fromEntries(Object.entries(phases).map(([k, v]) => [k, median(v.slice(1))]));
    const d = n * m;
    const vsBetter = r.better.ms / r.eric.ms;
    const vsNaive = r.naive.ms / r.eric.ms;
    const pull = paced
      ? { figure: `, pull JS ${rate(d, r.pull.ms)}`, ratio: `, ${fmt(r.pull.ms / r.eric.ms, 2)}× pull JS`, bytes: ` / ${r.pull.check}`,
        phase: `, pull JS ${fmt(phase.pull, 0)} ms (${fmt(phase.pull / phase.eric, 2)}×)` }
      : { figure: "", ratio: "", bytes: "", phase: "" };
    row(`Fan-out ${n.toLocaleString("en-US")}×${m} (${schedule})`,
      `eric-sse ${rate(d, r.eric.ms)}, better-sse ${rate(d, r.better.ms)}, naive JS ${rate(d, r.naive.ms)}${pull.figure} deliveries`,
      // The goals (issue 15): paced ≥ 1× naive; burst > 1× naive and ≥ 20× better-sse.
      `${fmt(vsBetter)}× better-sse, ${fmt(vsNaive, 2)}× naive${pull.ratio}`,
      paced ? "≥ 1× naive" : "≥ 20× better-sse, > 1× naive",
      paced ? vsNaive >= 1 : vsBetter >= 20 && vsNaive > 1,
      `bytes read: ${r.eric.check} / ${r.better.check} / ${r.naive.check}${pull.bytes}; the times include opening the ${n.toLocaleString("en-US")} streams ` +
      `(ours send \`retry:\` first; naive sends nothing); from the first broadcast to the last byte alone: eric-sse ${fmt(phase.eric, 0)} ms, ` +
      `naive ${fmt(phase.naive, 0)} ms (${fmt(phase.naive / phase.eric, 2)}× naive), better-sse ${fmt(phase.better, 0)} ms${pull.phase}`);
  }
}

async function single(count) {
  const r = await sideBySide({ eric: () => ericSingle(count), better: () => betterSseSingle(count) }, quick ? 1 : 3);
  const ratio = r.better.ms / r.eric.ms;
  row(`Single stream, ${count.toLocaleString("en-US")} messages`,
    `eric-sse ${rate(count, r.eric.ms)}, better-sse ${rate(count, r.better.ms)} messages`,
    `${fmt(ratio)}× better-sse`, "≥ 50× better-sse", ratio >= 50, `bytes read: ${r.eric.check} / ${r.better.check}`);
}

async function coreBroadcast(n, m) {
  const shared = { n: 1 };
  const r = await sideBySide({
    eric: () => {
      const channel = new Channel({ historySize: 0, maxQueue: m + 1, maxQueueBytes: Infinity });
      const ids = [];
      for (let i = 0; i < n; i += 1) ids.push(channel.addListener().id);
      const started = performance.now();
      for (let i = 0; i < m; i += 1) channel.broadcast("tick", { n: i });
      const ms = performance.now() - started;
      let queued = 0;
      try { for (;;) { channel.deliverNext(ids[0]); queued += 1; } } catch { /* drained */ }
      return { ms, queued };
    },
    arrays: () => {
      const queues = Array.from({ length: n }, () => []);
      const started = performance.now();
      for (let i = 0; i < m; i += 1) {
        const message = JSON.stringify({ n: i });
        for (const q of queues) q.push(message);
      }
      return { ms: performance.now() - started, queued: queues[0].length };
    },
  }, quick ? 1 : 3);
  const d = n * m;
  const ratio = r.arrays.check.ms / r.eric.check.ms;
  row(`Core: broadcast into ${n.toLocaleString("en-US")} queues, not consumed`,
    `eric-sse ${rate(d, r.eric.check.ms)} enqueues (frame encoded once per broadcast); JS arrays of one shared string ${rate(d, r.arrays.check.ms)}`,
    `${fmt(ratio, 2)}× a JS array push`, "per-listener work is a pointer push", r.eric.check.queued === m,
    `each queue held ${r.eric.check.queued} of ${m}`);
}

/** Bytes per idle listener: listeners alone, listeners with an open stream and a pending read,
 * and the floor — a bare ReadableStream with a reader and a pending read — in the same run. */
async function memory(n) {
  const wasm = initSync({ module: readFileSync(new URL("../pkg/eric_sse_bg.wasm", import.meta.url)) });
  const settle = () => new Promise((r) => setTimeout(r, 20));
  const measure = () => { globalThis.gc(); globalThis.gc(); return { heap: process.memoryUsage().heapUsed, wasm: wasm.memory.buffer.byteLength }; };
  const perItem = (a, b) => ((b.heap - a.heap) + (b.wasm - a.wasm)) / n;

  await settle();
  let before = measure();
  let keep = Array.from({ length: n }, () => {
    const reader = new ReadableStream({ pull() {} }, { highWaterMark: 0 }).getReader();
    reader.read();
    return reader;
  });
  await settle();
  const bare = perItem(before, measure());
  keep = null;

  await settle();
  before = measure();
  const channel = new Channel({ keepAliveMs: 15000 });
  const listeners = Array.from({ length: n }, () => channel.addListener());
  await settle();
  const afterListeners = measure();
  const alone = perItem(before, afterListeners);
  let readers = listeners.map((l) => {
    const reader = channel.stream(l.id).getReader();
    reader.read();
    return reader;
  });
  await settle();
  const open = measure();
  const streaming = perItem(before, open);
  for (const reader of readers) await reader.cancel();
  readers = null;
  listeners.length = 0;
  await settle();
  const cancelled = measure();
  const left = channel.listenerIds().length;
  for (let i = 0; i < n; i += 1) channel.stream(channel.addListener().id).cancel();
  await settle();
  const again = measure();
  row(`Memory: ${n.toLocaleString("en-US")} idle listeners (no stream)`,
    `${fmt(alone, 0)} B each (JS heap + wasm)`, "", "≤ 1 KB per idle listener", alone <= 1024);
  row(`Memory: the same listeners, each with an open stream and a pending read`,
    `${fmt(streaming, 0)} B each; a bare Node ReadableStream + reader + pending read alone: ${fmt(bare, 0)} B`,
    `${fmt(streaming / bare, 2)}× a bare stream`, "≤ 1 KB (not reachable with a Web stream per client in Node: the stream alone costs more)", streaming <= 1024,
    `cancelling every stream removed ${n - left} of ${n} listeners; JS heap then ${fmt((cancelled.heap - before.heap) / 1024 / 1024, 2)} MB over the baseline; ` +
    `wasm memory never shrinks, but ${n.toLocaleString("en-US")} more listeners and streams grew it by ${fmt((again.wasm - open.wasm) / 1024)} KB (freed memory is reused)`);
}

function sizes() {
  const size = benchSize({ quick });
  const kb = (n) => `${fmt(n / 1024)} KB`;
  row("Size: .wasm", `${kb(size.wasm.raw)} raw, ${kb(size.wasm.zipped)} gzipped`, "", "≤ 40 KB gzipped (issue 6)", size.wasm.zipped <= 40 * 1024,
    "one .wasm for every entry: the core, the hub's decoder and the SIMD128 parser (opt-level 2; see Cargo.toml)");
  const entry = (name, e) => `${name} ${kb(e.zipped)} (${e.files} files, ${kb(e.raw)} raw)`;
  row("Size: JS each entry loads in Node (dist/, each file gzipped)",
    [entry("eric-sse/channel", size.entries.channel), entry("eric-sse/client", size.entries.client), entry("eric-sse", size.entries.full)].join("; "),
    "", "≤ 10 KB gzipped for the channel entry", size.entries.channel.zipped <= 10 * 1024,
    "the wasm-bindgen glue is split by binding (each entry loads only its own classes); the error classes and the loader come with every entry");
  row("Size: a consumer's minified esbuild bundle",
    `import { Channel } from "eric-sse/channel": ${kb(size.consumer.channel.zipped)} gzipped; import { connect } from "eric-sse/client": ${kb(size.consumer.client.zipped)} gzipped`,
    "", "≤ 10 KB gzipped", size.consumer.channel.zipped <= 10 * 1024 && size.consumer.client.zipped <= 10 * 1024, "the .wasm not included");
  for (const { version, times } of [size.imports.node20, size.imports.node24]) {
    const t = (spec) => `${fmt(times[spec].median, 1)} ms (min ${fmt(times[spec].min, 1)})`;
    row(`Cold import in a fresh Node ${version} process (median of ${quick ? 5 : 21})`,
      IMPORT_SPECS.map((spec) => `${spec} ${t(spec)}`).join("; "),
      `${fmt(times["eric-sse/channel"].median / times["eventsource-parser"].median, 1)}× eventsource-parser`,
      "≤ 15 ms for eric-sse/channel on Node 20", !version.startsWith("v20") || times["eric-sse/channel"].median <= 15,
      "the time of `await import()` alone; eric-sse's includes compiling and instantiating the .wasm");
  }
}

const started = Date.now();
console.log("eric-sse bench: each scenario runs its contenders interleaved; ratios are from this run.\n");
/** Runs a scenario; one that throws is a failed row, and the others still run. */
async function scenario(name, fn) {
  try {
    await fn();
  } catch (error) {
    row(name, `the scenario threw: ${error?.name ?? "Error"}: ${error?.message ?? error}`, "", "runs to the end", false);
  }
}

await scenario("Fan-out 1,000×200", () => fanout(1000, 200));
await scenario("Fan-out 10,000×50", () => fanout(10000, 50));
await scenario("Single stream, 100,000 messages", () => single(100000));
await scenario("Core: broadcast into 10,000 queues", () => coreBroadcast(10000, 50));
await scenario("Memory: idle listeners", () => memory(quick ? 20000 : 100000));
await scenario("Payloads", async () => {
  for (const r of await benchPayload({ rounds: quick ? 1 : 5 })) {
    const size = r.bytes >= 1024 * 1024 ? "1 MiB" : `${r.bytes / 1024} KiB`;
    row(`Payload ${size}: broadcast → stream bytes`,
      `eric-sse ${fmt(r.us.broadcast, 1)} µs; JSON.stringify alone ${fmt(r.us.stringify, 1)} µs; naive (stringify, frame, encode, enqueue, read) ${fmt(r.us.naive, 1)} µs; `
        + `the floor of a Web-stream path (stringify, enqueue a ready frame, read) ${fmt(r.us.floor, 1)} µs`,
      `${fmt(r.broadcast, 2)}× JSON.stringify, ${fmt(r.broadcastVsNaive, 2)}× naive, ${fmt(r.broadcastVsFloor, 2)}× the floor`, "≥ 0.5× JSON.stringify", r.broadcast >= 0.5 && r.same,
      `${r.jsonBytes.toLocaleString("en-US")} B of JSON, ${r.count} messages per round`);
    row(`Payload ${size}: dispatch → deliverNext`,
      `eric-sse ${fmt(r.us.deliverNext, 1)} µs; JSON.stringify ${fmt(r.us.stringify, 1)} µs; JSON.parse(JSON.stringify()) ${fmt(r.us.stringifyParse, 1)} µs`,
      `${fmt(r.deliverNext, 2)}× JSON.stringify, ${fmt(r.deliverNextVsRoundTrip, 2)}× stringify + parse`, "≥ 0.5× JSON.stringify (the floor: deliverNext returns the parsed payload, so stringify + parse)",
      r.deliverNextVsRoundTrip >= 0.5 && r.same);
  }
});
const parsed = benchParseApart({ megabytes: quick ? 2 : 8, rounds: quick ? 2 : 7, splitRounds: quick ? 2 : 9 });
for (const r of parsed.parse) {
  row(`Parse ${fmt(r.megabytes, 0)} MB, bytes → events, 16 KiB chunks — ${r.title}`,
    `eric-sse createParser ${fmt(r.ours.mbps)} MB/s; eventsource-parser 4.1.3 (+ streaming TextDecoder) ${fmt(r.theirs.mbps)} MB/s`,
    `${fmt(r.ratio, 2)}× eventsource-parser`, "≥ 2× eventsource-parser", r.ratio >= 2 && r.same,
    `${r.check}; instructions per byte: \`npm run bench:callgrind\``);
}
await scenario("Parse, where the time per event goes", async () => {
  for (const r of parsed.split) {
    row(`Parse, time per event — ${SHAPES[r.name]}`,
      `eric-sse ${fmt(r.full, 1)} ns: wasm parse ${fmt(r.wasm, 1)}, the chunk's string and index copy ${fmt(r.text, 1)}, `
        + `events (object, slices, handler call) ${fmt(r.delivery, 1)}; eventsource-parser ${fmt(r.theirs, 1)} ns`,
      `${fmt(r.theirs / r.full, 2)}× eventsource-parser`, "a profile: 2× needs at most half of eventsource-parser's time", null,
      `${r.events.toLocaleString("en-US")} events; the parts are measured apart, interleaved (median of rounds)`);
  }
});
if (quick) {
  row("Parse, instructions per byte (callgrind)", "not measured with --quick (`npm run bench:callgrind`)", "", "≥ 2× eventsource-parser", false);
} else {
  await scenario("Parse, instructions per byte (callgrind)", () => {
    for (const r of benchCallgrind()) {
      row(`Parse, instructions per byte (callgrind) — ${r.title}`,
        `eric-sse ${fmt(r.perByte["eric-sse"], 1)}/B; eventsource-parser ${fmt(r.perByte["eventsource-parser"], 1)}/B`,
        `${fmt(r.ratio, 2)}× eventsource-parser`, "≥ 2× eventsource-parser", r.ratio >= 2 && r.same,
        `${CALLGRIND_SETUP}; ${r.same ? "same events" : "EVENTS DIFFER"}: ${r.check}`);
    }
  });
}
const pool = await benchPool({ rounds: quick ? 1 : 3 });
row("Pool: hash 1 MiB per task, 2 workers", pool.heavy.figures,
  `${fmt(pool.heavy.vsInline, 2)}× inline, ${fmt(pool.heavy.vsWorkerpool, 2)}× workerpool, ${fmt(pool.heavy.vsBare, 2)}× the bare threads`,
  "≥ 1.8× inline on 2 cores", pool.heavy.vsInline >= 1.8 && pool.heavy.same,
  `${pool.heavy.same ? "every hash checked against the inline result" : "RESULTS DIFFER"}; the bare threads (each takes half the jobs in one ` +
  `message: no pool can beat them) reach ${fmt(pool.heavy.bareVsInline, 2)}× inline on this machine`);
row("Pool: per-task overhead (tiny tasks)", pool.tiny.figures, `${fmt(pool.tiny.ratio, 2)}× workerpool's speed`,
  "no worse than workerpool", pool.tiny.ratio >= 1 && pool.tiny.same);
const durable = await benchDurable({ m: quick ? 200 : 500 });
row(`Durable Objects: publishes into one channel object, ${durable.n} SSE readers, ${durable.inFlight} in flight (real workerd, SQLite on disk)`,
  `durable ${fmt(durable.durable.publishRate, 0)} publishes/s, ${fmt(durable.durable.deliverRate, 0)} delivered/s; `
    + `single-isolate hub (examples/cloudflare) ${fmt(durable.isolate.publishRate, 0)} publishes/s, ${fmt(durable.isolate.deliverRate, 0)} delivered/s`,
  `${fmt(durable.durable.publishRate / durable.isolate.publishRate, 2)}× the single-isolate hub's publish rate`,
  "every message reaches every reader", durable.durable.complete && durable.isolate.complete,
  `${durable.m} messages; each publish is a request to the front, one to the object and an SQLite write before the reply; the HTTP client shares the cores`);
const redis = await benchRedis({ quick });
if (redis) {
  const perSecond = (r) => `${fmt(r.rate.perSecond, 0)} msg/s (${fmt(r.rate.perSecond * r.rate.readers / 1000, 1)} k deliveries/s)`;
  const ms = (v) => `${fmt(v, 1)} ms`;
  row(`Redis backplane: messages/s end to end (POST → Redis → 2 processes → ${redis.redis.rate.readers} SSE readers)`,
    `Redis ${perSecond(redis.redis)}; one process without Redis, ${redis.single.rate.readers} readers: ${perSecond(redis.single)}`,
    `${fmt(redis.redis.rate.perSecond / redis.single.rate.perSecond, 2)}× the single process`,
    "every message on every reader, once, in one order", redis.redis.rate.complete && redis.single.rate.complete,
    `${redis.redis.rate.count} messages, 16 POSTs in flight, readers over HTTP in the bench process; ` +
    `the adapter alone (append → follower, one process): ${fmt(redis.adapter, 0)} appends/s`);
  row("Redis backplane: publish-to-delivery latency (paced, one POST every 5 ms)",
    `Redis p50 ${ms(redis.redis.latency.p50)}, p99 ${ms(redis.redis.latency.p99)}; one process p50 ${ms(redis.single.latency.p50)}, p99 ${ms(redis.single.latency.p99)}`,
    `+${ms(redis.redis.latency.p50 - redis.single.latency.p50)} at p50`, "measured beside the single process",
    redis.redis.latency.complete && redis.single.latency.complete, "from before the POST to the event parsed on each reader (one clock)");
} else {
  row("Redis backplane", "not measured: no /usr/bin/redis-server (npm run setup -- --redis)", "", "measured", false);
}
try {
  for (const r of socketRows(await benchSockets({ quick }))) row(r.scenario, r.figures, r.ratio, r.goal, r.met, r.note);
} catch (error) {
  row("Sockets: fan-out over 127.0.0.1", `not measured: ${error.message}`, "", "measured", false);
}
sizes();

const cpu = cpus()[0]?.model ?? "unknown CPU";
const machine = `${cpu}, ${cpus().length} cores, ${fmt(totalmem() / 2 ** 30, 0)} GiB; Node ${process.version}; ${new Date().toISOString().slice(0, 10)}`;
const table = [
  "| scenario | figures | ratio | goal | met |",
  "|---|---|---|---|---|",
  ...rows.map((r) => `| ${r.scenario} | ${r.figures}${r.note ? `<br><sub>${r.note}</sub>` : ""} | ${r.ratio} | ${r.goal} | ${r.met === null ? "—" : r.met ? "yes" : "**no**"} |`),
].join("\n");
for (const r of rows) {
  console.log(`${r.met === null ? "info" : r.met ? "met " : "MISS"}  ${r.scenario}\n      ${r.figures}${r.ratio ? `\n      → ${r.ratio}` : ""}   (goal: ${r.goal})${r.note ? `\n      ${r.note}` : ""}`);
}
const notes = readFileSync(new URL("./NOTES.md", import.meta.url), "utf8");
// --out=FILE writes the table there (and its rows as JSON beside it) instead of bench/RESULTS.md:
// `npm test` runs the quick bench that way to prove every scenario still runs.
const out = process.argv.find((a) => a.startsWith("--out="))?.slice("--out=".length);
const target = out ?? fileURLToPath(new URL("./RESULTS.md", import.meta.url));
writeFileSync(target,
  `# Benchmark results\n\nMachine: ${machine}. Generated by \`npm run bench\` in ${Math.round((Date.now() - started) / 1000)} s.\n\n${table}\n\n${notes}`);
if (out) writeFileSync(`${out}.json`, JSON.stringify(rows, null, 1));
console.log(`\nwrote ${out ?? "bench/RESULTS.md"} (${Math.round((Date.now() - started) / 1000)} s)`);
