// nodeListener(fetch): a fetch handler (a hub's, or any other) as a Node `http` request listener
// (Bun's and Deno's node:http take it too). No Node module is imported: it uses what the request
// and response objects offer, so every runtime entry can export it.
//
// The Request gets the method, the URL (on the Host header), the headers, the body as a stream
// (paused while the handler does not read it) and a signal that aborts when the client goes
// away, which ends an SSE stream and removes its listener. The Response's body is written with
// the socket's backpressure: a stream waits for `drain` instead of piling up in Node's buffer.

/**
 * @typedef {import("../../index.js").NodeRequestLike} NodeRequestLike
 * @typedef {import("../../index.js").NodeResponseLike} NodeResponseLike
 */

/**
 * @param {(request: Request) => Response | Promise<Response>} fetch
 * @param {{ onError?: (error: unknown) => void }} [options]
 * @returns {(req: NodeRequestLike, res: NodeResponseLike) => void}
 */
export function nodeListener(fetch, { onError = (error) => console.error(error) } = {}) {
  if (typeof fetch !== "function") throw new TypeError("nodeListener expects a fetch handler: (request) => Response");
  return (req, res) => {
    respond(fetch, req, res).catch((error) => {
      onError(error);
      if (res.headersSent) res.destroy(error instanceof Error ? error : undefined);
      else plain(res, 500, "internal error");
    });
  };
}

/**
 * @param {NodeResponseLike} res
 * @param {number} status
 * @param {string} text
 */
function plain(res, status, text) {
  res.writeHead(status, ["content-type", "text/plain; charset=utf-8"]);
  res.end(text);
}

/**
 * @param {(request: Request) => Response | Promise<Response>} fetch
 * @param {NodeRequestLike} req
 * @param {NodeResponseLike} res
 */
async function respond(fetch, req, res) {
  const gone = new AbortController();
  res.on("close", () => gone.abort());
  const method = req.method ?? "GET";
  let request;
  /** @type {ReadableStream<Uint8Array> | null} */
  let body = null;
  try {
    const headers = new Headers();
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) headers.append(req.rawHeaders[i], req.rawHeaders[i + 1]);
    const url = new URL(req.url ?? "/", `http://${headers.get("host") ?? "localhost"}`);
    body = method === "GET" || method === "HEAD" ? null : bodyOf(req);
    // @ts-ignore: duplex: a streamed body needs it (Node, Deno); the DOM types do not know it yet
    request = new Request(url, { method, headers, body, signal: gone.signal, duplex: "half" });
  } catch {
    // A Host, header value or method (TRACE, CONNECT) that URL, Headers or Request refuse: the
    // body, if any, is let through unread (never queued).
    if (body) await body.cancel();
    else req.resume();
    return plain(res, 400, "bad request");
  }
  const response = await fetch(request);
  /** @type {string[]} */
  const headers = [];
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") headers.push(name, value);
  });
  for (const cookie of response.headers.getSetCookie?.() ?? []) headers.push("set-cookie", cookie);
  res.writeHead(response.status, headers);
  if (response.body === null || method === "HEAD") {
    await response.body?.cancel();
    res.end();
    return;
  }
  res.flushHeaders?.();
  const reader = response.body.getReader();
  // The client gone (even before the handler answered): the body's source is cancelled (an SSE
  // stream removes its listener).
  const cancel = () => reader.cancel().catch(() => {});
  if (gone.signal.aborted) return cancel();
  gone.signal.addEventListener("abort", cancel, { once: true });
  for (;;) {
    const { value, done } = await reader.read();
    if (done || gone.signal.aborted) break;
    if (!res.write(value)) await drained(res, gone.signal);
  }
  if (!gone.signal.aborted) res.end();
}

/**
 * The request's body as a stream that asks Node for more only when it is read. A handler that
 * stops reading (a body over its limit) cancels it: the rest is let through unread, so the
 * answer still goes out on the connection.
 * @param {NodeRequestLike} req
 * @returns {ReadableStream<Uint8Array>}
 */
function bodyOf(req) {
  let open = true;
  return new ReadableStream({
    start(controller) {
      req.on("data", (/** @type {Uint8Array} */ chunk) => {
        if (!open) return;
        controller.enqueue(chunk);
        if ((controller.desiredSize ?? 0) <= 0) req.pause();
      });
      req.on("end", () => {
        if (open) controller.close();
        open = false;
      });
      req.on("error", (/** @type {unknown} */ error) => {
        if (open) controller.error(error);
        open = false;
      });
      req.pause();
    },
    pull() {
      req.resume();
    },
    cancel() {
      open = false;
      req.resume();
    },
  }, { highWaterMark: 65536, size: (chunk) => chunk.byteLength });
}

/**
 * Resolves on `drain`, or when the client is gone.
 * @param {NodeResponseLike} res
 * @param {AbortSignal} signal
 */
function drained(res, signal) {
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      signal.removeEventListener("abort", done);
      resolve(undefined);
    };
    res.on("drain", done);
    signal.addEventListener("abort", done, { once: true });
  });
}
