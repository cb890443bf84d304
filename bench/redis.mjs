// The Redis backplane end to end, beside a single process: POST /channels/:c/messages to one
// process → Redis → 2 processes of examples/redis/server.js → SSE readers over HTTP (this
// process), against the same load on one process without Redis (a hub on local channels).
// Throughput: messages published with 16 in flight until every reader has them all (each once,
// all readers in one order). Latency:
// paced publishes carrying their send time, read on every reader (one clock: this process).
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createParser } from "eric-sse";
import { root } from "../scripts/lib.mjs";
import { freePort, waitForServer } from "../scripts/workerd.mjs";
import { redisBackplane } from "eric-sse/redis";
import { REDIS_SERVER, startRedis } from "../tests/redis/redis-server.mjs";

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))];

async function hub(script, env) {
  const port = await freePort();
  const child = spawn(process.execPath, [script], {
    cwd: root, stdio: ["ignore", "ignore", "inherit"], env: { ...process.env, ...env, PORT: String(port) },
  });
  return waitForServer(child, `http://127.0.0.1:${port}`, script);
}

/** `count` SSE readers of `url`; each records, per message, the latency from its `t` payload. */
function readers(url, count) {
  const all = Array.from({ length: count }, () => {
    const reader = { got: 0, latencies: [], order: [], base: 0, abort: new AbortController() };
    const parser = createParser({
      onEvent: ({ type, data }) => {
        if (type !== "m") return;
        const { n, t } = JSON.parse(data);
        if (n < reader.base) return;
        reader.order.push(n);
        reader.got += 1;
        if (t) reader.latencies.push(performance.now() - t);
      },
    });
    fetch(url, { signal: reader.abort.signal })
      .then(async (response) => { for await (const chunk of response.body) parser.feed(chunk); })
      .catch(() => {});
    return reader;
  });
  return all;
}

async function until(check, ms) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) return false;
    await sleep(2);
  }
  return true;
}

/** One setup: publish to `publishTo`, read `perProcess` streams from each of `readFrom`. */
async function measure(publishTo, readFrom, perProcess, { count, paced }) {
  const channel = `bench-${Date.now().toString(36)}`;
  const post = (path, body) => fetch(`${publishTo}${path}`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
  }).then((r) => r.json());
  await post("/channels", { id: channel });
  const all = readFrom.flatMap((url) => readers(`${url}/channels/${channel}/events`, perProcess));
  // Every reader's replica follows before the run: a warm-up each must see.
  let warm = 0;
  while (!all.every((r) => r.got > 0)) {
    await post(`/channels/${channel}/messages`, { type: "m", payload: { n: warm } });
    warm += 1;
    await until(() => all.every((r) => r.got > 0), 200);
  }
  await sleep(100);
  for (const r of all) Object.assign(r, { got: 0, latencies: [], order: [], base: warm });

  const started = performance.now();
  let next = 0;
  const publisher = async () => {
    while (next < count) {
      const n = warm + next;
      next += 1;
      await post(`/channels/${channel}/messages`, { type: "m", payload: { n, t: paced ? performance.now() : 0 } });
      if (paced) await sleep(paced);
    }
  };
  await Promise.all(Array.from({ length: paced ? 1 : 16 }, publisher));
  const complete = await until(() => all.every((r) => r.got === count), 20000);
  const ms = performance.now() - started;
  for (const r of all) r.abort.abort();
  const latencies = all.flatMap((r) => r.latencies).sort((a, b) => a - b);
  // Every reader got every message, each once, and all in one order.
  const order = all[0].order.join();
  const whole = complete && new Set(all[0].order).size === count && all.every((r) => r.order.join() === order);
  return {
    ms, complete: whole, readers: all.length,
    p50: percentile(latencies, 0.5), p99: percentile(latencies, 0.99),
  };
}

/** The adapter alone, in this process: appends (16 in flight) until a follower has them all. */
async function adapterRate(url, count) {
  const backplane = redisBackplane({ url, maxLen: count });
  try {
    const channel = `raw-${Date.now().toString(36)}`;
    await backplane.create(channel);
    let got = 0;
    const stop = backplane.follow(channel, null, { entries: (entries) => { got += entries.length; } });
    let next = 0;
    const started = performance.now();
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < count) {
        next += 1;
        await backplane.append(channel, { type: "m", payload: "{}" });
      }
    }));
    await until(() => got >= count, 20000);
    const ms = performance.now() - started;
    stop();
    return count / (ms / 1000);
  } finally {
    await backplane.close();
  }
}

/**
 * Resolves to { adapter: appends/s, redis: { rate, latency }, single: { rate, latency } }, or
 * null without Debian's redis-server (`npm run setup -- --redis` installs it).
 */
export async function benchRedis({ quick = false } = {}) {
  if (!existsSync(REDIS_SERVER)) return null;
  const redis = await startRedis("bench-redis");
  const servers = [];
  try {
    const env = { REDIS_URL: redis.url, REDIS_MAXLEN: "10000" };
    servers.push(await hub("examples/redis/server.js", env), await hub("examples/redis/server.js", env));
    const [single] = [await hub("bench/local-hub.mjs", {})];
    servers.push(single);
    const perProcess = 20;
    const count = quick ? 300 : 1000;
    const pacedCount = quick ? 100 : 200;
    const result = { adapter: await adapterRate(redis.url, quick ? 2000 : 10000) };
    for (const [name, publishTo, readFrom, per] of [
      ["redis", servers[0].url, [servers[0].url, servers[1].url], perProcess],
      ["single", single.url, [single.url], perProcess * 2],
    ]) {
      const rate = await measure(publishTo, readFrom, per, { count, paced: 0 });
      const latency = await measure(publishTo, readFrom, per, { count: pacedCount, paced: 5 });
      result[name] = { rate: { ...rate, perSecond: count / (rate.ms / 1000), count }, latency };
    }
    return result;
  } finally {
    await Promise.all(servers.map((s) => s.stop()));
    await redis.stop();
  }
}
