// The backplane contract: what every adapter (memoryBackplane, Redis Streams, Durable Objects)
// must give channels that span nodes. Two channel replicas on one engine stand for two nodes.
// `ctx` = { make(): backplane, down(backplane), up(backplane), lose?(backplane, channel),
// window: the adapter's history length when it is small enough to pass in a test }.
// Runs in every runtime against memoryBackplane (the shared suite), and against the real
// engines in their own stages.

import { equal, ok, rejects } from "./assert.js";

export const backplaneTests = [];
const test = (name, fn) => backplaneTests.push({ name, fn });
const quiet = { keepAliveMs: 0 };
let unique = 0;
const fresh = () => `bp-${Date.now().toString(36)}-${(unique += 1)}`;
const until = async (check, what, ms = 3000) => {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};

/** Everything a listener has been delivered so far (drained with deliverNext). */
function drain(channel, listenerId) {
  const got = [];
  for (;;) {
    try {
      got.push(channel.deliverNext(listenerId));
    } catch {
      return got;
    }
  }
}

async function nodes(lib, ctx, count = 2) {
  const backplane = ctx.make();
  const id = fresh();
  await backplane.create(id);
  const replicas = Array.from({ length: count }, () => new lib.Channel({ ...quiet, id, backplane }));
  await Promise.all(replicas.map((r) => r.ready));
  return { backplane, id, replicas };
}

test("every node delivers every publish in one order with the engine's ids", async (lib, ctx) => {
  const { replicas: [a, b] } = await nodes(lib, ctx);
  const la = a.addListener();
  const lb = b.addListener();
  const sent = [];
  for (let n = 0; n < 10; n += 1) sent.push(await (n % 2 ? a : b).publish("n", n));
  const got = { a: [], b: [] };
  await until(() => {
    got.a.push(...drain(a, la.id));
    got.b.push(...drain(b, lb.id));
    return got.a.length === 10 && got.b.length === 10;
  }, "10 messages on both nodes");
  equal(got.a.map((m) => m.id), sent, "node a, in publish order with the engine's ids:");
  equal(got.b.map((m) => m.id), sent, "node b, the same:");
  equal(got.a.map((m) => m.payload), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  a.detach();
  b.detach();
});

test("a publish is delivered on its own node only as it comes back from the engine", async (lib, ctx) => {
  const { replicas: [a] } = await nodes(lib, ctx, 1);
  const l = a.addListener();
  const pending = a.publish("t", 1);
  equal(drain(a, l.id).length, 0, "nothing is delivered before the engine has it:");
  const id = await pending;
  await until(() => a.lastId === id, "the entry to come back");
  equal(drain(a, l.id).map((m) => m.id), [id]);
  throws(() => a.broadcast("t", 2), lib.InvalidMessageFormatError, "broadcast on a replica:");
  a.detach();
});

function throws(fn, Class, message) {
  try {
    fn();
  } catch (error) {
    ok(error instanceof Class, `${message} got ${error?.name}`);
    return;
  }
  throw new Error(`${message} expected ${Class.name}`);
}

test("a client that drops on one node resumes on another with no loss or duplicate", async (lib, ctx) => {
  const { replicas: [a, b] } = await nodes(lib, ctx);
  for (let n = 1; n <= 3; n += 1) await a.publish("n", n);
  const seen = await a.publish("n", 4);
  let last;
  for (let n = 5; n <= 7; n += 1) last = await a.publish("n", n);
  // b started following at its tail; what came before is in the engine's log.
  await until(() => b.lastId === last, "b to catch up");
  const listener = b.addListener();
  const reader = b.stream(listener.id, { lastEventId: seen }).getReader();
  let text = "";
  while (!text.includes("data: 7\n")) text += new TextDecoder().decode((await reader.read()).value);
  await reader.cancel();
  equal([...text.matchAll(/data: (\d+)\n/g)].map((m) => Number(m[1])), [5, 6, 7], text);
  ok(!text.includes("_eric_replay_gap"), "continuous: no gap notice");
  a.detach();
  b.detach();
});

test("a client resuming on a node whose follower lags gets each message once when it catches up", async (lib, ctx) => {
  // A real engine's follower always lags its reads a little (Redis answers XREAD on another
  // connection); this one holds every delivery until released.
  const engine = ctx.make();
  const id = fresh();
  await engine.create(id);
  const held = [];
  const lagging = {
    ...engine,
    follow: (channel, after, handlers) =>
      engine.follow(channel, after, { ...handlers, entries: (entries) => held.push(() => handlers.entries(entries)) }),
  };
  const fast = new lib.Channel({ ...quiet, id, backplane: engine });
  const slow = new lib.Channel({ ...quiet, id, backplane: lagging });
  await Promise.all([fast.ready, slow.ready]);
  const ids = [];
  for (let n = 1; n <= 5; n += 1) ids.push(await fast.publish("n", n));
  const reader = slow.stream(slow.addListener().id, { lastEventId: ids[2] }).getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes("data: 5\n")) text += decoder.decode((await reader.read()).value);
  held.splice(0).forEach((deliver) => deliver()); // the follower catches up
  const sixth = await fast.publish("n", 6);
  await until(() => slow.lastId === sixth || held.length > 0, "the sixth publish to reach the slow node");
  held.splice(0).forEach((deliver) => deliver());
  while (!text.includes("data: 6\n")) text += decoder.decode((await reader.read()).value);
  await reader.cancel();
  equal([...text.matchAll(/data: (\d+)\n/g)].map((m) => Number(m[1])), [4, 5, 6], text);
  fast.detach();
  slow.detach();
});

test("a resume from before the engine's window gets the gap notice and what is kept", async (lib, ctx) => {
  if (!ctx.window) return;
  const { backplane, id, replicas: [a] } = await nodes(lib, ctx, 1);
  const first = await a.publish("n", 0);
  for (let n = 1; n <= ctx.window + 2; n += 1) await a.publish("n", n);
  // A node that joined later: its own history does not reach back, the engine's window does not either.
  const late = new lib.Channel({ ...quiet, id, backplane });
  await late.ready;
  const l = late.addListener();
  const reader = late.stream(l.id, { lastEventId: first }).getReader();
  let text = "";
  while (!text.includes(`data: ${ctx.window + 2}\n`)) text += new TextDecoder().decode((await reader.read()).value);
  await reader.cancel();
  ok(text.includes("event: _eric_replay_gap\n"), text.slice(0, 200));
  equal(text.match(/event: n\n/g)?.length, ctx.window, `the window's ${ctx.window} kept messages are replayed:`);
  a.detach();
  late.detach();
});

test("while the engine is down publishes reject with BackplaneError, streams are told, and nothing is lost after", async (lib, ctx) => {
  const { backplane, replicas: [a, b] } = await nodes(lib, ctx);
  const lb = b.addListener();
  const one = await a.publish("n", 1);
  await until(() => b.lastId === one, "b to get 1");
  await ctx.down(backplane);
  const error = await rejects(a.publish("n", 2), lib.BackplaneError);
  equal(error.status, 503);
  await until(() => b.listenerCount > 0 && drainKinds(b, lb.id, "_eric_backplane"), "the down notice");
  await ctx.up(backplane);
  const three = await a.publish("n", 3);
  await until(() => b.lastId === three, "b to get 3");
  const got = drain(b, lb.id).filter((m) => m.type === "n").map((m) => m.payload);
  equal(got, [3], "after the 1 already read, the next published message:");
  a.detach();
  b.detach();
});

test("a channel made while the engine is down refuses publishes with BackplaneError, not a wait; it works once the engine is back", async (lib, ctx) => {
  const backplane = ctx.make();
  const id = fresh();
  await backplane.create(id);
  await ctx.down(backplane);
  const channel = new lib.Channel({ ...quiet, id, backplane });
  try {
    const outcome = await Promise.race([
      channel.publish("n", 1).then(() => "published", (error) => error),
      new Promise((resolve) => setTimeout(() => resolve("still waiting"), 2000)),
    ]);
    ok(outcome instanceof lib.BackplaneError, `a publish while the engine is down: ${outcome}`);
  } finally {
    await ctx.up(backplane);
  }
  await channel.ready;
  ok(typeof (await channel.publish("n", 2)) === "string", "published once the engine is back");
  channel.detach();
});

const kinds = new Map();
/** True once `listenerId` got a message of `type` (remembers what it drained). */
function drainKinds(channel, listenerId, type) {
  const list = kinds.get(listenerId) ?? [];
  kinds.set(listenerId, list);
  list.push(...drain(channel, listenerId));
  return list.some((m) => m.type === type);
}

test("when the engine loses its log, live listeners get a gap notice, never a silent skip", async (lib, ctx) => {
  if (!ctx.lose) return;
  const { backplane, id, replicas: [a] } = await nodes(lib, ctx, 1);
  const l = a.addListener();
  await a.publish("n", 1);
  await until(() => drain(a, l.id).length === 1, "the first message");
  await ctx.lose(backplane, id);
  await a.publish("n", 2);
  const got = [];
  await until(() => {
    got.push(...drain(a, l.id));
    return got.some((m) => m.type === "n");
  }, "the message after the loss");
  equal(got.map((m) => m.type), ["_eric_replay_gap", "n"]);
  a.detach();
});

test("a client resuming from before the engine lost its log gets the gap notice, never a silent skip", async (lib, ctx) => {
  if (!ctx.lose) return;
  const { backplane, id, replicas: [a] } = await nodes(lib, ctx, 1);
  const first = await a.publish("n", 1);
  await a.publish("n", 2);
  await ctx.lose(backplane, id);
  const third = await a.publish("n", 3);
  await until(() => a.lastId === third, "the message after the loss");
  // The replica's own history links 2 to 1, but 3 follows the engine's gap: a resume from 1
  // must say so (it once replayed 2 and 3 as if nothing had been lost in between).
  const reader = a.stream(a.addListener().id, { lastEventId: first }).getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!text.includes("data: 3\n")) text += decoder.decode((await reader.read()).value);
  await reader.cancel();
  const gap = text.indexOf("event: _eric_replay_gap\n");
  ok(gap >= 0 && gap < text.indexOf("data: 3\n"), text);
  a.detach();
});

test("a hub on a backplane: channels, publishes and streams span hubs; refusals keep their statuses", async (lib, ctx) => {
  const backplane = ctx.make();
  const one = lib.createHub({ backplane, channelOptions: quiet });
  const two = lib.createHub({ backplane, channelOptions: quiet });
  const call = (hub, method, path, body) => hub.fetch(new Request(`http://hub.test${path}`, {
    method, headers: { "content-type": "application/json" }, body: body === undefined ? undefined : JSON.stringify(body),
  }));
  const c = fresh();
  equal((await call(one, "POST", "/channels", { id: c })).status, 201);
  equal((await call(two, "POST", "/channels", { id: c })).status, 409, "the engine's registry is shared:");
  ok((await (await call(two, "GET", "/channels")).json()).channels.includes(c), "listed on the other hub");
  const watchOne = await call(one, "GET", `/channels/${c}/events`);
  const watchTwo = await call(two, "GET", `/channels/${c}/events`);
  const sent = [];
  sent.push((await (await call(two, "POST", `/channels/${c}/messages`, { type: "n", payload: 1 })).json()).id);
  sent.push((await (await call(one, "POST", "/command", { v: "b", c, t: "n", p: 2 })).json()).id);
  equal((await call(one, "DELETE", `/channels/${c}`)).status, 200);
  const texts = await Promise.all([watchOne, watchTwo].map((r) => r.text()));
  for (const text of texts) {
    equal([...text.matchAll(/id: (\S+)\n/g)].map((m) => m[1]), sent, text);
    ok(text.endsWith("event: _eric_channel_closed\ndata: null\n\n"), "removal ended the streams on both hubs");
  }
  equal((await call(two, "POST", `/channels/${c}/messages`, { type: "n" })).status, 404, "gone everywhere:");
  await ctx.down(backplane);
  try {
    const refused = await call(one, "POST", "/channels", { id: fresh() });
    equal([refused.status, (await refused.json()).error.name], [503, "BackplaneError"]);
  } finally {
    await ctx.up(backplane);
  }
});

/** shareChannel over BroadcastChannel: live only, between contexts (two instances in one realm here). */
export const shareTests = [];

/** Two channels sharing one name ("contexts" here and there), a listener on each, and `run`
 * with them; the shares close after. `theirs` has the id "far-away". */
async function shared(lib, run) {
  if (typeof globalThis.BroadcastChannel !== "function") return;
  const name = fresh();
  const here = new lib.Channel(quiet);
  const there = new lib.Channel(quiet);
  const a = lib.shareChannel(here, { name });
  const b = lib.shareChannel(there, { name });
  const mine = here.addListener();
  const theirs = there.registerListener(new lib.Listener({ id: "far-away" }));
  try {
    await run({ here, there, a, b, mine, theirs });
  } finally {
    a.close();
    b.close();
  }
}

shareTests.push({
  name: "shareChannel carries publishes and dispatches between contexts, each sender in order",
  fn: (lib) => shared(lib, async ({ here, there, a, b, mine, theirs }) => {
    for (let n = 1; n <= 5; n += 1) a.publish("n", n);
    equal(a.publishTo("far-away", "direct", { to: "them" }), undefined, "sent on: not here");
    const got = [];
    await until(() => {
      got.push(...drain(there, theirs.id));
      return got.length === 6;
    }, "6 messages in the other context");
    equal(got.map((m) => m.payload), [1, 2, 3, 4, 5, { to: "them" }]);
    equal(drain(here, mine.id).map((m) => m.payload), [1, 2, 3, 4, 5], "the publisher's own listeners too, once");
    b.publish("back", "hi");
    await until(() => drainKinds(here, mine.id, "back"), "the reply");
  }),
});

shareTests.push({
  name: "shareChannel: every context gets the payload the publisher's own listeners get (its JSON), and an unsendable one is refused everywhere",
  fn: (lib) => shared(lib, async ({ here, there, a, mine, theirs }) => {
    class Money {
      constructor(cents) { this.cents = cents; }
      toJSON() { return (this.cents / 100).toFixed(2); }
    }
    a.publish("price", { total: new Money(150), at: new Date(0) });
    const got = [];
    await until(() => {
      got.push(...drain(there, theirs.id));
      return got.length === 1;
    }, "the message in the other context");
    const local = drain(here, mine.id);
    equal([got[0].payload, local[0].payload], [{ total: "1.50", at: "1970-01-01T00:00:00.000Z" }, { total: "1.50", at: "1970-01-01T00:00:00.000Z" }]);
    const cyclic = {};
    cyclic.self = cyclic;
    let refused = null;
    try {
      a.publish("bad", cyclic);
    } catch (error) {
      refused = error;
    }
    ok(refused instanceof lib.InvalidMessageFormatError, String(refused));
    equal(drain(here, mine.id), [], "nothing delivered here");
    await new Promise((resolve) => setTimeout(resolve, 50));
    equal(drain(there, theirs.id), [], "nor there");
  }),
});
