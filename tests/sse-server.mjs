// The real SSE server the client tests talk to. Every stream is written by hand, byte for byte
// (no Channel), so ids and cut points are exact. Each test uses its own `key`, so runs do not
// share state. Served on 127.0.0.1 and, with the same port and state, on 127.0.0.2: a second
// origin for cross-origin tests. Every /sse/ response allows CORS (and preflights).
//   GET  /sse/resume?key=K   1st connection: `retry: 30`, ids 1, 2, then a clean end; later ones
//                            send what follows Last-Event-ID up to 3, then 4 after 10 ms, and
//                            stay open (what a browser's EventSource is checked against).
//   ANY  /sse/echo?key=K     `id: 1`, one "echo" event describing the request, then stays open.
//   GET  /sse/end?key=K      `retry: 40`, one "hello" event (id and data: the connection number),
//                            then a clean end.
//   GET  /sse/status/:code   that status with Content-Type text/event-stream and (where the
//                            status allows a body) events; /sse/wrong-type is 200 text/plain.
//   GET  /sse/cut?key=K&after=TEXT&mode=end|abort
//                            `retry: 20` then events 1..3 of type "n" (ids "1764230000000-N")
//                            in one chunk; with `after`, the 1st connection is cut right after
//                            the first TEXT (a clean end, or a network error with mode=abort);
//                            other connections resume after Last-Event-ID and stay open.
//   GET  /sse/id?key=K&id=ID 1st connection: `retry: 20`, an event with that id, a clean end;
//                            later ones: one event whose data is the Last-Event-ID received
//                            (decoded as UTF-8), and stay open.
//   GET  /sse/retry?key=K&ms=N  `retry: N`, one event, a clean end.
//   GET  /sse/redirect?key=K&to=URL&status=307   a redirect to URL.
//   GET  /sse/huge?key=K&lines=N   one event of N short data lines that never ends (no blank
//                            line), then a small event, then stays open.
//   GET  /sse/churn?key=K&total=N&seed=S&maxCut=B   events 1..N (ids "1764230000000-N", varied
//                            framing: CRLF, comments, id after data, two data lines, multi-byte
//                            text); each connection starts after Last-Event-ID and is cut at a
//                            random byte offset below B (clean end or network error, at random).
//   GET  /sse/channel?key=K  the package's own Channel (its ids, whatever their form): 1st
//                            connection gets 1, 2, then the server hangs up and broadcasts 3;
//                            a reconnection replays from Last-Event-ID, then gets 4 live.
//   GET  /sse/info?key=K     JSON: what each connection of K sent (method, headers, time).
import { Channel } from "eric-sse";
import { serve } from "../scripts/serve.mjs";

export const EPOCH = "1764230000000";
const encoder = new TextEncoder();
const utf8 = new TextDecoder();

const wait = (ms, signal) => new Promise((resolve) => {
  const timer = setTimeout(resolve, ms);
  signal?.addEventListener("abort", () => {
    clearTimeout(timer);
    resolve();
  }, { once: true });
});

/** A header value as the UTF-8 text it carries (the server sees each byte as one char). */
function headerText(value) {
  if (value === null) return null;
  return utf8.decode(Uint8Array.from(value, (c) => c.charCodeAt(0) & 0xff));
}

function cors(request, headers = {}) {
  const origin = request.headers.get("origin");
  return {
    "access-control-allow-origin": origin ?? "*",
    ...(origin ? { "access-control-allow-credentials": "true", vary: "origin" } : {}),
    "access-control-allow-headers": "last-event-id, cache-control, x-custom, content-type",
    "access-control-allow-methods": "GET, POST",
    ...headers,
  };
}

/**
 * An SSE response whose body is what `produce(write)` writes; after it returns, the body stays
 * open until the client leaves (`hold`), ends cleanly (`end`) or fails (`abort`: the server cuts
 * the connection) — as `after` says, or as `produce` returns.
 */
function stream(request, produce, { after = "hold", status = 200, headers = {}, settleMs = 5 } = {}) {
  const body = new ReadableStream({
    async start(controller) {
      const write = (chunk) => controller.enqueue(typeof chunk === "string" ? encoder.encode(chunk) : chunk);
      try {
        const how = (await produce(write)) ?? after;
        if (how === "hold") await wait(60_000, request.signal);
        if (how === "abort") {
          // Erroring drops what is still queued: let the server write it out first, and give
          // the client `settleMs` to read it (a browser's fetch may report the cut before bytes
          // it already received when both arrive together, as they do on a loaded machine).
          while (controller.desiredSize < 1) await wait(1);
          await wait(settleMs);
          controller.error(new Error("cut by the test server"));
        }
        else controller.close();
      } catch {
        // The client left: nothing more to write.
      }
    },
  });
  return new Response(body, { status, headers: cors(request, { "content-type": "text/event-stream", "cache-control": "no-cache", ...headers }) });
}

const frame = (id, type, data) => `id: ${id}\nevent: ${type}\ndata: ${data}\n\n`;

/** xorshift32: the churn's cuts are reproducible from the seed. */
function rng(seed) {
  let x = (seed >>> 0) || 1;
  return (n) => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x % n;
  };
}

/** The churn stream's event n, framed in one of several ways (all spec-equivalent). */
export function churnFrame(n) {
  const eol = n % 3 === 0 ? "\r\n" : "\n";
  const lines = [];
  if (n % 5 === 0) lines.push(": keep-alive");
  const data = [`data: ${n} é… 😀`];
  if (n % 7 === 0) data.push("data: second line");
  const id = `id: ${EPOCH}-${n}`;
  const type = n % 2 === 1 ? ["event: tick"] : [];
  if (n % 4 === 1) lines.push(...type, ...data, id);
  else lines.push(id, ...type, ...data);
  return lines.join(eol) + eol + eol;
}

export function sseTestRoutes() {
  const seen = new Map();
  const record = (key, request, extra = {}) => {
    const list = seen.get(key) ?? [];
    seen.set(key, list);
    list.push({
      method: request.method, at: Date.now(), url: request.url, ...extra,
      lastEventId: headerText(request.headers.get("last-event-id")), accept: request.headers.get("accept"),
      cacheControl: request.headers.get("cache-control"), custom: request.headers.get("x-custom"),
      origin: request.headers.get("origin"),
    });
    return list.length;
  };

  const channels = new Map();
  function channel(request, key) {
    const n = record(key, request);
    const ch = channels.get(key) ?? new Channel({ id: key, retryMs: 30, keepAliveMs: 0 });
    channels.set(key, ch);
    const hangUp = new AbortController();
    const response = ch.response(ch.addListener().id, { request, signal: AbortSignal.any([request.signal, hangUp.signal]) });
    setTimeout(() => {
      if (n === 1) {
        ch.broadcast("n", 1);
        ch.broadcast("n", 2);
        setTimeout(() => { hangUp.abort(); ch.broadcast("n", 3); }, 30);
      } else {
        ch.broadcast("n", 4);
      }
    }, 10);
    return response;
  }

  function resume(request, key) {
    const n = record(key, request);
    const after = Number(request.headers.get("last-event-id") ?? 0);
    if (n === 1) {
      return stream(request, async (write) => {
        write("retry: 30\n\n");
        await wait(10);
        write(frame(1, "n", 1) + frame(2, "n", 2));
        await wait(30);
      }, { after: "end" });
    }
    return stream(request, async (write) => {
      let text = "";
      for (let i = after + 1; i <= 3; i += 1) text += frame(i, "n", i);
      if (text) write(text);
      await wait(10);
      write(frame(4, "n", 4));
    });
  }

  async function echo(request, key) {
    const body = request.method === "GET" ? null : await request.text();
    const n = record(key, request, { body });
    const data = JSON.stringify({ n, method: request.method, body, custom: request.headers.get("x-custom") });
    return stream(request, (write) => write(frame(1, "echo", data)));
  }

  function end(request, key) {
    const n = record(key, request);
    return stream(request, (write) => write(`retry: 40\n\n${frame(n, "hello", n)}`), { after: "end" });
  }

  function status(request, key, code) {
    record(key, request);
    const noBody = [101, 103, 204, 205, 304].includes(code);
    const body = noBody ? null : `retry: 10\n\n${frame(1, "message", "should not be read")}`;
    return new Response(body, { status: code, headers: cors(request, { "content-type": "text/event-stream" }) });
  }

  function cut(request, key, url) {
    const n = record(key, request);
    const events = [1, 2, 3].map((i) => frame(`${EPOCH}-${i}`, "n", i)).join("");
    const full = encoder.encode(`retry: 20\n\n${events}`);
    const after = url.searchParams.get("after");
    if (n === 1 && after !== null) {
      const marker = encoder.encode(after);
      let at = full.length;
      for (let i = 0; i + marker.length <= full.length; i += 1) {
        if (marker.every((b, j) => full[i + j] === b)) {
          at = i + marker.length;
          break;
        }
      }
      const mode = url.searchParams.get("mode") === "abort" ? "abort" : "end";
      // The tests of these cuts check Last-Event-ID, so the client must have read what came
      // before the cut: a longer settle (the churn test heals lost bytes by itself).
      return stream(request, (write) => write(full.subarray(0, at)), { after: mode, settleMs: 100 });
    }
    const last = headerText(request.headers.get("last-event-id")) ?? "";
    const from = last.startsWith(`${EPOCH}-`) ? Number(last.slice(EPOCH.length + 1)) : 0;
    let text = "retry: 20\n\n";
    for (let i = from + 1; i <= 3; i += 1) text += frame(`${EPOCH}-${i}`, "n", i);
    return stream(request, (write) => write(text));
  }

  function id(request, key, url) {
    const n = record(key, request);
    if (n === 1) {
      return stream(request, (write) => write(`retry: 20\n\nid: ${url.searchParams.get("id")}\ndata: first\n\n`), { after: "end" });
    }
    const received = headerText(request.headers.get("last-event-id"));
    return stream(request, (write) => write(`data: ${JSON.stringify(received)}\n\n`));
  }

  function retry(request, key, url) {
    const n = record(key, request);
    return stream(request, (write) => write(`retry: ${url.searchParams.get("ms")}\n\ndata: ${n}\n\n`), { after: "end" });
  }

  function redirect(request, key, url) {
    record(key, request);
    const code = Number(url.searchParams.get("status") ?? 307);
    return new Response(null, { status: code, headers: cors(request, { location: url.searchParams.get("to") }) });
  }

  function huge(request, key, url) {
    record(key, request);
    const lines = Number(url.searchParams.get("lines") ?? 1000);
    return stream(request, async (write) => {
      write("retry: 20\n\n");
      const block = "data: 0123456789abcdef0123456789abcdef\n".repeat(1000);
      for (let i = 0; i < lines; i += 1000) {
        write(block);
        if (i % 50_000 === 0) await wait(0);
      }
      write("\nid: after\ndata: small\n\n");
    });
  }

  function churn(request, key, url) {
    const n = record(key, request);
    const total = Number(url.searchParams.get("total") ?? 10_000);
    const maxCut = Number(url.searchParams.get("maxCut") ?? 8192);
    const random = rng(Number(url.searchParams.get("seed") ?? 1) * 7919 + n);
    const last = headerText(request.headers.get("last-event-id"));
    let from = 0;
    if (last !== null) {
      if (!last.startsWith(`${EPOCH}-`)) return new Response(`bad Last-Event-ID ${last}`, { status: 400, headers: cors(request) });
      from = Number(last.slice(EPOCH.length + 1));
    }
    let budget = random(maxCut);
    const cutMode = random(2) === 0 ? "abort" : "end";
    return stream(request, async (write) => {
      let next = from + 1;
      let buffer = encoder.encode(n === 1 ? "retry: 0\n\n" : "");
      for (;;) {
        while (buffer.length < 4096 && next <= total) {
          const more = encoder.encode(churnFrame(next));
          next += 1;
          const joined = new Uint8Array(buffer.length + more.length);
          joined.set(buffer);
          joined.set(more, buffer.length);
          buffer = joined;
        }
        if (buffer.length === 0) return "hold"; // all sent: the client closes when it has them
        if (budget === 0) return cutMode;
        // Pieces of random size, so chunk boundaries fall anywhere too (mid-character included).
        const take = Math.min(buffer.length, budget, 1 + random(2048));
        write(buffer.slice(0, take));
        buffer = buffer.subarray(take);
        budget -= take;
        if (random(4) === 0) await wait(0);
      }
    });
  }

  return (request) => {
    const url = new URL(request.url);
    const key = url.searchParams.get("key") ?? "";
    const path = url.pathname;
    if (!path.startsWith("/sse/")) return undefined;
    if (request.method === "OPTIONS") return new Response(null, { status: 204, headers: cors(request) });
    if (path === "/sse/resume") return resume(request, key);
    if (path === "/sse/channel") return channel(request, key);
    if (path === "/sse/echo") return echo(request, key);
    if (path === "/sse/end") return end(request, key);
    if (path === "/sse/cut") return cut(request, key, url);
    if (path === "/sse/id") return id(request, key, url);
    if (path === "/sse/retry") return retry(request, key, url);
    if (path === "/sse/redirect") return redirect(request, key, url);
    if (path === "/sse/huge") return huge(request, key, url);
    if (path === "/sse/churn") return churn(request, key, url);
    if (path === "/sse/wrong-type") {
      return new Response("data: x\n\n", { headers: cors(request, { "content-type": "text/plain" }) });
    }
    if (path.startsWith("/sse/status/")) return status(request, key, Number(path.slice("/sse/status/".length)));
    if (path === "/sse/info") return Response.json(seen.get(key) ?? [], { headers: cors(request) });
    return undefined;
  };
}

/**
 * Serves the routes (and the repository's files) on 127.0.0.1 and on 127.0.0.2 with the same
 * port and state; resolves to { url, crossUrl, close }.
 */
export async function startSseTestServer(extra = () => undefined) {
  const routes = sseTestRoutes();
  const handle = (request) => routes(request) ?? extra(request);
  const main = await serve({ handle });
  const port = Number(new URL(main.url).port);
  const cross = await serve({ handle, host: "127.0.0.2", port });
  return {
    url: main.url,
    crossUrl: cross.url,
    close: async () => {
      await cross.close();
      await main.close();
    },
  };
}
