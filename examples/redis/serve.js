// serve(fetch, port): one fetch handler on 127.0.0.1 in whichever runtime runs it — Deno.serve,
// Bun.serve, or Node's http through the package's nodeListener (the client going away aborts
// request.signal, which ends its SSE stream and removes its listener).
import { nodeListener } from "eric-sse";

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
  return createServer(nodeListener(handler)).listen(port, hostname, onListen);
}
