// A dedicated worker sharing the page's channel over BroadcastChannel: it posts back every
// message its own listener gets, and publishes a "from-worker" message when the page asks.
import * as lib from "/dist/web.js";

await lib.init(new URL("/pkg/eric_sse_bg.wasm", self.location.origin));
const channel = new lib.Channel({ id: "shared-demo", keepAliveMs: 0 });
const shared = lib.shareChannel(channel);
const listener = channel.addListener();
(async () => {
  for await (const { type, payload } of channel.messages(listener.id)) self.postMessage([type, payload]);
})();
self.onmessage = ({ data }) => {
  if (data === "publish") shared.publish("from-worker", "hello");
};
self.postMessage("ready");
