// Durable Objects beside the single-isolate hub, both in the real workerd over 127.0.0.1:
// publishes into one channel (one object: every publish is an SQLite INSERT, the object assigns
// the id) with N SSE readers open, `inFlight` publishes at a time. Figures: publishes/s (until
// the last is acknowledged) and delivered messages/s (N × M until the last reader has all M).
// The load generator (Node's fetch) shares the machine's cores with workerd.
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { root } from "../scripts/lib.mjs";
import { freePort, serveConfig } from "../scripts/workerd.mjs";
import { serveDurable } from "../tests/durable/lib.mjs";

/** Opens `n` watch streams on channel `c`; each counts the "event: t" frames it reads. */
async function readers(url, c, n) {
  const counts = new Array(n).fill(0);
  const bodies = await Promise.all(Array.from({ length: n }, () => fetch(`${url}/channels/${c}/events`)));
  const done = bodies.map(async (response, i) => {
    const decoder = new TextDecoder();
    let carry = "";
    for await (const chunk of response.body) {
      const text = carry + decoder.decode(chunk, { stream: true });
      counts[i] += text.split("event: t\n").length - 1;
      carry = text.slice(-8);
      if (carry.includes("event: t\n")) carry = "";
    }
  });
  // Every stream has its retry: line before publishing starts.
  await new Promise((r) => setTimeout(r, 200));
  return { counts, done, close: () => fetch(`${url}/channels/${c}`, { method: "DELETE" }) };
}

async function run(url, n, m, inFlight) {
  const c = `bench-${Date.now().toString(36)}-${n}`;
  await fetch(`${url}/channels`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ id: c }) });
  const open = await readers(url, c, n);
  const started = performance.now();
  let next = 0;
  const publisher = async () => {
    while (next < m) {
      next += 1;
      const response = await fetch(`${url}/channels/${c}/messages`, {
        method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ type: "t", payload: { n: next } }),
      });
      if (response.status !== 200) throw new Error(`publish answered ${response.status}: ${await response.text()}`);
      await response.arrayBuffer();
    }
  };
  await Promise.all(Array.from({ length: inFlight }, publisher));
  const published = performance.now() - started;
  const end = Date.now() + 30_000;
  while (open.counts.some((k) => k < m) && Date.now() < end) await new Promise((r) => setTimeout(r, 2));
  const delivered = performance.now() - started;
  const complete = open.counts.every((k) => k === m);
  await open.close();
  await Promise.all(open.done);
  return { publishRate: m / (published / 1000), deliverRate: (n * m) / (delivered / 1000), complete, counts: open.counts };
}

/**
 * @param {{ n?: number, m?: number, inFlight?: number }} [options]
 * @returns {Promise<{ durable: any, isolate: any, n: number, m: number, inFlight: number }>}
 */
export async function benchDurable({ n = 20, m = 1000, inFlight = 8 } = {}) {
  const dir = join(root, "test-output", "bench-durable");
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const durableServer = await serveDurable({ port: await freePort(), dir, env: { HUB_TOKEN: "", HISTORY: "1000" } });
  let durable;
  try {
    await run(durableServer.url, 10, 100, inFlight); // warm-up: the object, the isolate, the connections
    durable = await run(durableServer.url, n, m, inFlight);
  } finally {
    await durableServer.stop();
  }
  const isolateServer = await serveConfig(join(root, "examples", "cloudflare", "config.capnp"), { env: { HUB_TOKEN: "" } });
  let isolate;
  try {
    await run(isolateServer.url, 10, 100, inFlight);
    isolate = await run(isolateServer.url, n, m, inFlight);
  } finally {
    await isolateServer.stop();
  }
  return { durable, isolate, n, m, inFlight };
}
