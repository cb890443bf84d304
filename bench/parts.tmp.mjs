import { createParser } from "eric-sse";
import { RawParser, parserMemory } from "../pkg/eric_sse.js";
import { fixture } from "./fixtures.mjs";
const name = process.argv[2] ?? "mixed";
const { bytes, chunks } = fixture(name, 8);
const mem = parserMemory();
function wasmOnly(scalar) {
  const raw = new RawParser(0, 0); raw.setScalar(scalar);
  let words = 0;
  for (const c of chunks) { const a = raw.input(c.length); new Uint8Array(mem.buffer).set(c, a); words += raw.feed(c.length); }
  raw.free(); return words;
}
function wasmAndText() {
  const raw = new RawParser(0, 0); const h = raw.header() >>> 2;
  let n = 0;
  for (const c of chunks) { const a = raw.input(c.length); new Uint8Array(mem.buffer).set(c, a); raw.feed(c.length); const w = new Uint32Array(mem.buffer); const s = Buffer.prototype.ucs2Slice.call(Buffer.from(mem.buffer), w[h], w[h] + 2 * w[h + 1]); n += s.length; }
  raw.free(); return n;
}
function full() { let n = 0; const p = createParser({ onEvent: (e) => { n += e.data.length; } }); for (const c of chunks) p.feed(c); return n; }
function decodeOnly() { const d = new TextDecoder(); let n = 0; for (const c of chunks) n += d.decode(c, { stream: true }).length; return n; }
for (const [label, fn] of [["wasm simd", () => wasmOnly(false)], ["wasm scalar", () => wasmOnly(true)], ["wasm+text", wasmAndText], ["full", full], ["TextDecoder stream", decodeOnly]]) {
  fn(); const t = []; for (let i = 0; i < 7; i++) { const s = performance.now(); fn(); t.push(performance.now() - s); }
  t.sort((a, b) => a - b); console.log(label.padEnd(20), t[3].toFixed(1), "ms", (bytes.length / 1048576 / (t[3] / 1000)).toFixed(0), "MB/s");
}
