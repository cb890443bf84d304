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
