import { RawParser } from "../pkg/eric_sse.js";
import "eric-sse";
const words = ["alpha", "beta", "gamma", "δέλτα", "emoji 😀", "naïve", "{\"k\":1}", "x".repeat(40), "日本語"];
let seed = 1; const rand = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
let s = ""; for (let n = 1; s.length < 8e6; n++) { s += `id: ${n}\nevent: tick\n`; for (let l = 0; l < 2; l++) s += `data: ${words[rand(9)]} ${words[rand(9)]}\n`; s += "\n"; }
const bytes = new TextEncoder().encode(s);
const chunks = []; for (let at = 0; at < bytes.length; at += 16384) chunks.push(bytes.subarray(at, at + 16384));
const dec = new TextDecoder("utf-8", { ignoreBOM: true });
for (let r = 0; r < 4; r++) {
  const raw = new RawParser(0);
  let t = performance.now(); let total = 0;
  const packed = [];
  for (const c of chunks) packed.push(raw.feed(c));
  const feedMs = performance.now() - t;
  t = performance.now();
  const strs = packed.map((p) => dec.decode(p));
  const decMs = performance.now() - t;
  t = performance.now(); let n = 0;
  for (const p of strs) { const parts = p.split("\r"); for (let i = 0; i < parts.length - 1; i++) { const h = parts[i]; if (h.charCodeAt(0) === 69) { const o = { type: h.slice(1), data: parts[i + 2], lastEventId: parts[i + 1] }; n += o.data.length; i += 2; } } }
  const unpackMs = performance.now() - t;
  t = performance.now();
  for (const c of chunks) total += dec.decode(c, {stream: true}).length;
  const plainDecode = performance.now() - t;
  console.log(`feed ${feedMs.toFixed(1)} ms (${(bytes.length/1048576/(feedMs/1000)).toFixed(0)} MB/s), decode ${decMs.toFixed(1)}, unpack ${unpackMs.toFixed(1)} ms; plain TextDecoder of input ${plainDecode.toFixed(1)} ms`);
}
