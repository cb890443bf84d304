// Three processes of examples/redis/server.js (one per runtime given) on one real Redis, read
// over HTTP as SSE: one order and the same ids everywhere with two publishers; a client that
// drops and resumes on another process each time (one of them restarted meanwhile) with 0 lost
// and 0 duplicated; a resume older than the window gets the gap notice; Redis killed (SIGKILL)
// and restarted empty gives 503 while it is down, then the down/up notices and a gap notice on
// every stream, never a silent skip.
import { spawn } from "node:child_process";
import { bin, root, systemNode } from "../../scripts/lib.mjs";
import { freePort, waitForServer } from "../../scripts/workerd.mjs";
import { equal, ok } from "../behaviour/assert.js";
import { compareIds } from "../../js/backplane/redis.js";
import { until } from "./adapter.js";

const COMMANDS = {
  node: () => [systemNode(), ["examples/redis/server.js"]],
  deno: () => [bin("deno"), ["run", "--allow-net", "--allow-env", "--allow-read", "examples/redis/server.js"]],
  bun: () => [bin("bun"), ["examples/redis/server.js"]],
};
const MAXLEN = 100;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function startHub(runtime, redisUrl) {
  const port = await freePort();
  const [cmd, args] = COMMANDS[runtime]();
  const child = spawn(cmd, args, {
    cwd: root, stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, NO_COLOR: "1", PORT: String(port), REDIS_URL: redisUrl, REDIS_MAXLEN: String(MAXLEN) },
  });
  let errors = "";
  child.stderr.on("data", (d) => { errors = (errors + d).slice(-2000); });
  const server = await waitForServer(child, `http://127.0.0.1:${port}`, `${runtime} examples/redis/server.js`);
  return { runtime, url: server.url, stop: server.stop, errors: () => errors };
}

/** An SSE reader over HTTP: `events` fills as they are parsed ({ type, data, lastEventId }). */
function openReader(lib, url, lastEventId) {
  const events = [];
  const abort = new AbortController();
  const state = { status: 0, ended: false };
  fetch(url, { headers: lastEventId ? { "last-event-id": lastEventId } : {}, signal: abort.signal })
    .then(async (response) => {
      state.status = response.status;
      const parser = lib.createParser({ onEvent: (e) => events.push(e) });
      for await (const chunk of response.body) parser.feed(chunk);
    })
    .catch(() => {})
    .finally(() => { state.ended = true; });
  return { events, state, close: () => abort.abort(), of: (type) => events.filter((e) => e.type === type) };
}

const post = async (hub, path, body) => {
  const response = await fetch(`${hub.url}${path}`, {
    method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
};
const publish = async (hub, channel, type, payload) => {
  const { status, json } = await post(hub, `/channels/${channel}/messages`, { type, payload });
  if (status !== 200 && status !== 201) throw new Error(`publish on ${hub.runtime}: ${status} ${JSON.stringify(json)}`);
  return json.id;
};

/** Publishes "warm" until every reader got one (each replica follows the log by then). */
async function sync(hub, channel, readers) {
  for (let attempt = 0; attempt < 30; attempt += 1) {
    await publish(hub, channel, "warm", attempt);
    const end = Date.now() + 300;
    while (Date.now() < end) {
      if (readers.every((r) => r.of("warm").length > 0)) return;
      await sleep(5);
    }
  }
  throw new Error("the readers never all got a warm-up message");
}

export async function runProcesses(lib, redis, runtimes, report) {
  const label = `redis processes (${runtimes.join(" + ")})`;
  const hubs = [];
  const readers = [];
  const check = async (name, fn) => {
    try {
      await fn();
      report(`${label}: ${name}`, true);
    } catch (error) {
      const logs = hubs.map((h) => h.errors()).filter(Boolean).join("\n");
      report(`${label}: ${name}`, false, `${error?.name}: ${error?.message}${logs ? `\n${logs}` : ""}`);
    } finally {
      for (const r of readers.splice(0)) r.close();
    }
  };
  try {
    for (const runtime of runtimes) hubs.push(await startHub(runtime, redis.url));
    const channel = `orders-${Date.now().toString(36)}`;
    const events = (hub) => `${hub.url}/channels/${channel}/events`;
    let firstId;
    let lastId;

    await check("three processes, two publishers: every reader gets every message in one order with the same ids", async () => {
      equal((await post(hubs[0], "/channels", { id: channel })).status, 201);
      readers.push(...hubs.map((h) => openReader(lib, events(h))));
      await sync(hubs[0], channel, readers);
      const sent = { a: [], b: [] };
      await Promise.all([["a", hubs[0]], ["b", hubs[1]]].map(async ([who, hub]) => {
        for (let n = 0; n < 100; n += 1) sent[who].push(await publish(hub, channel, "n", { who, n }));
      }));
      await until(() => readers.every((r) => r.of("n").length === 200), "200 messages on every reader", 10000);
      const seen = readers.map((r) => r.of("n").map((e) => `${e.lastEventId} ${e.data}`));
      equal(seen[1], seen[0], `${hubs[1].runtime} vs ${hubs[0].runtime}:`);
      equal(seen[2], seen[0], `${hubs[2].runtime} vs ${hubs[0].runtime}:`);
      const ids = readers[0].of("n").map((e) => e.lastEventId);
      equal([...ids].sort(compareIds), ids, "ids increase along the stream:");
      equal([...ids].sort(compareIds), [...sent.a, ...sent.b].sort(compareIds), "the ids the publishers were given:");
      for (const who of ["a", "b"]) {
        const order = readers[0].of("n").map((e) => JSON.parse(e.data)).filter((p) => p.who === who).map((p) => p.n);
        equal(order, Array.from({ length: 100 }, (_, n) => n), `publisher ${who}'s order:`);
      }
      ok(readers.every((r) => !r.of("_eric_replay_gap").length), "no gap notice");
      firstId = readers[0].of("warm")[0].lastEventId;
      lastId = ids[ids.length - 1];
    });

    await check("a client that drops resumes on another process each time (one restarted meanwhile): 0 lost, 0 duplicated", async () => {
      const published = [];
      let done = false;
      const publisher = (async () => {
        for (let n = 0; n < 300; n += 1) {
          published.push(await publish(hubs[n % 2], channel, "m", n));
          if (n % 10 === 9) await sleep(3);
          if (n === 150) {
            // The third process goes away (its clients drop) and a new one takes its place.
            const runtime = hubs[2].runtime;
            await hubs[2].stop();
            hubs[2] = await startHub(runtime, redis.url);
          }
        }
        done = true;
      })();
      const got = [];
      let resumeFrom = lastId;
      let hops = 0;
      const visited = new Set();
      const trail = [];
      const deadline = Date.now() + 30000;
      while (!(done && got.length >= published.length) && Date.now() < deadline) {
        const hub = hubs[hops % 3];
        visited.add(hub.url);
        const reader = openReader(lib, events(hub), resumeFrom);
        readers.push(reader);
        const want = 5 + Math.floor(Math.random() * 40);
        const end = Date.now() + 2000;
        while (reader.of("m").length < want && !reader.state.ended && !(done && got.length + reader.of("m").length >= published.length)
          && Date.now() < end) await sleep(2);
        reader.close();
        await sleep(1);
        ok(!reader.of("_eric_replay_gap").length, `no gap notice (resume from ${resumeFrom} on ${hub.runtime})`);
        const these = reader.of("m").map((e) => e.lastEventId);
        const again = these.filter((id, i) => got.includes(id) || these.indexOf(id) !== i);
        if (again.length) trail.push(`${hub.runtime} from ${resumeFrom}: again ${again.join(",")} of ${these.join(",")}`);
        got.push(...these);
        const committed = reader.events.filter((e) => e.lastEventId).at(-1)?.lastEventId;
        if (committed) resumeFrom = committed;
        hops += 1;
      }
      await publisher;
      lastId = published.at(-1);
      const lost = published.filter((id) => !got.includes(id));
      const duplicated = got.length - new Set(got).size;
      equal({ lost: lost.length, duplicated }, { lost: 0, duplicated: 0 }, `${hops} hops, ${got.length} of ${published.length}: ${trail.join("; ")}`);
      equal(got, published, "in the order published:");
      ok(hops >= 6 && visited.size === 4, `${hops} hops over ${visited.size} processes (the restarted one included)`);
    });

    await check(`a resume older than the window (MAXLEN ~ ${MAXLEN}) gets the gap notice, then the kept tail`, async () => {
      const reader = openReader(lib, events(hubs[1]), firstId);
      readers.push(reader);
      await until(() => reader.events.some((e) => e.lastEventId === lastId), "the last message", 5000);
      equal(reader.events[0]?.type, "_eric_replay_gap", "first:");
      const ids = reader.events.slice(1).map((e) => e.lastEventId);
      ok(ids.length >= MAXLEN && ids.length < 500, `${ids.length} kept messages replayed`);
      equal([...ids].sort(compareIds), ids, "in order:");
      ok(new Set(ids).size === ids.length, "no duplicate");
    });

    await check("Redis killed and restarted empty: 503 while down, then down/up notices and a gap notice on every stream", async () => {
      readers.push(...hubs.map((h) => openReader(lib, events(h))));
      await sync(hubs[0], channel, readers);
      await redis.kill("SIGKILL");
      const refused = await post(hubs[0], `/channels/${channel}/messages`, { type: "n", payload: "lost" });
      equal([refused.status, refused.json.error?.name], [503, "BackplaneError"], "a publish while Redis is down:");
      await until(() => readers.every((r) => r.of("_eric_backplane").some((e) => e.data === '{"state":"down"}')), "the down notice", 5000);
      await redis.lose();
      let id;
      for (let attempt = 0; attempt < 100 && id === undefined; attempt += 1) {
        const answer = await post(hubs[0], `/channels/${channel}/messages`, { type: "n", payload: "after" });
        if (answer.status === 200 || answer.status === 201) id = answer.json.id;
        else await sleep(100);
      }
      ok(id !== undefined, "a publish succeeds once Redis is back");
      await until(() => readers.every((r) => r.of("n").length === 1), "the message after the restart", 8000);
      for (const [i, r] of readers.entries()) {
        const after = r.events.slice(r.events.findIndex((e) => e.type === "_eric_backplane"));
        equal(after.map((e) => [e.type, e.type === "n" ? e.lastEventId : e.data]), [
          ["_eric_backplane", '{"state":"down"}'], ["_eric_backplane", '{"state":"up"}'],
          ["_eric_replay_gap", after.find((e) => e.type === "_eric_replay_gap")?.data], ["n", id],
        ], `${hubs[i].runtime}:`);
        equal(JSON.parse(r.of("n")[0].data), "after");
      }
      await until(async () => (await (await fetch(`${hubs[2].url}/channels`)).json()).channels?.includes(channel),
        "the channel listed again in the new Redis (the publish registered it)", 5000);
    });
  } catch (error) {
    report(`${label}: setup`, false, `${error?.stack ?? error}`);
  } finally {
    for (const r of readers) r.close();
    await Promise.all(hubs.map((h) => h.stop()));
  }
}
