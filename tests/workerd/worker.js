// A Worker served by the real workerd in the tests. Module names mirror repository paths (see
// scripts/workerd.mjs), so this imports the package's workerd entry as a bundler would.
//   GET /suite        runs the shared behaviour suite, and the pool tests inline (workerd has
//                     no workers), inside workerd and returns the results.
//   GET /live?n=N     an SSE stream: N broadcasts spaced by timers, then notifyEnd.
//   GET /replay       a stream resumed from a Last-Event-ID (the first message's id).
import * as lib from "../../dist/workerd.js";
import { poolTests } from "../behaviour/pool.js";
import { tests } from "../behaviour/suite.js";
import { tasks } from "../workers/tasks.js";

const inline = { inline: true, pool: (options) => new lib.WorkerPool(tasks, options) };
const all = [
  ...tests,
  ...poolTests.filter((t) => !t.workersOnly).map(({ name, fn }) => ({ name: `pool inline: ${name}`, fn: (l) => fn(l, inline) })),
];

async function runSuite() {
  const results = [];
  for (const { name, fn } of all) {
    try {
      await fn(lib);
      results.push({ name, ok: true });
    } catch (error) {
      results.push({ name, ok: false, error: `${error?.name}: ${error?.message}` });
    }
  }
  return Response.json(results);
}

function live(request, count) {
  const channel = new lib.Channel({ id: "live", keepAliveMs: 0 });
  const listener = channel.addListener();
  let sent = 0;
  const tick = () => {
    channel.broadcast("tick", { n: sent, runtime: "workerd" });
    sent += 1;
    if (sent < count) setTimeout(tick, 5);
    else channel.notifyEnd();
  };
  setTimeout(tick, 5);
  return channel.response(listener.id, { request });
}

/** Replays after the first message, whose id goes on the request as Last-Event-ID. */
function replay() {
  const channel = new lib.Channel({ id: "replay", keepAliveMs: 0 });
  const listener = channel.addListener();
  const first = channel.broadcast("n", 1);
  for (let n = 2; n <= 3; n += 1) channel.broadcast("n", n);
  while (true) {
    try {
      channel.deliverNext(listener.id);
    } catch (error) {
      if (error instanceof lib.NoMessagesError) break;
      throw error;
    }
  }
  channel.notifyEnd();
  const request = new Request("http://x/", { headers: { "Last-Event-ID": first } });
  return channel.response(listener.id, { request });
}

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname === "/suite") return runSuite();
    if (url.pathname === "/live") return live(request, Number(url.searchParams.get("n") ?? 3));
    if (url.pathname === "/replay") return replay();
    return new Response("not found", { status: 404 });
  },
};
