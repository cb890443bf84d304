// The phases of a paced fan-out, eric-sse beside naive JS (bench/fanout.mjs's two paths, timed step
// by step): creating the listeners and streams, the first turn (the `retry:` openings), the
// send phase, the end. `node --expose-gc bench/phases.mjs [N] [M]`, medians of 5 interleaved rounds.
import { Channel } from "eric-sse";
import { drain, payload, turn } from "./fanout.mjs";

async function eric(n, m) {
  const t0 = performance.now();
  const channel = new Channel({ keepAliveMs: 0, historySize: 0, maxQueue: m + 1, maxQueueBytes: Infinity });
  const readers = [];
  for (let i = 0; i < n; i += 1) readers.push(drain(channel.stream(channel.addListener().id)));
  const t1 = performance.now();
  await turn();
  const t2 = performance.now();
  for (let i = 0; i < m; i++) { channel.broadcast("tick", payload(i)); await turn(); }
  const t3 = performance.now();
  channel.notifyEnd();
  await Promise.all(readers);
  const t4 = performance.now();
  return [t1 - t0, t2 - t1, t3 - t2, t4 - t3];
}
async function naive(n, m) {
  const t0 = performance.now();
  const encoder = new TextEncoder(); const controllers = []; const readers = [];
  for (let i = 0; i < n; i += 1) readers.push(drain(new ReadableStream({ start: (c) => { controllers.push(c); } })));
  const t1 = performance.now();
  await turn();
  const t2 = performance.now();
  for (let i = 0; i < m; i++) { const frame = encoder.encode(`id: ${i + 1}\nevent: tick\ndata: ${JSON.stringify(payload(i))}\n\n`); for (const c of controllers) c.enqueue(frame); await turn(); }
  const t3 = performance.now();
  for (const c of controllers) c.close();
  await Promise.all(readers);
  const t4 = performance.now();
  return [t1 - t0, t2 - t1, t3 - t2, t4 - t3];
}
const [n, m] = [Number(process.argv[2] ?? 10000), Number(process.argv[3] ?? 50)];
const res = { eric: [], naive: [] };
for (let r = 0; r < 5; r++) { globalThis.gc?.(); res.eric.push(await eric(n, m)); globalThis.gc?.(); res.naive.push(await naive(n, m)); }
for (const k in res) { const cols = [0,1,2,3].map((c) => res[k].map((x) => x[c]).sort((a,b)=>a-b)[2].toFixed(0)); console.log(k, "create", cols[0], "first turn", cols[1], "send", cols[2], "end", cols[3]); }
