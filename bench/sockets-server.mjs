// One SSE server for bench/sockets.mjs, in its own process: `node --expose-gc
// bench/sockets-server.mjs <kind>` (kind: eric-stream, eric-pipe, naive, better-sse) or `deno run
// -A bench/sockets-server.mjs eric-deno`. Serves GET /events to every client, publishes on
// command, and answers control requests under /ctl/ on the same port. It prints
// "listening <port>" once it listens and exits when its stdin closes (its parent is gone).
//
// Every server publishes the same payload, {"n":<seq>,"t":<ms>,"text":"hello"}, with n counting
// from 0 over the process's life and t its send time, performance.timeOrigin + performance.now()
// (epoch ms with sub-ms precision; the load client reads the same clock on the same machine).
const isDeno = typeof globalThis.Deno !== "undefined";
const kind = isDeno ? globalThis.Deno.args[0] : process.argv[2];
const now = () => performance.timeOrigin + performance.now();
const headers = { "content-type": "text/event-stream", "cache-control": "no-cache", connection: "keep-alive" };

/** @type {(payload: object) => void} */
let broadcast;
/** @type {() => number} */
let connections;
/** @type {() => object} extra memory figures (the core's wasm memory) */
let extraMemory = () => ({});

// ---- publishing at an offered rate ----

let seq = 0;
let publishing = null;

/**
 * Publishes `rate` messages per second until stopped: each timer turn publishes what is due by
 * the clock, at most 50 ms worth (so a server that cannot keep up still turns its event loop, and
 * what it cannot publish stays owed, not queued). A turn's messages are published back to back,
 * as a burst from upstream would be.
 */
function startPublishing(rate) {
  const state = { rate, started: now(), sent: 0, timer: undefined, stopped: false, ticks: 0, longest: 0, last: now() };
  const cap = Math.max(1, Math.ceil(rate / 20));
  const tick = () => {
    if (state.stopped) return;
    const at = now();
    state.ticks += 1;
    state.longest = Math.max(state.longest, at - state.last);
    state.last = at;
    const due = Math.floor(((now() - state.started) * rate) / 1000) - state.sent;
    for (let i = 0; i < Math.min(due, cap); i += 1) {
      broadcast({ n: seq, t: now(), text: "hello" });
      seq += 1;
      state.sent += 1;
    }
    const nextAt = state.started + ((state.sent + 1) * 1000) / rate;
    state.timer = setTimeout(tick, Math.max(0, nextAt - now()));
  };
  tick();
  return state;
}

function stopPublishing() {
  if (publishing) {
    publishing.stopped = true;
    clearTimeout(publishing.timer);
  }
  const sent = publishing?.sent ?? 0;
  const elapsed = publishing ? now() - publishing.started : 0;
  const result = { published: seq, sent, elapsedMs: elapsed, ticks: publishing?.ticks, longestGapMs: publishing?.longest };
  publishing = null;
  return result;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** After a full GC (twice, with turns between so finalizers and weak callbacks run). */
async function memory() {
  for (let i = 0; i < 3; i += 1) {
    globalThis.gc?.();
    await sleep(30);
  }
  const m = isDeno ? globalThis.Deno.memoryUsage() : process.memoryUsage();
  return { gc: typeof globalThis.gc === "function", heapUsed: m.heapUsed, external: m.external, rss: m.rss, ...extraMemory() };
}

/** The control requests: path → JSON answer. */
async function control(path, query) {
  switch (path) {
    case "/ctl/count": return { connections: connections() };
    case "/ctl/publish":
      stopPublishing();
      publishing = startPublishing(Number(query.get("rate")));
      return { ok: true, from: seq };
    case "/ctl/stop": return stopPublishing();
    case "/ctl/memory": return memory();
    default: return { error: `unknown ${path}` };
  }
}

// ---- the contenders ----

async function nodeServer(handle) {
  const { createServer } = await import("node:http");
  const server = createServer((req, res) => {
    if (req.url.startsWith("/ctl/")) {
      const url = new URL(req.url, "http://x");
      control(url.pathname, url.searchParams).then((answer) => {
        res.writeHead(200, { "content-type": "application/json" });
        res.end(JSON.stringify(answer));
      });
      return;
    }
    handle(req, res);
  });
  server.listen(0, "127.0.0.1", 4096, () => console.log(`listening ${server.address().port}`));
  process.stdin.on("end", () => process.exit(0));
  process.stdin.on("close", () => process.exit(0));
  process.stdin.resume();
}

/** Queue bounds above the defaults (10,000 messages, 8 MiB): a saturated run builds a backlog by
 * design, and the default policy would cut off clients that fall that far behind. */
const bounds = { maxQueue: 100000, maxQueueBytes: 64 * 2 ** 20 };

async function ericNode(pipe) {
  const { Channel, memoryUsage } = await import("eric-sse");
  const channel = new Channel(bounds);
  broadcast = (payload) => channel.broadcast("tick", payload);
  connections = () => channel.listenerCount;
  extraMemory = () => ({ wasm: memoryUsage().wasmBytes });
  if (pipe) {
    await nodeServer((req, res) => channel.pipe(channel.addListener().id, res, { request: req }));
    return;
  }
  // The README's Node recipe: the listener's ReadableStream, each chunk written to the response.
  await nodeServer(async (req, res) => {
    const gone = new AbortController();
    res.on("close", () => gone.abort());
    res.writeHead(200, headers);
    const lastEventId = req.headers["last-event-id"];
    const listener = channel.addListener();
    for await (const chunk of channel.stream(listener.id, { lastEventId, signal: gone.signal })) {
      res.write(chunk);
    }
    res.end();
  });
}

async function naive() {
  const clients = new Set();
  broadcast = (payload) => {
    const frame = Buffer.from(`id: ${payload.n}\nevent: tick\ndata: ${JSON.stringify(payload)}\n\n`);
    for (const res of clients) res.write(frame);
  };
  connections = () => clients.size;
  await nodeServer((req, res) => {
    res.writeHead(200, headers);
    res.flushHeaders();
    clients.add(res);
    res.on("close", () => clients.delete(res));
  });
}

async function betterSse() {
  const { createChannel, createSession } = await import("better-sse");
  const channel = createChannel();
  broadcast = (payload) => channel.broadcast(payload, "tick");
  connections = () => channel.sessionCount;
  await nodeServer(async (req, res) => {
    channel.register(await createSession(req, res));
  });
}

async function ericDeno() {
  const { Channel, memoryUsage } = await import("eric-sse");
  const channel = new Channel(bounds);
  broadcast = (payload) => channel.broadcast("tick", payload);
  connections = () => channel.listenerCount;
  extraMemory = () => ({ wasm: memoryUsage().wasmBytes });
  const Deno = globalThis.Deno;
  Deno.serve({
    hostname: "127.0.0.1", port: 0, onListen: ({ port }) => console.log(`listening ${port}`),
  }, async (request) => {
    const url = new URL(request.url);
    if (url.pathname.startsWith("/ctl/")) return Response.json(await control(url.pathname, url.searchParams));
    return channel.response(channel.addListener().id, { request });
  });
  // Exit when the parent goes (stdin closes).
  (async () => {
    for await (const _ of Deno.stdin.readable) { /* nothing is sent */ }
    Deno.exit(0);
  })();
}

const kinds = { "eric-stream": () => ericNode(false), "eric-pipe": () => ericNode(true), naive, "better-sse": betterSse, "eric-deno": ericDeno };
if (!kinds[kind]) {
  console.error(`unknown server kind ${kind}`);
  if (isDeno) globalThis.Deno.exit(2);
  else process.exit(2);
}
await kinds[kind]();
