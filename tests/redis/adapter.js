// What redisBackplane adds to the backplane contract, against a real redis-server: the `prev`
// chain as Redis stores it, trimming (approximate too), ids that never go back after Redis
// loses a stream, removal across instances, a Redis that is not there at start, and a registry
// that a publish restores after Redis lost it. ctx = { lib, redisBackplane, redis, raw, make }.
import { equal, ok, rejects } from "../behaviour/assert.js";

export const adapterTests = [];
const test = (name, fn) => adapterTests.push({ name, fn });
let unique = 0;
const fresh = () => `rd-${Date.now().toString(36)}-${(unique += 1)}`;
export const until = async (check, what, ms = 5000) => {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
};
const drain = (channel, listenerId) => {
  const got = [];
  for (;;) {
    try {
      got.push(channel.deliverNext(listenerId));
    } catch {
      return got;
    }
  }
};
/** Reads a stream until `done(text)`; returns the text. */
async function readUntil(stream, done) {
  const reader = stream.getReader();
  let text = "";
  while (!done(text)) text += new TextDecoder().decode((await reader.read()).value);
  await reader.cancel();
  return text;
}

test("every entry stores its predecessor's id; two instances appending at once keep one chain", async ({ make, raw }) => {
  const [a, b, c] = [make({ maxLen: 1000 }), make({ maxLen: 1000 }), make({ maxLen: 1000 })];
  const id = fresh();
  await a.create(id);
  const followed = [];
  const stop = c.follow(id, null, { entries: (entries) => followed.push(...entries) });
  const sent = await Promise.all(Array.from({ length: 200 }, (_, n) => (n % 2 ? a : b).append(id, { type: "n", payload: String(n) })));
  const stored = await raw.sendCommand(["XRANGE", `${a.prefix}ch:${id}`, "-", "+"]);
  equal(stored.length, 200);
  const prevs = stored.map(([, fields]) => fields[fields.indexOf("prev") + 1]);
  equal(prevs[0], "", "the first entry has no predecessor:");
  for (let i = 1; i < stored.length; i += 1) equal(prevs[i], stored[i - 1][0], `entry ${i}'s prev:`);
  const byId = new Map(sent.map((e) => [e.id, e]));
  for (let i = 0; i < stored.length; i += 1) {
    equal(byId.get(stored[i][0])?.prev ?? null, prevs[i] || null, "append resolves to the stored id and prev:");
  }
  await until(() => followed.length === 200, "the follower on a third instance to get all 200");
  equal(followed.map((e) => [e.id, e.prev]), stored.map(([sid], i) => [sid, prevs[i] || null]), "followed as stored:");
  stop();
});

test("approximate trimming: a resume from a trimmed id gets the gap notice and a contiguous tail", async ({ lib, redisBackplane, redis }) => {
  const bp = redisBackplane({ url: redis.url, prefix: "approx:", maxLen: 10 });
  try {
    const id = fresh();
    await bp.create(id);
    const first = (await bp.append(id, { type: "n", payload: "0" })).id;
    for (let n = 1; n < 250; n += 1) await bp.append(id, { type: "n", payload: String(n) });
    const { entries, tail } = await bp.read(id, first);
    ok(entries.length >= 10 && entries.length < 249, `MAXLEN ~ 10 kept ${entries.length}`);
    ok(entries[0].prev !== first, "the first kept entry does not link to the trimmed id");
    equal(tail, entries[entries.length - 1].id);
    const late = new lib.Channel({ id, backplane: bp, keepAliveMs: 0 });
    await late.ready;
    const text = await readUntil(late.stream(late.addListener().id, { lastEventId: first }), (t) => t.includes("data: 249\n"));
    ok(text.startsWith("retry: 5000\n\nevent: _eric_replay_gap\n"), text.slice(0, 120));
    const got = [...text.matchAll(/data: (\d+)\n/g)].map((m) => Number(m[1]));
    equal(got, Array.from({ length: entries.length }, (_, i) => 250 - entries.length + i), "the kept tail, in order:");
    late.detach();
  } finally {
    await bp.close();
  }
});

test("a Last-Event-ID that is not one of ours replays the whole window after a gap notice", async ({ lib, make }) => {
  const bp = make();
  const id = fresh();
  await bp.create(id);
  for (let n = 1; n <= 3; n += 1) await bp.append(id, { type: "n", payload: String(n) });
  const ch = new lib.Channel({ id, backplane: bp, keepAliveMs: 0 });
  await ch.ready;
  for (const lastEventId of ["42", "abc", "007-1"]) {
    const text = await readUntil(ch.stream(ch.addListener().id, { lastEventId }), (t) => t.includes("data: 3\n"));
    ok(text.includes("event: _eric_replay_gap\n"), `${lastEventId}: ${text}`);
    equal([...text.matchAll(/data: (\d+)\n/g)].map((m) => Number(m[1])), [1, 2, 3], `${lastEventId}:`);
  }
  ch.detach();
});

test("ids never go back: a stream Redis lost gets ids past the highest this process saw", async ({ make, raw }) => {
  const bp = make();
  const id = fresh();
  const got = [];
  // This process followed the channel up to an id ahead of Redis's clock; then Redis lost it.
  const stop = bp.follow(id, "99999999999999-3", { entries: (entries) => got.push(...entries) });
  await raw.sendCommand(["DEL", `${bp.prefix}ch:${id}`]);
  const entry = await bp.append(id, { type: "n", payload: "1" });
  equal([entry.id, entry.prev], ["100000000000000-0", null]);
  const next = await bp.append(id, { type: "n", payload: "2" });
  equal([next.id, next.prev], ["100000000000000-1", entry.id]);
  await until(() => got.length === 2, "the follower to get both");
  equal(got.map((e) => e.id), [entry.id, next.id]);
  stop();
  await bp.remove(id);
});

test("remove: replicas on every instance end with the marker, the stream expires, create again keeps the log", async ({ lib, redisBackplane, redis, raw }) => {
  const make = () => redisBackplane({ url: redis.url, prefix: "rm:", removeGraceMs: 5000 });
  const [a, b] = [make(), make()];
  try {
    const id = fresh();
    equal(await a.remove(id), false, "an unknown channel:");
    await a.create(id);
    const replicas = [new lib.Channel({ id, backplane: a, keepAliveMs: 0 }), new lib.Channel({ id, backplane: b, keepAliveMs: 0 })];
    await Promise.all(replicas.map((r) => r.ready));
    await replicas[1].publish("n", 1);
    equal(await a.remove(id), true);
    await until(() => replicas.every((r) => r.ended), "both replicas to end");
    equal([await a.exists(id), await b.exists(id), (await b.list()).includes(id)], [false, false, false]);
    const ttl = await raw.sendCommand(["PTTL", `rm:ch:${id}`]);
    ok(ttl > 0 && ttl <= 5000, `the removed stream expires: PTTL ${ttl}`);
    equal(await b.create(id), true, "created again:");
    equal(await raw.sendCommand(["PTTL", `rm:ch:${id}`]), -1, "no longer expires:");
    const next = await b.append(id, { type: "n", payload: "2" });
    ok(next.prev !== null, "the log goes on after the marker");
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test("Redis not there at start: commands reject with BackplaneError at once, retries are bounded, and it connects when Redis comes", async ({ lib, redisBackplane, startRedis, freePort }) => {
  const port = await freePort();
  let errors = 0;
  const bp = redisBackplane({ url: `redis://127.0.0.1:${port}`, retryMaxMs: 400, onError: () => { errors += 1; } });
  let late;
  try {
    const started = Date.now();
    await rejects(bp.append("x", { type: "n", payload: "1" }), lib.BackplaneError);
    await rejects(bp.list(), lib.BackplaneError);
    ok(Date.now() - started < 2000, `rejected after ${Date.now() - started} ms`);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    ok(errors >= 2 && errors <= 20, `${errors} connection attempts in about 2 s (capped backoff)`);
    late = await startRedis("redis-late", port);
    await until(() => bp.up, "the connection once Redis is there", 3000);
    equal(await bp.create("x"), true);
  } finally {
    await bp.close();
    await late?.stop();
  }
});

test("after Redis lost everything, a publish restores its channel in the registry", async ({ lib, make, redis }) => {
  const bp = make();
  const id = fresh();
  await bp.create(id);
  const ch = new lib.Channel({ id, backplane: bp, keepAliveMs: 0 });
  await ch.ready;
  const l = ch.addListener();
  await ch.publish("n", 1);
  await until(() => drain(ch, l.id).length === 1, "the first message");
  await redis.lose();
  await until(() => bp.up, "the reconnection");
  equal(await bp.exists(id), false, "Redis forgot the channel:");
  await ch.publish("n", 2);
  equal(await bp.exists(id), true, "the publish registered it again:");
  const got = [];
  await until(() => {
    got.push(...drain(ch, l.id));
    return got.some((m) => m.type === "n");
  }, "the message after the loss");
  equal(got.map((m) => m.type).filter((t) => t !== "_eric_backplane"), ["_eric_replay_gap", "n"]);
  ch.detach();
});
