// Parse: bytes in → event objects out, eric-sse's createParser vs eventsource-parser 4.1.3, on
// three generated streams of different shapes (bench/fixtures.mjs: ours, mixed, tiny) in 16 KiB
// chunks. eventsource-parser takes strings, so its pipeline includes a streaming TextDecoder, as
// a real bytes-in consumer needs. Both must produce the same events (count and characters).
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { createParser as esParser } from "eventsource-parser";
import { createParser } from "eric-sse";
import { fixture, runOurs, runTheirs } from "./fixtures.mjs";
import { fmt, sideBySide } from "./lib.mjs";

export const SHAPES = {
  ours: "ours: ~45 B/event, LF/CRLF/CR, some multi-byte UTF-8",
  mixed: "mixed: ~157 B/event, EOL mixed per line, two-byte UTF-8 text, 2–4 data lines, comments",
  tiny: "tiny: `data: n` events, ~11 B/event",
};

export async function benchParse({ megabytes = 8, rounds = 7 } = {}) {
  const results = [];
  for (const name of Object.keys(SHAPES)) {
    const { bytes, chunks } = fixture(name, megabytes);
    const r = await sideBySide({
      "eric-sse": () => runOurs(createParser, chunks),
      "eventsource-parser": () => runTheirs(esParser, chunks),
    }, rounds);
    const mbps = (ms) => bytes.length / 1024 / 1024 / (ms / 1000);
    results.push({
      name,
      title: SHAPES[name],
      megabytes: bytes.length / 1024 / 1024,
      ours: { ms: r["eric-sse"].ms, mbps: mbps(r["eric-sse"].ms) },
      theirs: { ms: r["eventsource-parser"].ms, mbps: mbps(r["eventsource-parser"].ms) },
      ratio: r["eventsource-parser"].ms / r["eric-sse"].ms,
      same: r["eric-sse"].check === r["eventsource-parser"].check,
      check: `events/chars: ${r["eric-sse"].check} vs ${r["eventsource-parser"].check}`,
    });
  }
  return results;
}

/**
 * Where our time per event goes, on each fixture: the wasm parse alone (bytes in, index out),
 * then with the chunk's one string and the index copy (what `createParser` does before it makes
 * events), then all of it (the event objects, the slices and the handler call); and
 * eventsource-parser's whole time per event, measured interleaved (median of `rounds`).
 */
export async function benchParseSplit({ megabytes = 8, rounds = 9 } = {}) {
  // The package's internals (the parser's binding and the memory views), for this measurement
  // only: from the sources, on an instance of their own.
  const { initSync, views, coreViews } = await import("../js/wasm.js");
  const { RawParser } = await import("../pkg/eric_sse_parser.js");
  initSync({ module: readFileSync(new URL("../pkg/eric_sse_bg.wasm", import.meta.url)) });
  const ucs2 = /** @type {any} */ (globalThis).Buffer?.prototype.ucs2Slice;
  const results = [];
  for (const name of Object.keys(SHAPES)) {
    const { chunks } = fixture(name, megabytes);
    const core = (withText) => {
      const raw = new RawParser(0, 0);
      const header = raw.header() >>> 2;
      let sum = 0;
      for (const chunk of chunks) {
        const address = raw.input(chunk.length);
        coreViews();
        views.bytes.set(chunk, address);
        const words = raw.feed(chunk.length);
        if (withText && words > 0) {
          coreViews();
          const head = views.words;
          const text = ucs2.call(views.node, head[header], head[header] + 2 * head[header + 1]);
          const start = head[header + 2] >>> 2;
          sum += text.length + head.slice(start, start + words).length;
        } else sum += words;
      }
      raw.free();
      return sum;
    };
    const r = await sideBySide({
      wasm: () => core(false),
      text: () => core(true),
      full: () => runOurs(createParser, chunks),
      theirs: () => runTheirs(esParser, chunks),
    }, rounds);
    const events = Number(r.full.check.split("/")[0]);
    const ns = (k) => (r[k].ms * 1e6) / events;
    results.push({ name, events, wasm: ns("wasm"), text: ns("text") - ns("wasm"), delivery: ns("full") - ns("text"), full: ns("full"), theirs: ns("theirs") });
  }
  return results;
}

/**
 * `benchParse` and `benchParseSplit` in a process of their own (node --expose-gc, as `npm run
 * bench`): run after the 10,000-stream fan-outs in one process, both parsers are 20–50% slower
 * per event, even after a gc(), so the ratio moved with the order of the scenarios
 * (bench/NOTES.md). A fresh process is how a client parses.
 * @param {{ megabytes: number, rounds: number, splitRounds: number }} options
 * @returns {{ parse: Awaited<ReturnType<typeof benchParse>>, split: Awaited<ReturnType<typeof benchParseSplit>> }}
 */
export function benchParseApart({ megabytes, rounds, splitRounds }) {
  const result = spawnSync(process.execPath, ["--expose-gc", fileURLToPath(import.meta.url), "--json", String(megabytes), String(rounds), String(splitRounds)],
    { encoding: "utf8", maxBuffer: 1 << 24 });
  if (result.status !== 0) throw new Error(`bench/parse.mjs --json failed: ${result.stderr.slice(-2000)}`);
  return JSON.parse(result.stdout);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const json = process.argv.indexOf("--json");
  if (json >= 0) {
    const [megabytes, rounds, splitRounds] = process.argv.slice(json + 1, json + 4).map(Number);
    const parse = await benchParse({ megabytes, rounds });
    const split = await benchParseSplit({ megabytes, rounds: splitRounds });
    process.stdout.write(JSON.stringify({ parse, split }));
    process.exit(0);
  }
  if (process.argv.includes("--split")) {
    for (const r of await benchParseSplit()) console.log(r.name, JSON.stringify(r, (k, v) => (typeof v === "number" ? Math.round(v * 10) / 10 : v)));
    process.exit(0);
  }
  for (const r of await benchParse({ rounds: Number(process.argv[2] ?? 7) })) {
    console.log(`${r.title}\n  eric-sse ${fmt(r.ours.mbps)} MB/s, eventsource-parser ${fmt(r.theirs.mbps)} MB/s → ${fmt(r.ratio, 2)}×  (${r.same ? "same events" : "EVENTS DIFFER"}: ${r.check})`);
  }
}
