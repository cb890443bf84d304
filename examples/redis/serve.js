// serve(fetch, port): one fetch handler on 127.0.0.1 in whichever runtime runs it — Deno.serve,
// Bun.serve, or Node's http with a small Request/Response adapter (the client going away aborts
// request.signal, which ends its SSE stream and removes its listener).

/** An environment variable in Node, Deno or Bun. @param {string} name */
export const env = (name) => globalThis.Deno?.env.get(name) ?? globalThis.process?.env[name];

/**
 * @param {(request: Request) => Response | Promise<Response>} handler
 * @param {number} port
 * @param {string} [hostname]
 */
export async function serve(handler, port, hostname = "127.0.0.1") {
  const onListen = () => console.log(`eric-sse hub on http://${hostname}:${port}/`);
  if (globalThis.Deno) return globalThis.Deno.serve({ hostname, port, onListen }, handler);
  // idleTimeout 0: Bun would otherwise cut a quiet SSE stream after 10 s.
  if (globalThis.Bun) return (globalThis.Bun.serve({ hostname, port, fetch: handler, idleTimeout: 0 }), onListen());

  const { createServer } = await import("node:http");
  const { Readable } = await import("node:stream");
  const { pipeline } = await import("node:stream/promises");
  const server = createServer(async (req, res) => {
    const gone = new AbortController();
    res.on("close", () => gone.abort());
    const body = req.method === "GET" || req.method === "HEAD" ? undefined : Readable.toWeb(req);
    const request = new Request(new URL(req.url ?? "/", `http://${req.headers.host ?? hostname}`), {
      method: req.method, headers: /** @type {Record<string, string>} */ (req.headers), body, signal: gone.signal,
      // @ts-ignore: Node needs it for a streamed body
      duplex: "half",
    });
    const response = await handler(request);
    res.writeHead(response.status, [...response.headers].flat());
    if (response.body) await pipeline(Readable.fromWeb(/** @type {any} */ (response.body)), res).catch(() => {});
    else res.end();
  });
  server.listen(port, hostname, onListen);
  return server;
}
