// Hostile use of the API (issue 10), part of the shared suite: it runs in every runtime. Each test
// pins one way a caller lost a message, poisoned state or passed a policy, and checks that the
// refusal is typed and changed nothing.

import { equal, ok, readChunks, throws } from "./assert.js";

export const hostileTests = [];
const test = (name, fn) => hostileTests.push({ name, fn });
const quiet = { keepAliveMs: 0 };

test("senderIds that the delivery format cannot carry are refused, and nothing is queued", (lib) => {
  const ch = new lib.Channel(quiet);
  const a = ch.addListener();
  for (const senderId of ["", "a\nb", "line\r", "has space", "caf\u00e9", "x".repeat(257), 5]) {
    throws(() => ch.dispatch(a.id, "t", 1, { senderId }), senderId === 5 ? lib.InvalidListenerError : lib.InvalidMessageFormatError,
      `${JSON.stringify(senderId)}:`);
  }
  throws(() => ch.deliverNext(a.id), lib.NoMessagesError, "nothing was queued:");
  ch.dispatch(a.id, "t", 1, { senderId: "ok-sender" });
  equal(ch.deliverNext(a.id).senderId, "ok-sender");
});

test("deliverNext inside its own onMessage is refused; the message is delivered once and none is lost", (lib) => {
  const ch = new lib.Channel(quiet);
  const l = ch.addListener();
  ch.dispatch(l.id, "t", 1);
  ch.dispatch(l.id, "t", 2);
  const inner = [];
  l.onMessage = () => {
    try {
      ch.deliverNext(l.id);
    } catch (error) {
      inner.push(error.name);
    }
  };
  equal(ch.deliverNext(l.id).payload, 1);
  equal(ch.deliverNext(l.id).payload, 2);
  equal(inner, ["InvalidListenerError", "InvalidListenerError"]);
  throws(() => ch.deliverNext(l.id), lib.NoMessagesError);
});

test("an onMessage that removes its own listener gets its message; the stream closes cleanly", async (lib) => {
  const ch = new lib.Channel(quiet);
  const l = ch.addListener();
  ch.dispatch(l.id, "t", 1);
  l.onMessage = () => ch.removeListener(l.id);
  equal(ch.deliverNext(l.id).payload, 1);
  throws(() => ch.getListener(l.id), lib.InvalidListenerError);

  const streamed = ch.addListener();
  ch.dispatch(streamed.id, "t", 2);
  const stream = ch.stream(streamed.id);
  streamed.onMessage = () => ch.removeListener(streamed.id);
  const text = (await readChunks(stream)).join("");
  ok(text.startsWith("retry: 5000\n\n"), text);
  throws(() => ch.getListener(streamed.id), lib.InvalidListenerError);
});

test("overflow policies, maxQueue and maxMessageBytes refuse prototype names and bad sizes", (lib) => {
  for (const overflow of ["toString", "constructor", "__proto__", "valueOf"]) {
    throws(() => new lib.Channel({ overflow }), lib.InvalidOptionError, overflow);
  }
  const ch = new lib.Channel({ ...quiet, maxMessageBytes: 16 });
  const a = ch.addListener();
  throws(() => ch.broadcast("t", "x".repeat(32)), lib.PayloadTooLargeError);
  throws(() => ch.dispatch(a.id, "t", "x".repeat(32)), lib.PayloadTooLargeError);
  equal(ch.broadcast("t", "ok").endsWith("-1"), true, "refusals used no id:");
});

test("the byte bound cuts a slow stream off with a notice instead of holding its backlog", async (lib) => {
  const ch = new lib.Channel({ ...quiet, maxQueueBytes: 4096 });
  const slow = ch.addListener();
  const big = "x".repeat(1000);
  for (let i = 0; i < 10; i += 1) ch.broadcast("t", big);
  const text = (await readChunks(ch.stream(slow.id))).join("");
  ok(text.endsWith('event: _eric_overflow\ndata: {"maxQueueBytes":4096}\n\n'), text.slice(-80));
  ok(text.split("event: t\n").length - 1 < 5, "at most the bytes the bound holds were queued");
});

test("past the memory budget messages are refused with MemoryLimitError; other channels and the budget recover", (lib) => {
  const before = lib.memoryUsage();
  const ch = new lib.Channel(quiet);
  ch.addListener();
  try {
    lib.setMemoryBudget(before.liveBytes + 64 * 1024);
    throws(() => { for (let i = 0; i < 100; i += 1) ch.broadcast("t", "x".repeat(4096)); }, lib.MemoryLimitError);
    ok(lib.memoryUsage().liveBytes <= before.liveBytes + 64 * 1024, "the budget held");
  } finally {
    lib.setMemoryBudget(before.budgetBytes);
  }
  const other = new lib.Channel(quiet);
  const l = other.addListener();
  other.broadcast("t", "after");
  equal(other.deliverNext(l.id).payload, "after");
  throws(() => lib.setMemoryBudget(-1), lib.InvalidOptionError);
});

test("a policy that denies watch cannot be bypassed through /command verbs", async (lib) => {
  const seen = [];
  const hub = lib.createHub({
    authorize: (request, { action }) => {
      seen.push(typeof action);
      return action !== "watch";
    },
  });
  const call = (body) => hub.fetch(new Request("http://hub.test/command", {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
  }));
  const c = (await (await call({ v: "c" })).json()).c;
  for (const v of ["w", "toString", "valueOf", "constructor", "__proto__"]) {
    const response = await call({ v, c });
    ok(response.status === 403 || response.status === 400, `${v}: ${response.status}`);
    equal(response.headers.get("content-type")?.startsWith("application/json"), true, `${v} never opened a stream:`);
  }
  equal([...new Set(seen)], ["string"], "authorize only ever saw action names:");
});

test("GET /channels asks authorize like every other route", async (lib) => {
  const hub = lib.createHub({ authorize: () => false });
  const response = await hub.fetch(new Request("http://hub.test/channels"));
  equal(response.status, 403);
  equal((await response.json()).error.name, "ForbiddenError");
});

test("listeners a port opened end with the port", async (lib) => {
  const hub = lib.createHub();
  const { port1, port2 } = new MessageChannel();
  const stop = hub.connectPort(port1);
  const replies = new Map();
  port2.onmessage = ({ data }) => { if (data.reply || data.error) replies.get(data.id)?.(data); };
  port2.start?.();
  const ask = (command) => new Promise((resolve) => {
    replies.set(command.id, resolve);
    port2.postMessage(command);
  });
  const { reply: { c } } = await ask({ id: 1, v: "c" });
  await ask({ id: 2, v: "w", c });
  await ask({ id: 3, v: "w", c });
  const channel = hub.channels.get(c);
  equal(channel.listenerCount, 2);
  stop();
  equal(channel.listenerCount, 0, "stopping the port removed the listeners it opened:");
  port1.close();
  port2.close();
});

test("hub refusals for bad ids, escapes and payloads are 400s", async (lib) => {
  const hub = lib.createHub();
  const post = (path, body) => hub.fetch(new Request(`http://hub.test${path}`, {
    method: "POST", headers: { "content-type": "application/json" }, body,
  }));
  for (const [path, body] of [
    ["/channels", '{"id":""}'], ["/command", '{"v":"c","c":""}'], ["/channels/%zz/messages", '{"type":"t"}'],
    ["/command", `{"v":"c","c":"${"x".repeat(300)}"}`],
  ]) {
    const response = await post(path, body);
    equal([response.status, (await response.json()).error.name], [400, "InvalidMessageFormatError"], `${path} ${body.slice(0, 30)}:`);
  }
  equal((await (await hub.fetch(new Request("http://hub.test/channels"))).json()).channels, [], "nothing was created:");
});

/** Reads `reader` until the text so far satisfies `done`; returns it. */
async function readUntil(reader, done) {
  const decoder = new TextDecoder();
  let text = "";
  while (!done(text)) {
    const { value, done: ended } = await reader.read();
    if (ended) throw new Error(`the stream ended after ${JSON.stringify(text)}`);
    text += decoder.decode(value, { stream: true });
  }
  return text;
}

/** A hub and a JSON caller of its fetch. */
function hubWith(lib, options) {
  const hub = lib.createHub(options);
  const call = async (method, path, body, headers = { "content-type": "application/json" }) => {
    const response = await hub.fetch(new Request(`http://hub.test${path}`, {
      method, headers, body: body === undefined ? undefined : typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body),
    }));
    return { status: response.status, json: response.headers.get("content-type")?.includes("json") ? await response.json() : null, response };
  };
  return { hub, call };
}

test("hub: a listener removed (DELETE, or with its channel) does not come back when a client resumes it", async (lib) => {
  const { hub, call } = hubWith(lib);
  const c = (await call("POST", "/channels", {})).json.id;
  const l = (await call("POST", `/channels/${c}/listeners`)).json.id;
  const id = (await call("POST", `/channels/${c}/listeners/${l}/messages`, { type: "t", payload: "secret" })).json.id;
  const open = await call("GET", `/channels/${c}/listeners/${l}/events`);
  const reader = open.response.body.getReader();
  await reader.read();
  equal((await call("DELETE", `/channels/${c}/listeners/${l}`)).json, { ack: true });
  while (!(await reader.read()).done);
  for (const query of ["?lastEventId=0-0", `?lastEventId=${id}`]) {
    const again = await call("GET", `/channels/${c}/listeners/${l}/events${query}`);
    equal([again.status, again.json?.error?.name, hub.channels.get(c).hasListener(l)], [404, "InvalidListenerError", false], query);
  }
  // A listener whose client left comes back (a refused create of its channel changes nothing);
  // not after its channel was removed and made again.
  const k = (await call("POST", `/channels/${c}/listeners`)).json.id;
  await (await call("GET", `/channels/${c}/listeners/${k}/events`)).response.body.cancel();
  equal((await call("POST", "/channels", { id: c })).status, 409);
  const back = await call("GET", `/channels/${c}/listeners/${k}/events?lastEventId=0-0`);
  equal([back.status, hub.channels.get(c).hasListener(k)], [200, true], "a listener whose client left, after a refused create:");
  await back.response.body.cancel();
  const m = (await call("POST", `/channels/${c}/listeners`)).json.id;
  const stream = await call("GET", `/channels/${c}/listeners/${m}/events`);
  await stream.response.body.cancel();
  await call("DELETE", `/channels/${c}`);
  await call("POST", "/channels", { id: c });
  const revived = await call("GET", `/channels/${c}/listeners/${m}/events?lastEventId=0-0`);
  equal([revived.status, hub.channels.get(c).hasListener(m)], [404, false], "a listener of the removed channel:");
});

test("hub: a listener's second stream takes over and the first ends, instead of a refusal", async (lib) => {
  const { hub, call } = hubWith(lib);
  const c = (await call("POST", "/channels", {})).json.id;
  const l = (await call("POST", `/channels/${c}/listeners`)).json.id;
  const first = (await call("GET", `/channels/${c}/listeners/${l}/events`)).response.body.getReader();
  const one = (await call("POST", `/channels/${c}/messages`, { type: "n", payload: 1 })).json.id;
  ok((await readUntil(first, (text) => text.includes("data: 1"))).includes(`id: ${one}`));
  const second = await hub.fetch(new Request(`http://hub.test/channels/${c}/listeners/${l}/events`, { headers: { "last-event-id": one } }));
  equal(second.status, 200);
  equal((await first.read()).done, true, "the first stream ended:");
  const two = (await call("POST", `/channels/${c}/messages`, { type: "n", payload: 2 })).json.id;
  const text = await readUntil(second.body.getReader(), (t) => t.includes("data: 2"));
  ok(text.includes(`id: ${two}`) && !text.includes(`id: ${one}`), text);
  equal(hub.channels.get(c).listenerCount, 1);
});

test("hub: a body the client stopped sending is a 400, not a 500 for onError; a body that is not UTF-8 is a 400", async (lib) => {
  const errors = [];
  const { hub, call } = hubWith(lib, { onError: (error) => errors.push(error) });
  const c = (await call("POST", "/channels", {})).json.id;
  const body = new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('{"type":'));
      controller.error(new Error("the client left"));
    },
  });
  const response = await hub.fetch(new Request(`http://hub.test/channels/${c}/messages`, {
    method: "POST", headers: { "content-type": "application/json" }, body, duplex: "half",
  }));
  equal([response.status, (await response.json()).error.name, errors.length], [400, "InvalidMessageFormatError", 0]);
  const bad = await call("POST", `/channels/${c}/messages`, new Uint8Array([...new TextEncoder().encode('{"type":"t","payload":"'), 0xc3, 0x28, 0xff, 0x22, 0x7d]));
  equal([bad.status, bad.json.error.name], [400, "InvalidMessageFormatError"]);
});

test("hub: limits must be non-negative integers or Infinity", (lib) => {
  for (const limits of [{ maxChannels: "lots" }, { maxBodyBytes: NaN }, { maxListenersPerChannel: -1 }, { maxBodyBytes: 1.5 }, 7]) {
    throws(() => lib.createHub({ limits }), lib.InvalidOptionError);
  }
  lib.createHub({ limits: null });
  lib.createHub({ limits: { maxChannels: Infinity, maxBodyBytes: 0 } });
});

test("hub on a backplane: re-creating a channel the engine lost keeps this node's replica, its listeners reachable", async (lib) => {
  const engine = lib.memoryBackplane();
  let forgetful = false;
  // An engine that lost the channel's registry entry and log (Redis restarted without persistence).
  const backplane = { ...engine, create: async (id) => (forgetful ? !(forgetful = false) : engine.create(id)) };
  const { hub, call } = hubWith(lib, { backplane, channelOptions: { keepAliveMs: 0 } });
  const c = (await call("POST", "/channels", { id: "lost" })).json.id;
  const l = (await call("POST", `/channels/${c}/listeners`)).json.id;
  const held = hub.channels.get(c);
  forgetful = true;
  equal((await call("POST", "/channels", { id: c })).status, 201, "the engine had lost it:");
  equal(hub.channels.get(c), held, "the same replica goes on");
  equal((await call("DELETE", `/channels/${c}/listeners/${l}`)).json, { ack: true }, "its listener is still reachable:");
});
