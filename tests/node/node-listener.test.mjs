// nodeListener(fetch): a fetch handler on Node's http server. What a handler sees of the request
// (method, URL, headers, a streamed body, a signal that aborts when the client leaves) and how
// its Response goes out (status, every header, the body with the socket's backpressure, HEAD,
// a throwing handler answering 500 and reaching onError).
import { test } from "node:test";
import { deepEqual, equal, ok } from "node:assert/strict";
import { createServer } from "node:http";
import { connect } from "node:net";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import * as lib from "eric-sse";

/** A server on 127.0.0.1 running `handler` through nodeListener. */
async function serve(handler, options) {
  const server = createServer(lib.nodeListener(handler, options));
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = /** @type {import("node:net").AddressInfo} */ (server.address());
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(resolve); }),
  };
}

const until = async (check, ms = 3000) => {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  return check();
};

test("the handler gets the method, URL, headers and a streamed body; the answer keeps every header", async () => {
  const server = await serve(async (request) => {
    const body = await request.text();
    const headers = new Headers({ "content-type": "application/json", "x-seen": request.headers.get("x-custom") ?? "" });
    headers.append("set-cookie", "a=1");
    headers.append("set-cookie", "b=2");
    return new Response(JSON.stringify({ method: request.method, url: request.url, body }), { status: 201, headers });
  });
  try {
    const big = "é".repeat(100_000);
    const response = await fetch(`${server.url}/path?q=1`, { method: "POST", body: big, headers: { "x-custom": "yes" } });
    equal(response.status, 201);
    equal(response.headers.get("x-seen"), "yes");
    deepEqual(response.headers.getSetCookie(), ["a=1", "b=2"]);
    deepEqual(await response.json(), { method: "POST", url: `${server.url}/path?q=1`, body: big });
  } finally {
    await server.close();
  }
});

test("a throwing handler answers 500 and reaches onError; HEAD gets no body", async () => {
  const errors = [];
  const boom = new Error("boom");
  const server = await serve((request) => {
    if (request.method === "HEAD") return new Response("a body HEAD must not send", { headers: { "x-head": "1" } });
    throw boom;
  }, { onError: (error) => errors.push(error) });
  try {
    const failed = await fetch(`${server.url}/`);
    equal(failed.status, 500);
    equal(await failed.text(), "internal error");
    deepEqual(errors, [boom]);
    const head = await fetch(`${server.url}/`, { method: "HEAD" });
    equal(head.headers.get("x-head"), "1");
    equal(await head.text(), "");
  } finally {
    await server.close();
  }
});

test("a Host header the URL parser refuses answers 400", async () => {
  let called = false;
  const server = await serve(() => { called = true; return new Response("no"); });
  try {
    const socket = connect(server.port, "127.0.0.1");
    socket.write("GET / HTTP/1.1\r\nHost: a b:c\r\nConnection: close\r\n\r\n");
    let text = "";
    for await (const chunk of socket) text += chunk;
    ok(text.startsWith("HTTP/1.1 400"), text);
    equal(called, false);
  } finally {
    await server.close();
  }
});

test("a method Request refuses (TRACE) answers 400 and its body is not held", async () => {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc");
  const server = await serve(() => new Response("no"));
  try {
    const socket = connect(server.port, "127.0.0.1");
    const size = 32 * 1024 * 1024;
    gc();
    const before = process.memoryUsage().arrayBuffers;
    // Kept alive: Node reads the whole body before the connection's next request.
    socket.write(`TRACE / HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: ${size}\r\n\r\n`);
    const piece = Buffer.alloc(1024 * 1024, 120);
    for (let sent = 0; sent < size; sent += piece.length) {
      if (!socket.write(piece)) await new Promise((r) => socket.once("drain", r));
    }
    // A second request on the connection: its answer means the whole body was read.
    socket.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    let text = "";
    socket.on("data", (chunk) => { text += chunk; });
    ok(await until(() => /200 OK[\s\S]*\r\nno\r\n0\r\n\r\n$/.test(text), 10_000), text.slice(0, 400));
    ok(text.startsWith("HTTP/1.1 400"), text.slice(0, 200));
    gc();
    const held = process.memoryUsage().arrayBuffers - before;
    ok(held < size / 4, `${(held / 1048576).toFixed(1)} MiB of the refused body still held`);
    socket.destroy();
  } finally {
    await server.close();
  }
});

test("the client leaving aborts request.signal and cancels the body: a channel's stream removes its listener", async () => {
  const channel = new lib.Channel({ keepAliveMs: 0 });
  let signal;
  const server = await serve((request) => {
    signal = request.signal;
    return channel.response(channel.addListener().id, { request });
  });
  try {
    const controller = new AbortController();
    const response = await fetch(`${server.url}/events`, { signal: controller.signal });
    equal(response.headers.get("content-type"), "text/event-stream");
    const reader = response.body.getReader();
    equal(new TextDecoder().decode((await reader.read()).value), "retry: 5000\n\n");
    equal(channel.listenerCount, 1);
    controller.abort();
    ok(await until(() => channel.listenerCount === 0), "the listener was removed");
    ok(signal.aborted, "request.signal aborted");
  } finally {
    await server.close();
  }
});

test("a body the client does not read is not read from the handler beyond the socket's buffers", async () => {
  let pulled = 0;
  const chunk = new Uint8Array(64 * 1024);
  // Without backpressure the write loop never yields to timers: past this the body ends, so that
  // such a loop fails the assertions below instead of hanging the test.
  const limit = 256 * 1024 * 1024;
  const server = await serve(() => new Response(new ReadableStream({
    pull(controller) {
      if (pulled >= limit) return controller.close();
      pulled += chunk.byteLength;
      controller.enqueue(chunk);
    },
  }, { highWaterMark: 0 })));
  try {
    const socket = connect(server.port, "127.0.0.1");
    socket.write("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    socket.pause(); // never reads
    await new Promise((r) => setTimeout(r, 500));
    const first = pulled;
    await new Promise((r) => setTimeout(r, 500));
    // Without backpressure the loop pulls gigabytes a second into Node's buffer.
    ok(first < 64 * 1024 * 1024, `pulled ${first} bytes`);
    equal(pulled, first, "no more pulls while the client reads nothing");
    socket.destroy();
  } finally {
    await server.close();
  }
});

test("a client that leaves before the handler answers still gets its body cancelled", async () => {
  let cancelled = false;
  const server = await serve(async () => {
    await new Promise((r) => setTimeout(r, 200));
    return new Response(new ReadableStream({ pull() {}, cancel() { cancelled = true; } }));
  });
  try {
    const controller = new AbortController();
    const pending = fetch(`${server.url}/`, { signal: controller.signal }).catch(() => {});
    setTimeout(() => controller.abort(), 50);
    await pending;
    ok(await until(() => cancelled), "the body was cancelled");
  } finally {
    await server.close();
  }
});
