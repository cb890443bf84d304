// The demo page: an in-page channel with listener panels, and the server's stream via EventSource.
import { Channel, init } from "eric-sse";

await init();
const channel = new Channel({ id: "page", keepAliveMs: 0 });
const $ = (id) => document.getElementById(id);

function addPanel() {
  const listener = channel.addListener();
  const name = `listener ${channel.listenerIds().length}`;
  const panel = document.createElement("article");
  panel.className = "panel";
  panel.innerHTML = `<header><strong></strong><button class="link">stop</button></header><ol class="log"></ol>`;
  panel.querySelector("strong").textContent = name;
  const toggle = panel.querySelector("button");
  toggle.onclick = () => {
    if (listener.isRunning) listener.stop(); else listener.start();
    toggle.textContent = listener.isRunning ? "stop" : "start";
    panel.classList.toggle("paused", !listener.isRunning);
  };
  $("panels").append(panel);
  const option = new Option(`Dispatch to ${name}`, listener.id);
  $("target").append(option);
  (async () => {
    for await (const message of channel.messages(listener.id)) {
      const item = document.createElement("li");
      item.textContent = `#${message.id ?? "–"} ${message.type}: ${JSON.stringify(message.payload)}`;
      panel.querySelector("ol").prepend(item);
    }
  })();
}

$("add").onclick = addPanel;
addPanel();
addPanel();
addPanel();

$("send").onsubmit = (event) => {
  event.preventDefault();
  $("error").textContent = "";
  const target = $("target").value;
  const type = $("type").value;
  const payload = $("payload").value;
  try {
    if (target === "*") channel.broadcast(type, payload);
    else channel.dispatch(target, type, payload);
  } catch (error) {
    $("error").textContent = `${error.name}: ${error.message}`;
  }
};

/** Shows an SSE event at the top of a log list (keeping the last 30). */
function logEvent(list, event) {
  const item = document.createElement("li");
  item.textContent = `#${event.lastEventId} ${event.type}: ${event.data}`;
  list.prepend(item);
  while (list.children.length > 30) list.lastChild.remove();
}

/** Posts `body` as JSON to `url`. */
const postJson = (url, body) => fetch(url, {
  method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
});

const source = new EventSource("/events");
const show = (event) => logEvent($("server-log"), event);
source.addEventListener("clock", show);
source.addEventListener("message", show);
source.addEventListener("chat", show);
source.onopen = () => { $("state").textContent = "open"; };
source.onerror = () => { $("state").textContent = "reconnecting…"; };

$("publish").onsubmit = async (event) => {
  event.preventDefault();
  await postJson("/publish", { type: "chat", payload: $("server-payload").value });
};

// The service worker hub: register, wait for control, then EventSource + fetch through it.
async function startWorker() {
  const state = $("sw-state");
  if (!("serviceWorker" in navigator)) {
    state.textContent = "not available in this browser";
    return;
  }
  await navigator.serviceWorker.register("/www/sw.js", { type: "module", scope: "/www/" });
  if (!navigator.serviceWorker.controller) {
    await new Promise((resolve) => navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true }));
  }
  const events = new EventSource("/www/hub/channels/demo/events");
  events.onopen = () => { state.textContent = "controlling this page, stream open"; };
  events.onerror = () => { state.textContent = "reconnecting…"; };
  events.addEventListener("note", (event) => logEvent($("sw-log"), event));
  $("sw-publish").onsubmit = async (event) => {
    event.preventDefault();
    await postJson("/www/hub/channels/demo/messages", { type: "note", payload: $("sw-payload").value });
  };
}
startWorker().catch((error) => { $("sw-state").textContent = `failed: ${error.message}`; });
