// NOT part of `npm test`: a failing test for the core, kept for whoever owns src/channel.rs.
// `node tests/redis/lagging-replica.mjs` exits 1 while the bug is there.
//
// A stream opened with a replay read from the engine (Channel.stream → Replica.read →
// RawChannel.openStreamReplay) on a replica whose follower lags behind the engine gets the
// entries again, live, once the replica catches up: those its replay covered, and those before
// the client's Last-Event-ID. openStreamReplay clears the listener's queue but records no
// watermark, so `accept` enqueues for that listener every entry after the replica's own last id.
// A real engine's follower always lags a little (Redis: the XREAD reply comes on another
// connection than the read), so a client resuming on such a node can get duplicates.
// redisBackplane works around it (its `read` waits for this process's followers to reach the
// tail it read); the fix belongs in the core: after openStreamReplay, skip for that listener
// every accepted entry whose id is not after max(lastEventId, the last replayed id).
import * as lib from "../../js/entry-node.js";

const engine = lib.memoryBackplane();
/** The same engine, but its follower holds entries until `release()`. */
const held = [];
const lagging = {
  ...engine,
  follow(channel, after, handlers) {
    return engine.follow(channel, after, { ...handlers, entries: (entries) => held.push(() => handlers.entries(entries)) });
  },
};
const release = () => held.splice(0).forEach((deliver) => deliver());

await engine.create("c");
const fast = new lib.Channel({ id: "c", backplane: engine, keepAliveMs: 0 });
const slow = new lib.Channel({ id: "c", backplane: lagging, keepAliveMs: 0 });
await Promise.all([fast.ready, slow.ready]);
const ids = [];
for (let n = 1; n <= 5; n += 1) ids.push(await fast.publish("n", n));

// The client read 1..3 on `fast`, dropped, and resumes on `slow`, whose follower has nothing yet.
const reader = slow.stream(slow.addListener().id, { lastEventId: ids[2] }).getReader();
const decoder = new TextDecoder();
let text = "";
while (!text.includes("data: 5\n")) text += decoder.decode((await reader.read()).value);
release(); // the replica catches up
await new Promise((resolve) => setTimeout(resolve, 50));
const more = await Promise.race([reader.read().then(({ value }) => decoder.decode(value)), new Promise((r) => setTimeout(() => r(""), 100))]);
const got = [...(text + more).matchAll(/data: (\d+)\n/g)].map((m) => Number(m[1]));
const ok = JSON.stringify(got) === "[4,5]";
console.log(`${ok ? "ok" : "FAIL"}: resumed after 3 on a lagging replica, got ${JSON.stringify(got)} (want [4,5])`);
reader.cancel();
fast.detach();
slow.detach();
process.exit(ok ? 0 : 1);
