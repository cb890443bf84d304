// A module service worker that runs an eric-sse hub: pages in its scope use fetch and the
// browser's own EventSource on ./hub/… as if a server answered, with no server at all.
// Register it with { type: "module" }. State lives as long as the worker: browsers stop idle
// workers (an open EventSource keeps this one busy), so treat channels here as ephemeral.
import { createHub, init } from "../../dist/web.js";

const prefix = new URL("./hub", self.registration.scope).pathname;
let hub;
const ready = init({ module_or_path: new URL("../../pkg/eric_sse_bg.wasm", import.meta.url) }).then(async () => {
  hub = createHub();
  await hub.execute({ v: "c", c: "demo" });
});

self.addEventListener("install", (event) => event.waitUntil(ready.then(() => self.skipWaiting())));
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));
self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (url.origin !== self.location.origin || !url.pathname.startsWith(`${prefix}/`)) return;
  url.pathname = url.pathname.slice(prefix.length);
  event.respondWith(ready.then(() => hub.fetch(new Request(url, event.request))));
});
