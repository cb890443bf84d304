import { createParser } from "eric-sse";
import { RawParser, parserMemory } from "../pkg/eric_sse.js";
import { fixture } from "./fixtures.mjs";
const [name, part, passes] = process.argv.slice(2);
const { chunks } = fixture(name, 2);
const mem = parserMemory();
const pre = (() => { const raw = new RawParser(0, 0); const h = raw.header() >>> 2; const out = []; for (const c of chunks) { const a = raw.input(c.length); new Uint8Array(mem.buffer).set(c, a); const n = raw.feed(c.length); const w = new Uint32Array(mem.buffer); out.push([Buffer.prototype.ucs2Slice.call(Buffer.from(mem.buffer), w[h], w[h] + 2 * w[h + 1]), w.slice(w[h+2]>>>2, (w[h+2]>>>2)+n)]); } return out; })();
function deliver(text, index, handlers, state) {
  const end = index.length; let i = 0;
  while (i < end) { const at = i; const tag = index[at]; i += tag === 3 ? 5 : 3;
    switch (tag) {
      case 1: handlers.onEvent({ type: "message", data: text.slice(index[at + 1], index[at + 2]), lastEventId: state.id }); break;
      case 2: handlers.onEvent({ type: state.type, data: text.slice(index[at + 1], index[at + 2]), lastEventId: state.id }); break;
      case 3: state.type = text.slice(index[at + 3], index[at + 4]); handlers.onEvent({ type: state.type, data: text.slice(index[at + 1], index[at + 2]), lastEventId: state.id }); break;
      case 4: state.id = text.slice(index[at + 1], index[at + 2]); handlers.onId?.(state.id); break;
      case 6: handlers.onComment?.(text.slice(index[at + 1], index[at + 2])); break;
    } } }
const parts = {
  deliver: () => { let n = 0; const h = { onEvent: (e) => { n += e.data.length + e.type.length + e.lastEventId.length; } }; const st = { id: "", type: "" }; for (const [t, x] of pre) deliver(t, x, h, st); return n; },
  loop: () => { let n = 0; for (const [t, x] of pre) for (let i = 0; i < x.length; i++) n += x[i]; return n; },
  wasm: (scalar) => { const raw = new RawParser(0, 0); raw.setScalar(scalar); let w = 0; for (const c of chunks) { const a = raw.input(c.length); new Uint8Array(mem.buffer).set(c, a); w += raw.feed(c.length); } raw.free(); return w; },
  text: () => { const raw = new RawParser(0, 0); const h = raw.header() >>> 2; let n = 0; const b = Buffer.from(mem.buffer); for (const c of chunks) { const a = raw.input(c.length); new Uint8Array(mem.buffer).set(c, a); raw.feed(c.length); const w = new Uint32Array(mem.buffer); n += Buffer.prototype.ucs2Slice.call(b, w[h], w[h] + 2 * w[h + 1]).length; } raw.free(); return n; },
  full: () => { let n = 0; const p = createParser({ onEvent: (e) => { n += e.data.length; } }); for (const c of chunks) p.feed(c); return n; },
};
for (let i = 0; i < Number(passes); i++) (part === "simd" ? parts.wasm(false) : part === "scalar" ? parts.wasm(true) : parts[part]());
