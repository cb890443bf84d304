// Soak: many SSE clients that leave without a word, against real workerd and real Deno. Each
// opens GET /channels/soak/events, reads the first bytes and drops its connection. Afterwards
// every listener must be gone (the server finds a gone client by the request signal or by the
// first keep-alive write), the core must hold nothing for them, the WebAssembly memory must not
// grow, and over a long run (`npm run soak`) the server's RSS must level off: a runtime's heap
// keeps its high-water mark and grows in steps during the first tens of thousands of requests
// (a bare ReadableStream server does the same), so a leak shows as growth between the two
// halves of a long run, not against a fresh process. Then one client
// stops reading while messages pile up: the core's byte bounds must hold what the server keeps
// (queue and history) under its limit, and the stalled stream must end with _eric_overflow.
//
// `npm test` runs it short (ABORTS requests); `npm run soak` runs 100,000 per server.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { bin, root } from "../../scripts/lib.mjs";
import { freePort, packageModules, serveWorker, waitForServer } from "../../scripts/workerd.mjs";

const rssMiB = (pid) => {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith("VmRSS:"));
  return Number(line?.match(/(\d+)/)?.[1] ?? 0) / 1024;
};
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Opens the SSE stream, waits for its first bytes, then drops the connection. */
function abortedClient(url) {
  return new Promise((resolve) => {
    const req = httpRequest(url, { agent: false }, (res) => {
      res.once("data", () => {
        req.destroy();
        resolve(true);
      });
    });
    req.on("error", () => resolve(false));
    req.end();
  });
}

async function stats(base) {
  return (await fetch(`${base}/_stats`)).json();
}

/** Waits until `check(stats)` holds; returns the last stats. */
async function settle(base, check, ms = 8000) {
  const end = Date.now() + ms;
  let last = await stats(base);
  while (!check(last) && Date.now() < end) {
    await sleep(100);
    last = await stats(base);
  }
  return last;
}

async function abortMany(base, count, concurrency) {
  let started = 0;
  let answered = 0;
  const url = `${base}/channels/soak/events`;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (started < count) {
      started += 1;
      if (await abortedClient(url)) answered += 1;
    }
  }));
  return answered;
}

/** One client stops reading while 8 MiB of messages are published. */
async function stalledReader(base) {
  await fetch(`${base}/channels`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ id: "stall" }) });
  let text = "";
  let res;
  const req = httpRequest(`${base}/channels/stall/events`, { agent: false }, (r) => {
    res = r;
    r.setEncoding("utf8");
    r.once("data", (chunk) => {
      text += chunk;
      r.pause();
    });
  });
  req.end();
  await sleep(300);
  const payload = JSON.stringify({ type: "big", payload: "x".repeat(4096) });
  let peak = 0;
  for (let i = 0; i < 2048; i += 1) {
    await fetch(`${base}/channels/stall/messages`, { method: "POST", body: payload, headers: { "content-type": "application/json" } });
    if (i % 256 === 0) peak = Math.max(peak, (await stats(base)).memory.liveBytes);
  }
  peak = Math.max(peak, (await stats(base)).memory.liveBytes);
  const ended = new Promise((resolve) => res.on("end", resolve));
  res.on("data", (chunk) => { text += chunk; });
  res.resume();
  await Promise.race([ended, sleep(5000)]);
  req.destroy();
  return { peak, text };
}

async function soak(label, server, report, { aborts, concurrency }) {
  const base = server.url;
  const half = Math.ceil(aborts / 2);
  const round = async () => {
    const answered = await abortMany(base, half, concurrency);
    const after = await settle(base, (s) => s.listeners.soak === 0);
    await sleep(1000);
    return { answered, after, rss: rssMiB(server.pid) };
  };
  try {
    await fetch(`${base}/channels`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ id: "soak" }) });
    const warm = (await round()).after;
    const started = Date.now();
    const first = await round();
    const second = await round();
    const took = Date.now() - started;
    const answered = first.answered + second.answered;
    report(`${label}: ${2 * half} clients that left without a word leave 0 listeners (${answered} answered in ${(took / 1000).toFixed(1)} s)`,
      first.after.listeners.soak === 0 && second.after.listeners.soak === 0 && answered === 2 * half,
      JSON.stringify([first.after.listeners, second.after.listeners]));
    report(`${label}: the core holds nothing for them afterwards (${second.after.memory.liveBytes} bytes, as before)`,
      second.after.memory.liveBytes === warm.memory.liveBytes, `${warm.memory.liveBytes} → ${second.after.memory.liveBytes}`);
    report(`${label}: the WebAssembly memory does not grow with the churn (${(warm.memory.wasmBytes / 1048576).toFixed(1)} → ${(second.after.memory.wasmBytes / 1048576).toFixed(1)} MiB)`,
      second.after.memory.wasmBytes <= warm.memory.wasmBytes + 1048576, `${warm.memory.wasmBytes} → ${second.after.memory.wasmBytes}`);
    // RSS: a runtime's heap keeps its high-water mark and grows in steps early on, so only a
    // long run can show a plateau; the short run prints the figures.
    const rssLine = `RSS ${first.rss.toFixed(0)} MiB after ${half} more, ${second.rss.toFixed(0)} MiB after ${2 * half}`;
    if (half >= 20_000) report(`${label}: RSS levels off (${rssLine})`, second.rss <= first.rss + 24, rssLine);
    else console.log(`     ${label}: ${rssLine} (levelling off is checked by npm run soak)`);
    const { peak, text } = await stalledReader(base);
    report(`${label}: a stalled reader under 8 MiB of messages keeps the core under its byte bounds (peak ${(peak / 1024).toFixed(0)} KiB)`,
      peak <= 1024 * 1024, `${peak} bytes held`);
    report(`${label}: the stalled stream ends with _eric_overflow once it reads again`,
      text.endsWith('event: _eric_overflow\ndata: {"maxQueueBytes":262144}\n\n'), JSON.stringify(text.slice(-120)));
  } finally {
    await server.stop();
  }
}

export async function runSoak(report, { aborts = Number(process.env.SOAK_ABORTS ?? 2000), concurrency = 50 } = {}) {
  const worker = await serveWorker("soak", ["tests/soak/worker.js", "tests/soak/hub.js", ...packageModules()]);
  await soak("workerd", worker, report, { aborts, concurrency });
  const port = await freePort();
  const deno = spawn(bin("deno"), ["run", "--allow-net", "--allow-env", "--allow-read", "tests/soak/deno.js"], {
    cwd: root, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, PORT: String(port), NO_COLOR: "1" },
  });
  await soak("deno", await waitForServer(deno, `http://127.0.0.1:${port}`, "deno"), report, { aborts, concurrency });
}

// `npm run soak`: 100,000 aborted streams per server.
if (import.meta.url === `file://${process.argv[1]}`) {
  let failed = 0;
  await runSoak((name, ok, detail) => {
    console.log(`${ok ? "ok  " : "FAIL"} ${name}${ok ? "" : ` — ${detail}`}`);
    if (!ok) failed += 1;
  }, { aborts: Number(process.env.SOAK_ABORTS ?? 100_000), concurrency: 100 });
  process.exitCode = failed ? 1 : 0;
}
