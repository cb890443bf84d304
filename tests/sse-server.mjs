// The real SSE server the client tests talk to (127.0.0.1), built on the package's own Channel.
// Each test uses its own `key`, so runs do not share state.
//   GET  /sse/resume?key=K   1st connection: ids 1, 2, then the server hangs up and sends 3
//                            while nobody listens; a reconnection replays from Last-Event-ID,
//                            then gets 4 live.
//   ANY  /sse/echo?key=K     one "echo" event describing the request, then stays open.
//   GET  /sse/end?key=K      `retry: 40`, one event (id = connection number), then a clean end.
//   GET  /sse/status/:code   that status; /sse/wrong-type is 200 text/plain.
//   GET  /sse/info?key=K     JSON: what each connection of K sent (method, headers, time).
import { Channel } from "eric-sse";
import { serve } from "../scripts/serve.mjs";

export function sseTestRoutes() {
  const seen = new Map();
  const channels = new Map();
  const record = (key, request, extra = {}) => {
    const list = seen.get(key) ?? [];
    seen.set(key, list);
    list.push({
      method: request.method, at: Date.now(), ...extra,
      lastEventId: request.headers.get("last-event-id"), accept: request.headers.get("accept"),
      cacheControl: request.headers.get("cache-control"), custom: request.headers.get("x-custom"),
    });
    return list.length;
  };

  function resume(request, key) {
    const n = record(key, request);
    const channel = channels.get(key) ?? new Channel({ id: key, retryMs: 30, keepAliveMs: 0 });
    channels.set(key, channel);
    const hangUp = new AbortController();
    const response = channel.response(channel.addListener().id, {
      request, signal: AbortSignal.any([request.signal, hangUp.signal]),
    });
    setTimeout(() => {
      if (n === 1) {
        channel.broadcast("n", 1);
        channel.broadcast("n", 2);
        setTimeout(() => { hangUp.abort(); channel.broadcast("n", 3); }, 30);
      } else {
        channel.broadcast("n", 4);
      }
    }, 10);
    return response;
  }

  async function echo(request, key) {
    const body = request.method === "GET" ? null : await request.text();
    const n = record(key, request, { body });
    const channel = new Channel({ keepAliveMs: 0 });
    const listener = channel.addListener();
    channel.broadcast("echo", { n, method: request.method, body, custom: request.headers.get("x-custom") });
    return channel.response(listener.id, { signal: request.signal });
  }

  function end(request, key) {
    const n = record(key, request);
    const channel = new Channel({ retryMs: 40, keepAliveMs: 0 });
    const listener = channel.addListener();
    channel.dispatch(listener.id, "hello", n);
    channel.notifyEnd();
    // A fresh channel per connection: its ids restart, so Last-Event-ID is not for it.
    return channel.response(listener.id, { signal: request.signal });
  }

  return (request) => {
    const url = new URL(request.url);
    const key = url.searchParams.get("key") ?? "";
    const path = url.pathname;
    if (path === "/sse/resume") return resume(request, key);
    if (path === "/sse/echo") return echo(request, key);
    if (path === "/sse/end") return end(request, key);
    if (path === "/sse/wrong-type") return new Response("data: x\n\n", { headers: { "content-type": "text/plain" } });
    if (path.startsWith("/sse/status/")) {
      record(key, request);
      return new Response(null, { status: Number(path.slice("/sse/status/".length)) });
    }
    if (path === "/sse/info") return Response.json(seen.get(key) ?? []);
    return undefined;
  };
}

/** Serves the routes (and the repository's files) on 127.0.0.1; resolves to { url, close }. */
export function startSseTestServer(extra = () => undefined) {
  const routes = sseTestRoutes();
  return serve({ handle: (request) => routes(request) ?? extra(request) });
}
