// The fetch client against the real SSE server of tests/sse-server.mjs. Each test receives the
// package as `lib` and `ctx` = { server, deadUrl } (a base URL, and a URL where nothing listens).
// Runs under Node, Deno and Chromium.

import { equal, ok, rejects, seq, tick } from "./assert.js";

export const clientTests = [];
const test = (name, fn) => clientTests.push({ name, fn });
let keys = 0;
const key = () => `${Date.now().toString(36)}-${(keys += 1)}-${Math.random().toString(36).slice(2)}`;
const info = async (ctx, k) => (await fetch(`${ctx.server}/sse/info?key=${k}`)).json();

test("connect resumes with Last-Event-ID after a drop, without loss or duplicates", async (lib, ctx) => {
  const k = key();
  const client = lib.connect(`${ctx.server}/sse/resume?key=${k}`, { retryMs: 5000 });
  const got = [];
  for await (const e of client) {
    got.push([e.type, e.data, seq(e.lastEventId)]);
    if (got.length === 4) break;
  }
  equal(got, [1, 2, 3, 4].map((n) => ["n", String(n), n]));
  equal((await info(ctx, k)).map((r) => r.lastEventId && seq(r.lastEventId)), [null, 2], "the reconnection sent Last-Event-ID:");
  equal(client.readyState, 2, "leaving the loop closes:");
  equal(client.retryMs, 30, "the server's retry is in force:");
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

test("connect is an EventTarget: open, then named MessageEvents", async (lib, ctx) => {
  const client = lib.connect(`${ctx.server}/sse/echo?key=${key()}`);
  const seen = [];
  client.addEventListener("open", () => seen.push(`open:${client.readyState}`));
  const echo = await new Promise((resolve) => client.addEventListener("echo", resolve));
  client.close();
  seen.push(echo.type);
  equal(seen, ["open:1", "echo"]);
  ok(echo instanceof MessageEvent, "a MessageEvent");
  equal([seq(echo.lastEventId), JSON.parse(echo.data).n], [1, 1]);
  equal(client.readyState, 2);
});

test("204 stops without retrying", async (lib, ctx) => {
  const k = key();
  const client = lib.connect(`${ctx.server}/sse/status/204?key=${k}`, { retryMs: 10 });
  const got = [];
  for await (const e of client) got.push(e);
  await tick(60);
  equal([got.length, client.readyState, (await info(ctx, k)).length], [0, 2, 1]);
});

test("a non-2xx status fails with the status and is not retried", async (lib, ctx) => {
  const k = key();
  const client = lib.connect(`${ctx.server}/sse/status/500?key=${k}`, { retryMs: 10 });
  const errors = [];
  client.addEventListener("error", (e) => errors.push(e.error));
  const error = await rejects(client[Symbol.asyncIterator]().next(), lib.ConnectionError);
  equal(error.status, 500);
  await tick(60);
  equal([(await info(ctx, k)).length, client.readyState, errors[0]?.status], [1, 2, 500]);
});

test("a content type other than text/event-stream fails with the status", async (lib, ctx) => {
  const client = lib.connect(`${ctx.server}/sse/wrong-type`);
  const error = await rejects(client[Symbol.asyncIterator]().next(), lib.ConnectionError);
  equal(error.status, 200);
  ok(/text\/plain/.test(error.message), error.message);
});

test("a clean end reconnects after the server's retry, never at once", async (lib, ctx) => {
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

test("repeated failures back off exponentially, capped, then give up after maxRetries", async (lib, ctx) => {
  const client = lib.connect(ctx.deadUrl, { retryMs: 20, maxRetries: 4, backoff: { factor: 2, maxMs: 100, jitter: 0 } });
  const delays = [];
  client.addEventListener("error", (e) => delays.push(e.retryInMs));
  const error = await rejects(client[Symbol.asyncIterator]().next(), lib.ConnectionError);
  equal(delays, [20, 40, 80, 100, undefined]);
  equal(error.attempts, 5);
  ok(error.cause instanceof Error, "the network error is the cause");
});

test("jitter takes up to its share off the grown delay", async (lib, ctx) => {
  const client = lib.connect(ctx.deadUrl, { retryMs: 20, maxRetries: 3, backoff: { factor: 2, maxMs: 1000, jitter: 0.5 } });
  const delays = [];
  client.addEventListener("error", (e) => delays.push(e.retryInMs));
  await rejects(client[Symbol.asyncIterator]().next(), lib.ConnectionError);
  equal(delays[0], 20);
  ok(delays[1] >= 20 && delays[1] <= 40 && delays[2] >= 40 && delays[2] <= 80, JSON.stringify(delays));
});

test("abort and close end iteration and settle pending promises", async (lib, ctx) => {
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

test("connect refuses options it cannot honour", (lib, ctx) => {
  for (const options of [{ retryMs: -1 }, { maxRetries: 1.5 }, { body: new ReadableStream() }, { fetch: 5 }, { backoff: 3 }]) {
    let thrown;
    try { lib.connect(ctx.deadUrl, options); } catch (e) { thrown = e; }
    ok(thrown instanceof TypeError || thrown instanceof RangeError, `refused ${Object.keys(options)[0]}`);
  }
});
