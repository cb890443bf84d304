// channel.pipe(listenerId, res): SSE written straight to a Node http.ServerResponse, with the
// semantics of stream(): headers, retry, replay from Last-Event-ID, live frames, keep-alives,
// the client leaving removes the listener, backpressure holds messages in the core (bounded).
import { test } from "node:test";
import { deepEqual, equal, ok } from "node:assert/strict";
import { createServer, request } from "node:http";
import * as lib from "eric-sse";

async function serve(channel) {
  const server = createServer((req, res) => channel.pipe(channel.addListener().id, res, { request: req }));
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${server.address().port}/`, close: () => new Promise((r) => { server.closeAllConnections(); server.close(r); }) };
}

async function readUntil(response, done) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!done(text)) {
    const { value, done: end } = await reader.read();
    if (end) break;
    text += decoder.decode(value, { stream: true });
  }
  await reader.cancel();
  return text;
}

const until = async (check, ms = 3000) => {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  return check();
};

test("pipe writes headers, retry and live frames to a Node response", async () => {
  const channel = new lib.Channel({ keepAliveMs: 0 });
  const server = await serve(channel);
  try {
    const response = await fetch(server.url);
    equal(response.headers.get("content-type"), "text/event-stream");
    equal(response.headers.get("cache-control"), "no-cache");
    equal(response.headers.get("x-accel-buffering"), "no");
    await until(() => channel.listenerCount === 1);
    const id = channel.broadcast("tick", { n: 1 });
    const text = await readUntil(response, (t) => t.includes("data: {\"n\":1}"));
    equal(text, `retry: 5000\n\nid: ${id}\nevent: tick\ndata: {"n":1}\n\n`);
  } finally {
    await server.close();
  }
});

test("pipe replays after the request's Last-Event-ID and sends keep-alives", async () => {
  const channel = new lib.Channel({ keepAliveMs: 50, firstKeepAliveMs: 0 });
  const server = await serve(channel);
  try {
    const watcher = channel.addListener();
    const ids = [1, 2, 3].map((n) => channel.broadcast("n", n));
    channel.removeListener(watcher.id);
    const response = await fetch(server.url, { headers: { "last-event-id": ids[0] } });
    const text = await readUntil(response, (t) => t.includes(": keep-alive"));
    deepEqual([...text.matchAll(/data: (\d)\n/g)].map((m) => m[1]), ["2", "3"], text);
    ok(text.endsWith(": keep-alive\n\n"), text);
  } finally {
    await server.close();
  }
});

test("a client that leaves removes its listener; notifyEnd ends the response", async () => {
  const channel = new lib.Channel({ keepAliveMs: 0 });
  const server = await serve(channel);
  try {
    const leaving = await fetch(server.url);
    await until(() => channel.listenerCount === 1);
    await leaving.body.cancel();
    ok(await until(() => channel.listenerCount === 0), "the listener went with its client");
    const staying = await fetch(server.url);
    await until(() => channel.listenerCount === 1);
    channel.notifyEnd();
    const text = await readUntil(staying, () => false);
    ok(text.endsWith("event: _eric_channel_closed\ndata: null\n\n"), text);
  } finally {
    await server.close();
  }
});

test("a client that stops reading: the socket fills, the core holds the rest within its bounds, then cuts it off", async () => {
  const channel = new lib.Channel({ keepAliveMs: 0, maxQueueBytes: 256 * 1024 });
  const server = await serve(channel);
  try {
    let text = "";
    let res;
    const req = request(server.url, { agent: false }, (r) => {
      res = r;
      r.setEncoding("utf8");
      r.once("data", (chunk) => {
        text += chunk;
        r.pause();
      });
    });
    req.end();
    await until(() => channel.listenerCount === 1 && text !== "");
    const before = lib.memoryUsage().liveBytes;
    let peak = 0;
    for (let i = 0; i < 4096; i += 1) {
      channel.broadcast("big", "x".repeat(4096));
      if (i % 64 === 0) {
        await new Promise((r) => setImmediate(r));
        peak = Math.max(peak, lib.memoryUsage().liveBytes - before);
      }
    }
    // At most its queue bound, plus the history (256 messages of ~4 KiB), plus a frame in flight.
    ok(peak <= 256 * 1024 + 256 * 4200 + 64 * 1024, `held ${peak} bytes for one stalled client (history included)`);
    const ended = new Promise((resolve) => res.on("end", resolve));
    res.on("data", (chunk) => { text += chunk; });
    res.resume();
    await ended;
    ok(text.endsWith('event: _eric_overflow\ndata: {"maxQueueBytes":262144}\n\n'), text.slice(-100));
    equal(channel.listenerCount, 0);
  } finally {
    await server.close();
  }
});

test("sinks share one timer: each keeps its own keep-alive cadence, and one that leaves gets none", async () => {
  const { EventEmitter } = await import("node:events");
  const decoder = new TextDecoder();
  const sinks = [];
  for (const keepAliveMs of [30, 50, 80]) {
    const channel = new lib.Channel({ keepAliveMs, firstKeepAliveMs: 0 });
    for (let i = 0; i < 12; i += 1) {
      const res = new EventEmitter();
      const sink = { keepAliveMs, res, times: [], closedAt: Infinity };
      res.write = (bytes) => {
        if (decoder.decode(bytes).includes(": keep-alive")) sink.times.push(performance.now());
        return true;
      };
      res.end = () => {};
      res.destroy = () => {};
      channel.pipe(channel.addListener().id, res);
      sinks.push(sink);
      await new Promise((r) => setTimeout(r, 3)); // staggered deadlines
    }
  }
  try {
    await checkCadence(sinks);
  } finally {
    for (const sink of sinks) sink.res.emit("close");
  }
});

async function checkCadence(sinks) {
  await new Promise((r) => setTimeout(r, 100));
  // Every other sink leaves, in an order unlike the deadlines': they leave the heap from every place.
  const leaving = sinks.filter((_, i) => i % 2 === 1).reverse();
  for (const sink of leaving) {
    sink.closedAt = performance.now();
    sink.res.emit("close");
  }
  const staying = sinks.filter((s) => s.closedAt === Infinity);
  const after = performance.now();
  ok(await until(() => staying.every((s) => s.times.filter((t) => t > after).length >= 4), 10000),
    `keep-alives after the others left: ${staying.map((s) => s.times.filter((t) => t > after).length)}`);
  for (const sink of leaving) {
    deepEqual(sink.times.filter((t) => t > sink.closedAt), [], "no keep-alive after the sink closed");
    equal(sink.res.listenerCount("close"), 0, "the sink let go of its writable");
  }
  for (const sink of sinks) {
    ok(sink.times.length >= 1, "every sink got a keep-alive");
    for (let i = 1; i < sink.times.length; i += 1) {
      const gap = sink.times[i] - sink.times[i - 1];
      // Each write is timed here, after the core decided at its own reading of the clock: a test
      // process preempted in between (other suites share the 2 cores) shortens the next gap by
      // that much. A fifth of the cadence still tells 30, 50 and 80 ms apart.
      ok(gap >= sink.keepAliveMs * 0.8, `a keep-alive ${gap.toFixed(1)} ms after the last, every ${sink.keepAliveMs} ms asked`);
    }
  }
}
