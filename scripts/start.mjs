// `npm start`: sets up, builds, then serves the demo on 127.0.0.1 (PORT, default 8080, or a free
// port when that one is taken). In-memory only: one Channel in this process.
//   GET  /events   SSE from the demo channel (one listener per connection; Last-Event-ID resumes)
//   POST /publish  { type, payload } → broadcast → { id }
//   /www/...       the demo page; it also runs channels inside the page on the same wasm
import { build } from "./build.mjs";
import { serve } from "./serve.mjs";

/** What the demo page needs: the page, the package's JS and wasm, and the service worker example. */
export const DEMO_FILES = ["/www/", "/dist/", "/pkg/", "/examples/service-worker/"];

/** Serves the demo; resolves to { url, close }. The Chromium tests use it too. */
export async function startDemo({ port = 0, tickMs = 2000 } = {}) {
  const { Channel, EricSseError } = await import("eric-sse");
  const channel = new Channel({ id: "demo", historySize: 100, keepAliveMs: 15000 });
  let ticks = 0;
  const ticker = setInterval(
    () => channel.broadcast("clock", { tick: (ticks += 1), at: new Date().toISOString() }), tickMs);

  async function handle(request) {
    const { pathname } = new URL(request.url);
    if (pathname === "/") return Response.redirect(new URL("/www/", request.url), 302);
    if (pathname === "/events" && request.method === "GET") {
      return channel.response(channel.addListener().id, { request });
    }
    if (pathname === "/publish" && request.method === "POST") {
      try {
        const { type, payload } = await request.json();
        return Response.json({ id: channel.broadcast(type, payload) });
      } catch (error) {
        const status = error instanceof EricSseError || error instanceof SyntaxError ? 400 : 500;
        return Response.json({ error: { name: error.name, message: error.message } }, { status });
      }
    }
    return undefined;
  }

  const server = await serve({ handle, port, allow: DEMO_FILES }).catch(() => serve({ handle, port: 0, allow: DEMO_FILES }));
  return {
    url: server.url,
    close: async () => {
      clearInterval(ticker);
      channel.notifyEnd();
      await server.close();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  build();
  const demo = await startDemo({ port: Number(process.env.PORT ?? 8080) });
  console.log(`eric-sse demo: ${demo.url}/  (Ctrl+C to stop)`);
}
