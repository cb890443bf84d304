// The parser's client-facing rules, the fetch client (connect()) and the EventSource class
// against the real SSE server of tests/sse-server.mjs. Each test receives the package as `lib`
// and `ctx` = { server, deadUrl } (a base URL on 127.0.0.1, and a URL where nothing listens);
// the same server answers on 127.0.0.2 (a second origin). Tests marked `native` use only the
// standard EventSource API: in Chromium they also run against the browser's own EventSource
// (`lib.EventSource` replaced), which is what ours must behave like.
// Runs under Node 20 and 24, Deno, Bun, workerd, and Chromium (a page and a dedicated worker).

import { AssertionError, equal, ok, rejects, throws, tick } from "./assert.js";

export const clientTests = [];
const test = (name, fn, { native = false } = {}) => clientTests.push({ name, fn, native });
let keys = 0;
const key = () => `${Date.now().toString(36)}-${(keys += 1)}-${Math.random().toString(36).slice(2)}`;
const info = async (ctx, k) => (await fetch(`${ctx.server}/sse/info?key=${k}`)).json();
const crossOf = (ctx) => ctx.server.replace("//127.0.0.1:", "//127.0.0.2:");
const EPOCH = "1764230000000";

/** Expects `fn` to throw a DOMException named SyntaxError (what EventSource throws for a bad URL). */
function syntaxError(fn, what) {
  try {
    fn();
  } catch (error) {
    if (error instanceof DOMException && error.name === "SyntaxError") return;
    throw new AssertionError(`${what}: expected a SyntaxError DOMException, got ${error?.name}: ${error?.message}`);
  }
  throw new AssertionError(`${what}: expected a SyntaxError DOMException, nothing was thrown`);
}

/**
 * URLs this runtime's URL parser refuses (Chromium's accepts a space in a host, as its own
 * EventSource does; the others are refused everywhere).
 */
function invalidUrls() {
  const urls = ["http://this is invalid/", "http://[::1/", "http://127.0.0.1:99999/"].filter((url) => {
    try {
      new URL(url);
      return false;
    } catch {
      return true;
    }
  });
  ok(urls.length >= 2, `too few invalid URLs: ${urls}`);
  return urls;
}

/** Resolves with what `collect(event, done)` gathers; fails after `ms`. Always closes `source`. */
function until(source, ms, setup) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      source.close();
      reject(new Error(`timed out after ${ms} ms (readyState ${source.readyState})`));
    }, ms);
    setup((value) => {
      clearTimeout(timer);
      source.close();
      resolve(value);
    }, (error) => {
      clearTimeout(timer);
      source.close();
      reject(error);
    });
  });
}

/** Waits for an "error" event that leaves the source CLOSED; returns the events seen. */
function untilClosed(source, ms = 3000) {
  const seen = [];
  return until(source, ms, (done) => {
    source.addEventListener("open", () => seen.push("open"));
    source.addEventListener("message", (e) => seen.push(`message:${e.data}`));
    source.addEventListener("error", (e) => {
      seen.push(`error:${source.readyState}`);
      if (source.readyState === 2) setTimeout(() => done({ seen, event: e }), 50);
    });
  });
}

// ---- the parser: what the client relies on ----

test("parser: an id counts only once its block ends (a cut inside an event keeps the previous id)", (lib) => {
  const ids = [];
  const events = [];
  const parser = lib.createParser({ onEvent: (e) => events.push([e.data, e.lastEventId]), onId: (id) => ids.push(id) });
  parser.feed("id: 1\ndata: one\n\nid: 2\n");
  equal(parser.lastEventId, "1", "after `id: 2` without its blank line:");
  parser.feed("data: two");
  parser.reset();
  equal(parser.lastEventId, "1", "reset() drops the open block's id:");
  parser.feed("data: fresh\n\nid: 3\n\n");
  equal(events, [["one", "1"], ["fresh", "1"]]);
  equal(ids, ["1", "3"], "onId when a block ends with a new id, events or not:");
  equal(parser.lastEventId, "3");
});

test("parser: maxEventBytes drops an event of many short lines, reports it, and goes on", (lib) => {
  const errors = [];
  const events = [];
  const parser = lib.createParser({
    onEvent: (e) => events.push([e.data, e.lastEventId]),
    onError: (e) => errors.push([e.name, e.type, e.limit]),
    maxEventBytes: 1000,
  });
  for (let i = 0; i < 2000; i += 1) parser.feed("data: 0123456789\n");
  ok(parser.bufferedBytes <= 4096, `holds ${parser.bufferedBytes} bytes`);
  parser.feed("id: 9\n\ndata: small\n\n");
  equal(errors, [["ParseError", "event-too-long", 1000]]);
  equal(events, [["small", "9"]]);
  const unbounded = lib.createParser({ onEvent() {} });
  for (let i = 0; i < 2000; i += 1) unbounded.feed("data: 0123456789\n");
  ok(unbounded.bufferedBytes >= 30_000, "without a limit the event is kept (the check can fail)");
  throws(() => lib.createParser({ onEvent() {}, maxEventBytes: -1 }), lib.InvalidOptionError);
  const thrower = lib.createParser({ onEvent() {}, maxEventBytes: 4 });
  throws(() => thrower.feed("data: 12345\n\n"), lib.ParseError, "without onError:");
});

test("parser: SseParserStream reports to onError and goes on; without it the stream errors", async (lib) => {
  const source = () => new Response("data: 0123456789abc\n\nid: 2\ndata: ok\n\n").body;
  const errors = [];
  const ids = [];
  const events = [];
  const stream = source().pipeThrough(new lib.SseParserStream({
    maxEventBytes: 8, onError: (e) => errors.push(e.type), onId: (id) => ids.push(id),
  }));
  for await (const e of stream) events.push([e.data, e.lastEventId]);
  equal([errors, ids, events], [["event-too-long"], ["2"], [["ok", "2"]]]);
  const failing = source().pipeThrough(new lib.SseParserStream({ maxEventBytes: 8 }));
  await rejects((async () => { for await (const e of failing) void e; })(), lib.ParseError);
});

// ---- connect(): the async-iterator face ----

test("connect resumes with Last-Event-ID after a drop, without loss or duplicates", async (lib, ctx) => {
  const k = key();
  const client = lib.connect(`${ctx.server}/sse/resume?key=${k}`, { retryMs: 5000 });
  const got = [];
  for await (const e of client) {
    got.push([e.type, e.data, e.lastEventId]);
    if (got.length === 4) break;
  }
  equal(got, [1, 2, 3, 4].map((n) => ["n", String(n), String(n)]));
  equal((await info(ctx, k)).map((r) => r.lastEventId), [null, "2"], "the reconnection sent Last-Event-ID:");
  equal(client.readyState, 2, "leaving the loop closes:");
  equal(client.retryMs, 30, "the server's retry is in force:");
});

test("connect resumes a Channel's stream after a drop: Last-Event-ID is the id of the last event read", async (lib, ctx) => {
  const k = key();
  const client = lib.connect(`${ctx.server}/sse/channel?key=${k}`, { retryMs: 5000 });
  const got = [];
  const ids = [];
  for await (const e of client) {
    got.push(e.data);
    ids.push(e.lastEventId);
    if (got.length === 4) break;
  }
  equal(got, ["1", "2", "3", "4"]);
  equal(new Set(ids).size, 4, `four distinct ids: ${ids}`);
  equal((await info(ctx, k)).map((r) => r.lastEventId), [null, ids[1]], "the reconnection sent the id of event 2:");
});

test("connect sends SSE headers, custom headers and a POST body, and leaves the caller's headers alone", async (lib, ctx) => {
  const k = key();
  const headers = new Headers({ "x-custom": "yes" });
  const client = lib.connect(`${ctx.server}/sse/echo?key=${k}`, { method: "POST", headers, body: "payload", lastEventId: "41" });
  const { value } = await client[Symbol.asyncIterator]().next();
  client.close();
  equal(JSON.parse(value.data), { n: 1, method: "POST", body: "payload", custom: "yes" });
  equal([...headers], [["x-custom", "yes"]], "caller's headers unchanged:");
  const [request] = await info(ctx, k);
  equal([request.accept, request.cacheControl, request.lastEventId], ["text/event-stream", "no-cache", "41"]);
});

test("connect is an EventTarget: open, then named MessageEvents with lastEventId and origin", async (lib, ctx) => {
  const client = lib.connect(`${ctx.server}/sse/echo?key=${key()}`);
  const seen = [];
  client.addEventListener("open", () => seen.push(`open:${client.readyState}`));
  const echo = await new Promise((resolve) => client.addEventListener("echo", resolve));
  client.close();
  seen.push(echo.type);
  equal(seen, ["open:1", "echo"]);
  ok(echo instanceof MessageEvent, "a MessageEvent");
  equal([echo.lastEventId, JSON.parse(echo.data).n, echo.origin], ["1", 1, new URL(ctx.server).origin]);
  equal(client.readyState, 2);
  ok(client instanceof lib.EventSource, "connect() returns the same machinery as EventSource");
});

test("connect: 204 fires an error event, closes, never reconnects, and ends the loop without throwing", async (lib, ctx) => {
  const k = key();
  const client = lib.connect(`${ctx.server}/sse/status/204?key=${k}`, { retryMs: 10 });
  const errors = [];
  client.addEventListener("error", (e) => errors.push([e.error?.status, e.code, client.readyState]));
  const got = [];
  for await (const e of client) got.push(e);
  await tick(60);
  equal([got.length, client.readyState, (await info(ctx, k)).length], [0, 2, 1]);
  equal(errors, [[204, 204, 2]], "one error event, after CLOSED:");
});

test("connect: a non-200 status fails with the status and is not retried", async (lib, ctx) => {
  for (const status of [500, 201, 205, 299]) {
    const k = key();
    const client = lib.connect(`${ctx.server}/sse/status/${status}?key=${k}`, { retryMs: 10 });
    const errors = [];
    client.addEventListener("error", (e) => errors.push(e.error));
    let opened = false;
    client.addEventListener("open", () => { opened = true; });
    const error = await rejects(client[Symbol.asyncIterator]().next(), lib.ConnectionError);
    equal(error.status, status);
    await tick(60);
    equal([(await info(ctx, k)).length, client.readyState, errors[0]?.status, errors.length, opened], [1, 2, status, 1, false], `status ${status}:`);
  }
});

test("connect: a content type other than text/event-stream fails with the status", async (lib, ctx) => {
  const client = lib.connect(`${ctx.server}/sse/wrong-type`);
  const error = await rejects(client[Symbol.asyncIterator]().next(), lib.ConnectionError);
  equal(error.status, 200);
  ok(/text\/plain/.test(error.message), error.message);
});

test("connect: a clean end reconnects after the server's retry, never at once", async (lib, ctx) => {
  const k = key();
  const client = lib.connect(`${ctx.server}/sse/end?key=${k}`, { retryMs: 0 });
  const got = [];
  for await (const e of client) {
    if (e.type === "hello") got.push(e.data);
    if (got.length === 3) break;
  }
  equal(got, ["1", "2", "3"]);
  const times = (await info(ctx, k)).map((r) => r.at);
  ok(times[1] - times[0] >= 35 && times[2] - times[1] >= 35, `reconnected after ${times[1] - times[0]} and ${times[2] - times[1]} ms`);
});

test("connect: repeated failures back off exponentially, capped, then give up after maxRetries", async (lib, ctx) => {
  const client = lib.connect(ctx.deadUrl, { retryMs: 20, maxRetries: 4, backoff: { factor: 2, maxMs: 100, jitter: 0 } });
  const delays = [];
  client.addEventListener("error", (e) => delays.push(e.retryInMs));
  const error = await rejects(client[Symbol.asyncIterator]().next(), lib.ConnectionError);
  equal(delays, [20, 40, 80, 100, undefined]);
  equal(error.attempts, 5);
  ok(error.cause instanceof Error, "the network error is the cause");
});

test("connect: jitter takes up to its share off the grown delay", async (lib, ctx) => {
  const client = lib.connect(ctx.deadUrl, { retryMs: 20, maxRetries: 3, backoff: { factor: 2, maxMs: 1000, jitter: 0.5 } });
  const delays = [];
  client.addEventListener("error", (e) => delays.push(e.retryInMs));
  await rejects(client[Symbol.asyncIterator]().next(), lib.ConnectionError);
  equal(delays[0], 20);
  ok(delays[1] >= 20 && delays[1] <= 40 && delays[2] >= 40 && delays[2] <= 80, JSON.stringify(delays));
});

test("connect: abort and close end iteration and settle pending promises", async (lib, ctx) => {
  const controller = new AbortController();
  const client = lib.connect(`${ctx.server}/sse/echo?key=${key()}`, { signal: controller.signal });
  const it = client[Symbol.asyncIterator]();
  await it.next();
  const pending = it.next();
  controller.abort();
  equal(await pending, { done: true, value: undefined });
  equal(client.readyState, 2);
  const other = lib.connect(`${ctx.server}/sse/echo?key=${key()}`);
  const again = other[Symbol.asyncIterator]();
  await again.next();
  const waiting = again.next();
  other.close();
  equal(await waiting, { done: true, value: undefined });
  const early = lib.connect(`${ctx.server}/sse/echo`, { signal: AbortSignal.abort() });
  equal(early.readyState, 2, "an aborted signal never connects:");
});

test("connect and EventSource refuse at once what they cannot honour", (lib, ctx) => {
  const cases = [{ retryMs: -1 }, { maxRetries: 1.5 }, { body: new ReadableStream() }, { fetch: 5 }, { backoff: 3 },
    { backoff: { factor: 0.5 } }, { backoff: { jitter: 2 } }, { maxEventBytes: -1 }, { minRetryMs: 0.5 },
    { body: "x" }, { method: "HEAD", body: "x" }, { headers: { "bad header": "x" } }];
  for (const options of cases) {
    for (const make of [(o) => lib.connect(ctx.deadUrl, o), (o) => new lib.EventSource(ctx.deadUrl, o)]) {
      let thrown;
      try { make(options).close(); } catch (e) { thrown = e; }
      ok(thrown instanceof TypeError || thrown instanceof RangeError, `refused ${JSON.stringify(options)}: ${thrown}`);
    }
  }
});

test("connect: invalid and relative URLs throw SyntaxError at once (relative ones resolve against location)", (lib) => {
  for (const url of invalidUrls()) syntaxError(() => lib.connect(url), url);
  const location = globalThis.location?.href;
  for (const url of [123, "/events"]) {
    if (location) {
      const client = lib.connect(url);
      client.close();
      equal(client.url, new URL(String(url), location).href);
    } else {
      syntaxError(() => lib.connect(url), String(url));
    }
  }
});

test("connect: the first failure's error event fires after connect() returns; maxRetries 2 → 3 events", async (lib, ctx) => {
  const client = lib.connect(ctx.deadUrl, { retryMs: 10, maxRetries: 2, backoff: false });
  const seen = [];
  client.addEventListener("error", (e) => seen.push(e.retryInMs ?? "final"));
  await rejects(client[Symbol.asyncIterator]().next(), lib.ConnectionError);
  equal(seen, [10, 10, "final"]);
  const sync = lib.connect("http://127.0.0.1/", { fetch() { throw new TypeError("thrown at once"); }, maxRetries: 0 });
  const late = [];
  sync.addEventListener("error", (e) => late.push(e.error?.cause?.message));
  await rejects(sync[Symbol.asyncIterator]().next(), lib.ConnectionError);
  equal(late, ["thrown at once"], "a fetch that throws synchronously:");
});

test("connect: a custom fetch resolving to something other than a Response fails, nothing left pending", async (lib) => {
  for (const value of [{}, null, "text", { status: 200 }]) {
    const client = lib.connect("http://127.0.0.1/", { fetch: async () => value });
    const errors = [];
    client.addEventListener("error", (e) => errors.push(e.error));
    const error = await rejects(client[Symbol.asyncIterator]().next(), TypeError);
    ok(/Response/.test(error.message), error.message);
    equal([client.readyState, errors.length], [2, 1], JSON.stringify(value));
  }
});

/** A custom fetch answering every request with `body` (a string, or a function making a body)
 * as text/event-stream, or with the given headers. */
const serving = (body, headers = { "content-type": "text/event-stream" }) => async () =>
  new Response(typeof body === "function" ? body() : body, { headers: new Headers(headers) });

test("EventSource: close() in a handler: no error for the rest of the chunk, lastEventId is the last dispatched", async (lib) => {
  const chunk = `id: 1\ndata: a\n\nid: 2\ndata: b\n\n${"x".repeat(300)}\nid: 3\ndata: c\n\n`;
  const source = new lib.EventSource("http://127.0.0.1/", { fetch: serving(chunk), maxLineBytes: 100 });
  const seen = [];
  source.addEventListener("error", (e) => seen.push(`error:${e.error?.name}`));
  source.onmessage = (e) => {
    seen.push(`message:${e.data}`);
    source.close();
  };
  await tick(100);
  equal([seen, source.readyState, source.lastEventId], [["message:a"], 2, "1"]);
});

test("connect: close(), the signal and return() end the loop at once; lastEventId is the last event taken", async (lib) => {
  const chunk = Array.from({ length: 500 }, (_, i) => `id: ${i + 1}\ndata: ${i + 1}\n\n`).join("");
  for (const how of ["close", "abort", "break"]) {
    const controller = new AbortController();
    const client = lib.connect("http://127.0.0.1/", { fetch: serving(chunk), signal: controller.signal });
    const taken = [];
    for await (const event of client) {
      taken.push(event.data);
      if (taken.length === 3) {
        if (how === "close") client.close();
        else if (how === "abort") controller.abort();
        else break;
      }
    }
    equal([how, taken, client.readyState, client.lastEventId], [how, ["1", "2", "3"], 2, "3"]);
    const resumed = lib.connect("http://127.0.0.1/", { fetch: serving("id: 4\ndata: 4\n\n"), lastEventId: client.lastEventId });
    for await (const event of resumed) {
      equal(event.lastEventId, "4");
      break;
    }
  }
  const client = lib.connect("http://127.0.0.1/", { fetch: serving(chunk) });
  const it = client[Symbol.asyncIterator]();
  equal((await it.next()).value.data, "1");
  await it.return();
  equal(await it.next(), { done: true, value: undefined }, "next() after return():");
});

test("connect: long ids and types count towards the queue's bound: reading pauses", async (lib) => {
  let pulled = 0;
  const id = "i".repeat(1 << 20);
  const body = () => new ReadableStream({
    pull(controller) {
      pulled += 1;
      if (pulled > 64) controller.close();
      else controller.enqueue(new TextEncoder().encode(`id: ${id}${pulled}\ndata: x\n\n`));
    },
  }, { highWaterMark: 0 });
  const client = lib.connect("http://127.0.0.1/", { fetch: serving(body) });
  const it = client[Symbol.asyncIterator]();
  equal((await it.next()).value.data, "x");
  await tick(300);
  ok(pulled <= 24, `the loop took 1 event and waits; the client read ${pulled} events of 1 Mi-character ids (the bound is 16 Mi characters)`);
  client.close();
});

test("connect: the server's retry is the least any reconnection waits, backoff jitter included", async (lib) => {
  let calls = 0;
  const client = lib.connect("http://127.0.0.1/", {
    // The first request opens and sets the reconnection time; the later ones fail.
    fetch: async (...args) => {
      calls += 1;
      if (calls > 1) throw new TypeError("network down");
      return serving("retry: 60\ndata: x\n\n")(...args);
    },
    maxRetries: 3, backoff: { factor: 1, maxMs: 70, jitter: 0.9 },
  });
  const delays = [];
  client.addEventListener("error", (e) => {
    if (e.retryInMs !== undefined) delays.push(e.retryInMs);
  });
  await rejects((async () => {
    for await (const _ of client);
  })(), lib.ConnectionError);
  equal(delays.length, 3);
  ok(delays.every((ms) => ms === 60), JSON.stringify(delays));
});

test("EventSource: the Content-Type is read as Fetch reads it: the last valid type wins", async (lib) => {
  const opens = async (contentType) => {
    const source = new lib.EventSource("http://127.0.0.1/", {
      fetch: serving("data: x\n\n", [["content-type", contentType[0]], ...contentType.slice(1).map((t) => ["content-type", t])]),
    });
    const got = await new Promise((resolve) => {
      source.onmessage = () => resolve("open");
      source.onerror = () => resolve(source.readyState === 2 ? "failed" : "open");
    });
    source.close();
    return got;
  };
  equal(await opens(["text/event-stream", "text/event-stream"]), "open", "sent twice:");
  equal(await opens(["text/plain", "text/event-stream; charset=utf-8"]), "open", "the last wins:");
  equal(await opens(['text/event-stream; x="a,b"']), "open", "a comma in a quoted parameter:");
  equal(await opens(["text/event-stream", "*/*"]), "open", "*/* is skipped:");
  equal(await opens(["text/event-stream", "text/plain"]), "failed", "the last is not SSE:");
  equal(await opens(["text/event-stream, nonsense"]), "open", "an invalid type is skipped:");
});

test("connect: a custom fetch gets the URL and a plain-object init it can spread", async (lib, ctx) => {
  const calls = [];
  const client = lib.connect(`${ctx.server}/sse/echo?key=${key()}`, {
    headers: { "x-custom": "yes" },
    fetch: (url, init) => {
      calls.push([url, { ...init.headers }]);
      return fetch(url, { ...init, headers: { ...init.headers, "x-custom": "from fetch" } });
    },
  });
  const { value } = await client[Symbol.asyncIterator]().next();
  client.close();
  equal(JSON.parse(value.data).custom, "from fetch");
  equal(calls[0][1]["x-custom"], "yes");
  equal(calls[0][1].accept, "text/event-stream");
});

// ---- resume: the id of the last dispatched event, never of a cut one ----

for (const mode of ["end", "abort"]) {
  for (const [where, after] of [["between id: and data:", `id: ${EPOCH}-2\n`], ["between data: and the blank line", "data: 2\n"],
    ["inside the id line", "data: 1\n\nid: 17642"]]) {
    test(`EventSource: a stream cut (${mode}) ${where} resumes after the last dispatched event`, async (lib, ctx) => {
      const k = key();
      const url = `${ctx.server}/sse/cut?key=${k}&mode=${mode}&after=${encodeURIComponent(after)}`;
      const source = new lib.EventSource(url);
      const got = await until(source, 5000, (done) => {
        const seen = [];
        source.addEventListener("n", (e) => {
          seen.push([e.data, e.lastEventId]);
          if (e.data === "3") done(seen);
        });
      });
      equal(got, [1, 2, 3].map((n) => [String(n), `${EPOCH}-${n}`]));
      equal((await info(ctx, k)).map((r) => r.lastEventId), [null, `${EPOCH}-1`], "Last-Event-ID:");
    }, { native: true });
  }
}

test("connect: a stream cut between id: and the blank line loses nothing (iterator)", async (lib, ctx) => {
  const k = key();
  const client = lib.connect(`${ctx.server}/sse/cut?key=${k}&mode=abort&after=${encodeURIComponent(`id: ${EPOCH}-2\n`)}`);
  const got = [];
  for await (const e of client) {
    got.push(e.data);
    if (e.data === "3") break;
  }
  equal(got, ["1", "2", "3"]);
  equal(client.lastEventId, `${EPOCH}-3`);
});

test("EventSource: non-ASCII ids go out as UTF-8 in Last-Event-ID", async (lib, ctx) => {
  for (const id of ["…", "é€😀", "a b"]) {
    const k = key();
    const source = new lib.EventSource(`${ctx.server}/sse/id?key=${k}&id=${encodeURIComponent(id)}`);
    const got = await until(source, 5000, (done) => {
      const seen = [];
      source.onmessage = (e) => {
        seen.push([e.data, e.lastEventId]);
        if (seen.length === 2) done(seen);
      };
    });
    equal(got, [["first", id], [JSON.stringify(id), id]], `id ${JSON.stringify(id)}:`);
  }
}, { native: true });

test("EventSource: an id with control characters fails the connection instead of retrying forever", async (lib, ctx) => {
  const k = key();
  const source = new lib.EventSource(`${ctx.server}/sse/id?key=${k}&id=${encodeURIComponent("a\u0001b")}`);
  const { event } = await untilClosed(source);
  ok(event.error instanceof lib.ConnectionError, String(event.error));
  equal((await info(ctx, k)).length, 1);
});

// ---- EventSource: the interface ----

test("EventSource: constants, readyState, url, withCredentials, close()", (lib, ctx) => {
  const ES = lib.EventSource;
  equal([ES.CONNECTING, ES.OPEN, ES.CLOSED], [0, 1, 2]);
  const url = `${ctx.server}/sse/echo?key=${key()}#frag`;
  const source = new ES(url);
  equal([source.CONNECTING, source.OPEN, source.CLOSED, source.readyState], [0, 1, 2, 0]);
  equal(source.url, new URL(url).href);
  equal(source.withCredentials, false);
  ok(source instanceof EventTarget, "an EventTarget");
  source.close();
  equal(source.readyState, 2);
  const credentialed = new ES(`${ctx.server}/sse/echo?key=${key()}`, { withCredentials: true });
  equal(credentialed.withCredentials, true);
  credentialed.close();
}, { native: true });

test("EventSource: onopen, onmessage, named events, and handler attributes", async (lib, ctx) => {
  const k = key();
  const source = new lib.EventSource(`${ctx.server}/sse/cut?key=${k}`);
  const seen = [];
  const first = () => seen.push("replaced handler ran");
  source.onmessage = first;
  equal(source.onmessage, first);
  source.onmessage = null;
  equal(source.onmessage, null);
  const got = await until(source, 5000, (done) => {
    source.onopen = (e) => seen.push(`open:${e.type}:${source.readyState}`);
    source.onmessage = () => seen.push("message (never: all events are named)");
    source.addEventListener("n", (e) => {
      seen.push(`n:${e.data}:${e.origin === new URL(ctx.server).origin}`);
      if (e.data === "3") done(seen);
    });
  });
  equal(got, ["open:open:1", "n:1:true", "n:2:true", "n:3:true"]);
}, { native: true });

test("EventSource: close() inside a handler stops the events still in the chunk", async (lib, ctx) => {
  const source = new lib.EventSource(`${ctx.server}/sse/cut?key=${key()}`);
  const seen = [];
  await until(source, 5000, (done) => {
    source.addEventListener("n", (e) => {
      seen.push(e.data);
      source.close();
      setTimeout(() => done(), 100);
    });
  });
  equal([seen, source.readyState], [["1"], 2]);
}, { native: true });

test("EventSource: invalid URLs throw SyntaxError in the constructor; relative ones resolve against location", (lib) => {
  for (const url of invalidUrls()) syntaxError(() => new lib.EventSource(url), url);
  const location = globalThis.location?.href;
  for (const url of [123, "/events", "relative?x=1"]) {
    if (location) {
      const source = new lib.EventSource(url);
      source.close();
      equal(source.url, new URL(String(url), location).href);
    } else {
      syntaxError(() => new lib.EventSource(url), String(url));
    }
  }
}, { native: true });

test("EventSource: after a cross-origin redirect, events carry the final URL's origin", async (lib, ctx) => {
  const k = key();
  const target = `${crossOf(ctx)}/sse/id?key=${k}&id=r1`;
  const url = `${ctx.server}/sse/redirect?key=${k}-from&to=${encodeURIComponent(target)}`;
  const source = new lib.EventSource(url);
  const event = await until(source, 5000, (done) => { source.onmessage = done; });
  equal([event.data, event.lastEventId, event.origin], ["first", "r1", new URL(crossOf(ctx)).origin]);
  equal(source.url, url, "url stays the one given:");
}, { native: true });

test("EventSource: 204 fails the connection: error, CLOSED, no reconnection", async (lib, ctx) => {
  const k = key();
  const { seen } = await untilClosed(new lib.EventSource(`${ctx.server}/sse/status/204?key=${k}`));
  equal(seen, ["error:2"]);
  await tick(100);
  equal((await info(ctx, k)).length, 1);
}, { native: true });

test("EventSource: only 200 opens; 201, 205, 210, 299, 404, 500 fail without open or messages", async (lib, ctx) => {
  for (const status of [201, 205, 210, 299, 404, 500]) {
    const k = key();
    const { seen } = await untilClosed(new lib.EventSource(`${ctx.server}/sse/status/${status}?key=${k}`));
    equal(seen, ["error:2"], `status ${status}:`);
    equal((await info(ctx, k)).length, 1, `status ${status} connections:`);
  }
}, { native: true });

test("EventSource: a wrong Content-Type fails the connection", async (lib, ctx) => {
  const { seen } = await untilClosed(new lib.EventSource(`${ctx.server}/sse/wrong-type`));
  equal(seen, ["error:2"]);
}, { native: true });

test("EventSource: listeners added right after the constructor see the first error", async (lib, ctx) => {
  const { seen } = await untilClosed(new lib.EventSource(`${ctx.server}/sse/status/500?key=${key()}`));
  equal(seen, ["error:2"]);
}, { native: true });

test("EventSource: a fetch that throws synchronously still reports after the constructor returns", async (lib) => {
  const source = new lib.EventSource("http://127.0.0.1/", { fetch() { throw new TypeError("at once"); }, maxRetries: 0 });
  equal(source.readyState, 0, "still CONNECTING when the constructor returns:");
  const { seen, event } = await untilClosed(source);
  equal([seen, event.error?.cause?.message], [["error:2"], "at once"]);
});

test("EventSource: a clean end reconnects: error with CONNECTING, then open again", async (lib, ctx) => {
  const k = key();
  const source = new lib.EventSource(`${ctx.server}/sse/end?key=${k}`);
  const seen = await until(source, 5000, (done) => {
    const log = [];
    source.onopen = () => log.push(`open:${source.readyState}`);
    source.onerror = () => log.push(`error:${source.readyState}`);
    source.addEventListener("hello", (e) => {
      log.push(`hello:${e.data}:${e.lastEventId}`);
      if (e.data === "2") done(log);
    });
  });
  equal(seen, ["open:1", "hello:1:1", "error:0", "open:1", "hello:2:2"]);
  equal((await info(ctx, k)).map((r) => r.lastEventId), [null, "1"]);
}, { native: true });

test("EventSource: maxRetries 2 gives 3 error events for 3 failures, the last one CLOSED", async (lib, ctx) => {
  const source = new lib.EventSource(ctx.deadUrl, { retryMs: 20, maxRetries: 2, backoff: false });
  const states = [];
  await until(source, 5000, (done) => {
    source.onerror = (e) => {
      states.push([source.readyState, e.retryInMs]);
      if (source.readyState === 2) done();
    };
  });
  equal(states, [[0, 20], [0, 20], [2, undefined]]);
});

test("EventSource: a retry of 2^31 ms or more waits 2^31-1 ms, never ~1 ms", async (lib, ctx) => {
  for (const ms of ["2147483648", "4294967297", "99999999999999999999"]) {
    const k = key();
    const source = new lib.EventSource(`${ctx.server}/sse/retry?key=${k}&ms=${ms}`);
    const delay = await until(source, 5000, (done) => { source.onerror = (e) => done(e.retryInMs); });
    equal(delay, 2 ** 31 - 1, `retry ${ms}:`);
    const source2 = new lib.EventSource(`${ctx.server}/sse/retry?key=${k}-2&ms=${ms}`);
    await tick(300);
    source2.close();
    equal((await info(ctx, `${k}-2`)).length, 1, `retry ${ms}: no reconnection spin:`);
  }
});

test("EventSource: a custom fetch resolving to a non-Response fails the connection", async (lib) => {
  const source = new lib.EventSource("http://127.0.0.1/", { fetch: async () => ({ ok: true }) });
  const { event } = await untilClosed(source);
  ok(event.error instanceof TypeError, String(event.error));
});

test("EventSource: an event of endless data lines is dropped at maxEventBytes; the stream goes on", async (lib, ctx) => {
  const source = new lib.EventSource(`${ctx.server}/sse/huge?key=${key()}&lines=20000`, { maxEventBytes: 64 * 1024 });
  const seen = await until(source, 10_000, (done) => {
    const log = [];
    source.onerror = (e) => log.push(`error:${e.error?.type}:${source.readyState}`);
    source.onmessage = (e) => {
      log.push(`message:${e.data}:${e.lastEventId}`);
      done(log);
    };
  });
  equal(seen, ["error:event-too-long:1", "message:small:after"]);
});

test("EventSource: options beyond the spec: headers, method, body, lastEventId", async (lib, ctx) => {
  const k = key();
  const source = new lib.EventSource(`${ctx.server}/sse/echo?key=${k}`, {
    headers: { "x-custom": "es" }, method: "POST", body: "b", lastEventId: "é1",
  });
  const event = await until(source, 5000, (done) => source.addEventListener("echo", done));
  equal(JSON.parse(event.data), { n: 1, method: "POST", body: "b", custom: "es" });
  equal((await info(ctx, k))[0].lastEventId, "é1");
});

// ---- churn: random cuts at any byte ----

/** Reads `total` churn events through `open(url, onEvent)`; returns { lost, duplicated, … }. */
async function churn(ctx, total, seed, open) {
  const k = key();
  const seen = new Uint8Array(total + 1);
  let received = 0;
  let duplicated = 0;
  let wrongIds = 0;
  await open(`${ctx.server}/sse/churn?key=${k}&total=${total}&seed=${seed}&maxCut=8192`, (data, lastEventId) => {
    const n = Number(data.slice(0, data.indexOf(" ")));
    received += 1;
    if (seen[n]) duplicated += 1;
    seen[n] = 1;
    if (lastEventId !== `${EPOCH}-${n}` || !data.startsWith(`${n} é… 😀`)) wrongIds += 1;
    return n === total;
  });
  let lost = 0;
  for (let n = 1; n <= total; n += 1) lost += seen[n] ? 0 : 1;
  const connections = (await info(ctx, k)).length;
  return { lost, duplicated, wrongIds, received, connections };
}

test("churn: connect() over 10,000 events cut at random bytes: nothing lost, nothing duplicated", async (lib, ctx) => {
  const result = await churn(ctx, 10_000, 1, async (url, onEvent) => {
    const client = lib.connect(url, { minRetryMs: 1 });
    for await (const e of client) if (onEvent(e.data, e.lastEventId)) break;
  });
  equal([result.lost, result.duplicated, result.wrongIds], [0, 0, 0], JSON.stringify(result));
  ok(result.connections > 20, `the stream was cut ${result.connections - 1} times`);
});

test("churn: EventSource over 10,000 events cut at random bytes: nothing lost, nothing duplicated", async (lib, ctx) => {
  const result = await churn(ctx, 10_000, 2, (url, onEvent) => {
    const source = new lib.EventSource(url, { minRetryMs: 1 });
    return until(source, 60_000, (done) => {
      const handle = (e) => { if (onEvent(e.data, e.lastEventId)) done(); };
      source.onmessage = handle;
      source.addEventListener("tick", handle);
    });
  });
  equal([result.lost, result.duplicated, result.wrongIds], [0, 0, 0], JSON.stringify(result));
  ok(result.connections > 10, `the stream was cut ${result.connections - 1} times`);
});
