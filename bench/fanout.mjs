// Fan-out: N listeners each reading its SSE stream to the end while M broadcasts of a small JSON
// payload go out; deliveries per second (N×M / time). Side by side:
//   eric-sse     Channel.stream() per listener, broadcast(), notifyEnd()
//   better-sse   createChannel() + createResponse() Fetch sessions, each body read to the end
//   naive JS     one pre-encoded frame enqueued into N ReadableStreams per broadcast
//   pull JS      (paced only) the same frame, enqueued into the streams whose readers wait and
//                queued by the others until they pull: the floor of a stream with backpressure
// Two schedules: "burst" sends all M broadcasts in one turn of the event loop; "paced" yields a
// macrotask after each broadcast so readers catch up between them. Every reader counts the
// bytes it reads; the totals are checked against N × (M × frame length + stream framing).
import { createChannel, createResponse } from "better-sse";
import { Channel } from "eric-sse";

export const payload = (i) => ({ n: i, text: "hello", ok: true });
export const turn = () => new Promise((resolve) => setImmediate(resolve));

export async function drain(stream) {
  let bytes = 0;
  for await (const chunk of stream) bytes += chunk.byteLength;
  return bytes;
}

/** When the last fan-out started sending (its listeners and streams open): `sendPhase()` is the
 * time from there to the end of the run, so setup and delivery can be told apart. */
let sendStarted = 0;
let sendEnded = 0;
export const sendPhase = () => sendEnded - sendStarted;
const finished = (value) => {
  sendEnded = performance.now();
  return value;
};

async function send(m, paced, broadcast) {
  sendStarted = performance.now();
  for (let i = 0; i < m; i += 1) {
    broadcast(i);
    if (paced) await turn();
  }
}

export async function ericFanout(n, m, paced) {
  const channel = new Channel({ keepAliveMs: 0, historySize: 0, maxQueue: m + 1, maxQueueBytes: Infinity });
  const readers = [];
  for (let i = 0; i < n; i += 1) readers.push(drain(channel.stream(channel.addListener().id)));
  await turn();
  await send(m, paced, (i) => channel.broadcast("tick", payload(i)));
  channel.notifyEnd();
  return finished((await Promise.all(readers)).reduce((a, b) => a + b, 0));
}

export async function betterSseFanout(n, m, paced) {
  const channel = createChannel();
  const aborts = [];
  const readers = [];
  for (let i = 0; i < n; i += 1) {
    const abort = new AbortController();
    aborts.push(abort);
    const request = new Request("http://127.0.0.1/events", { signal: abort.signal });
    const response = createResponse(request, { keepAlive: null, retry: null }, (session) => channel.register(session));
    readers.push(drain(response.body).catch(() => 0));
  }
  while (channel.sessionCount < n) await turn();
  await send(m, paced, (i) => channel.broadcast(payload(i), "tick"));
  await turn();
  for (const abort of aborts) abort.abort();
  return finished((await Promise.all(readers)).reduce((a, b) => a + b, 0));
}

export async function naiveFanout(n, m, paced) {
  const encoder = new TextEncoder();
  const controllers = [];
  const readers = [];
  for (let i = 0; i < n; i += 1) {
    readers.push(drain(new ReadableStream({ start: (c) => { controllers.push(c); } })));
  }
  await turn();
  await send(m, paced, (i) => {
    const frame = encoder.encode(`id: ${i + 1}\nevent: tick\ndata: ${JSON.stringify(payload(i))}\n\n`);
    for (const c of controllers) c.enqueue(frame);
  });
  for (const c of controllers) c.close();
  return finished((await Promise.all(readers)).reduce((a, b) => a + b, 0));
}

/**
 * The floor of a stream with backpressure, in plain JS: one frame per broadcast, enqueued at once
 * into each stream whose reader waits (its `pull()` ran since its last frame) and kept in the
 * stream's own array by the others until they pull: the least any pull-based server does per
 * delivery (no ids, history, queue bounds, overflow policy or keep-alive).
 */
export async function pullFanout(n, m, paced) {
  const encoder = new TextEncoder();
  const streams = [];
  const readers = [];
  for (let i = 0; i < n; i += 1) {
    const s = { controller: null, hungry: false, closing: false, queue: [] };
    streams.push(s);
    readers.push(drain(new ReadableStream({
      start: (c) => { s.controller = c; },
      pull: () => {
        if (s.queue.length === 0) {
          s.hungry = true;
          return;
        }
        s.controller.enqueue(s.queue.shift());
        if (s.closing && s.queue.length === 0) s.controller.close();
      },
    }, { highWaterMark: 0 })));
  }
  await turn();
  await send(m, paced, (i) => {
    const frame = encoder.encode(`id: ${i + 1}\nevent: tick\ndata: ${JSON.stringify(payload(i))}\n\n`);
    for (const s of streams) {
      if (s.hungry) {
        s.hungry = false;
        s.controller.enqueue(frame);
      } else s.queue.push(frame);
    }
  });
  for (const s of streams) {
    s.closing = true;
    if (s.queue.length === 0) s.controller.close();
  }
  return finished((await Promise.all(readers)).reduce((a, b) => a + b, 0));
}

/** Single stream: `count` messages into one listener's stream, the reader reading them all. */
export async function ericSingle(count) {
  // The whole burst queues before the reader runs: room for it (the default byte bound is 8 MiB).
  const channel = new Channel({ keepAliveMs: 0, historySize: 0, maxQueue: count + 1, maxQueueBytes: 64 * 1024 * 1024 });
  const listener = channel.addListener();
  const reading = drain(channel.stream(listener.id));
  for (let i = 0; i < count; i += 1) channel.dispatch(listener.id, "tick", payload(i));
  channel.notifyEnd();
  return reading;
}

export async function betterSseSingle(count) {
  const abort = new AbortController();
  const request = new Request("http://127.0.0.1/events", { signal: abort.signal });
  let session;
  const response = createResponse(request, { keepAlive: null, retry: null }, (s) => { session = s; });
  const reading = drain(response.body).catch(() => 0);
  while (!session) await turn();
  for (let i = 0; i < count; i += 1) session.push(payload(i), "tick");
  await turn();
  abort.abort();
  return reading;
}
