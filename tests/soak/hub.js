// The soak servers' handler: a hub (first keep-alive after 200 ms, so a client that left is
// found quickly even where the runtime only notices on a write) plus GET /_stats →
// { listeners: { channel: count }, memory: { liveBytes, budgetBytes } }.

/** @param {typeof import("../../js/api.js")} lib the package, as the runtime's entry loaded it */
export function soakHandler({ createHub, memoryUsage }) {
  const hub = createHub({
    channelOptions: { firstKeepAliveMs: 200, keepAliveMs: 2000, maxQueueBytes: 256 * 1024, historyBytes: 256 * 1024 },
  });
  return (request) => {
    if (new URL(request.url).pathname === "/_stats") {
      const listeners = Object.fromEntries(hub.channels.ids().map((id) => [id, hub.channels.get(id).listenerCount]));
      return Response.json({ listeners, memory: memoryUsage() });
    }
    return hub.fetch(request);
  };
}
