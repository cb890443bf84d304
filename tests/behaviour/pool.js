// WorkerPool, DataProcessingChannel and ActionListener, run in Node (worker_threads), Deno and
// Chromium (Web Workers) and workerd (inline). `ctx.pool(options)` makes a pool for the tasks of
// tests/workers/tasks.js; `ctx.inline` says whether it runs inline (no workers).

import { equal, failure, ok, rejects, seq, settles, tick } from "./assert.js";

export const poolTests = [];
/** `notUnderBunTest`: why `bun test` cannot run it (it still runs in Node, Deno and Chromium). */
const test = (name, fn, { workersOnly = false, notUnderBunTest = "" } = {}) => poolTests.push({ name, fn, workersOnly, notUnderBunTest });

test("run returns results, and the wasm works inside the workers", async (lib, ctx) => {
  const pool = ctx.pool({ size: 2 });
  equal(await Promise.all([1, 2, 3, 4].map((n) => pool.run("square", n))), [1, 4, 9, 16]);
  const delivered = await pool.run("wasm");
  equal([delivered.type, delivered.payload], ["t", { inside: "worker" }]);
  await pool.close();
});

test("busy tasks spread over the workers", async (lib, ctx) => {
  const pool = ctx.pool({ size: 2 });
  // Long enough that the second worker is up (it loads the module) before the first is done.
  const ids = await Promise.all([0, 1, 2, 3].map(() => pool.run("whoami", { ms: 250 })));
  equal(new Set(ids).size, 2, "two workers ran them:");
  await pool.close();
}, { workersOnly: true });

test("a worker runs its tasks one at a time and in order, async ones too", async (lib, ctx) => {
  const pool = ctx.pool({ size: 1 });
  // The pool sends a worker its next task before the current one ends: the worker must still
  // not start it early (an async task yields to the worker's event loop while it waits).
  const order = [];
  const runs = [1, 2, 3].map((n) => pool.run("overlap", { ms: 30 }).then((most) => { order.push(n); return most; }));
  equal(await Promise.all(runs), [1, 1, 1], "tasks running at once, as each saw it:");
  equal(order, [1, 2, 3]);
  await pool.close();
});

test("a task with a signal waits for an idle worker, so aborting it withdraws it", async (lib, ctx) => {
  const pool = ctx.pool({ size: 1 });
  const before = await pool.run("marks");
  const running = pool.run("spin", { ms: 200 });
  const abort = new AbortController();
  const waiting = pool.run("mark", null, { signal: abort.signal });
  equal(pool.queued, 1, "the task behind the running one:");
  abort.abort();
  equal(pool.queued, 0, "after the abort:");
  // Without a signal, the next task is sent ahead to the busy worker: it still counts as queued.
  const ahead = pool.run("square", 3);
  equal(pool.queued, 1, "a task sent ahead:");
  equal((await failure(waiting)).name, "AbortError");
  equal([await running, await ahead], [200, 9]);
  equal(await pool.run("marks"), before, "the aborted task never ran:");
  await pool.close();
});

test("aborting a task never runs the task behind it twice", async (lib, ctx) => {
  if (typeof SharedArrayBuffer !== "function") {
    // Browsers hand out SharedArrayBuffer only to cross-origin isolated pages.
    equal(globalThis.crossOriginIsolated, false, "no SharedArrayBuffer outside a browser:");
    return;
  }
  const pool = ctx.pool({ size: 1 });
  try {
    await pool.run("square", 1);
    const counter = new SharedArrayBuffer(4);
    const abort = new AbortController();
    const first = pool.run("spin", { ms: 100 }, { signal: abort.signal });
    const behind = pool.run("count", { counter });
    await tick(20);
    // The worker finishes `first` at 100 ms; the owner reads its answer only after this turn,
    // in which the abort ends the worker. Had `behind` been sent to wait in that worker, it
    // would have run there already and would run again on the replacement.
    const end = Date.now() + 300;
    while (Date.now() < end) { /* keep the owner from reading the worker's answers */ }
    abort.abort();
    equal((await failure(first)).name, "AbortError");
    await behind;
    equal(Atomics.load(new Int32Array(counter), 0), 1, "times the task behind ran:");
  } finally {
    await pool.close();
  }
}, { workersOnly: true });

test("a worker that dies hands the tasks waiting behind its own to a new worker", async (lib, ctx) => {
  const pool = ctx.pool({ size: 1 });
  await pool.run("square", 1);
  const dying = pool.run("crash");
  const behind = [pool.run("square", 5), pool.run("square", 6)];
  await rejects(dying, lib.WorkerCrashError);
  equal(await settles(Promise.all(behind), 10_000, "the tasks behind the crash"), [25, 36]);
  await pool.close();
}, { workersOnly: true });

test("a worker that crashes fails the task it ran, never the one it finished before", async (lib, ctx) => {
  // The crash is reported apart from the worker's messages (Node's internal port, a Web
  // Worker's `error` event) and could overtake the answer to the task before it: that task
  // then failed with the crash and the crashing one ran again on the next worker. A flood of
  // messages just before the answer leaves the owner reading them when the crash comes.
  // How many overtakes it most often differs by runtime (Node 2,000, Bun 10,000).
  for (let round = 0; round < 10; round += 1) {
    const n = round % 2 === 0 ? 2000 : 10_000;
    const pool = ctx.pool({ size: 1 });
    try {
      await pool.run("square", 1);
      const finished = pool.run("flood", { n }).then((value) => value, (error) => `${error.name}: ${error.message}`);
      const crashing = pool.run("crash");
      equal(await settles(finished, 10_000, "the task before the crash"), n, `round ${round}, the task before the crash:`);
      await rejects(crashing, lib.WorkerCrashError);
    } finally {
      await pool.close();
    }
  }
}, { workersOnly: true });

test("an error the worker's own code handles is not a crash: the worker goes on", async (lib, ctx) => {
  // Node and Bun: an `uncaughtException` listener; Web Workers: preventDefault() in an `error`
  // listener added before serve() (tests/workers/tasks.js).
  const pool = ctx.pool({ size: 1 });
  const worker = await pool.run("whoami");
  equal(await settles(pool.run("handled"), 10_000, "the task whose error was handled"), "handled");
  equal(await pool.run("whoami"), worker, "the same worker after it:");
  await pool.close();
}, {
  workersOnly: true,
  // Under `bun test` a worker's uncaught error skips its process listeners and goes straight to
  // the owner (under `bun run` they take it, as in Node).
  notUnderBunTest: "bun test hands a worker's uncaught errors to the owner past its uncaughtException listeners",
});

test("a throwing task rejects with the worker-side name, message and stack", async (lib, ctx) => {
  const pool = ctx.pool({ size: 1 });
  const error = await failure(pool.run("fail", { message: "too big" }));
  ok(error instanceof lib.TaskError && error.name === "RangeError" && error.message === "too big", `${error.name}: ${error.message}`);
  ok(/tasks\.js/.test(error.stack ?? ""), "the stack points into the task module");
  equal(await pool.run("square", 3), 9, "the pool goes on:");
  const unknown = await failure(pool.run("nope"));
  ok(unknown instanceof lib.TaskError && /no task named/.test(unknown.message), unknown.message);
  await pool.close();
}, {});

test("a worker that dies rejects its task, is replaced, and the pool goes on", async (lib, ctx) => {
  const pool = ctx.pool({ size: 1 });
  await rejects(pool.run("crash"), lib.WorkerCrashError);
  equal(await pool.run("square", 5), 25);
  await pool.close();
}, { workersOnly: true });

test("abort removes a queued task and terminates a running one", async (lib, ctx) => {
  const pool = ctx.pool({ size: 1 });
  const running = new AbortController();
  const queued = new AbortController();
  const first = pool.run("spin", { ms: 10_000 }, { signal: running.signal });
  const second = pool.run("square", 7, { signal: queued.signal });
  const third = pool.run("square", 8);
  await tick(50);
  queued.abort();
  equal((await failure(second)).name, "AbortError");
  running.abort();
  equal((await failure(first)).name, "AbortError");
  equal(await third, 64, "the replacement worker ran the rest:");
  await pool.close();
}, { workersOnly: true });

test("a payload that cannot be sent rejects its task with a typed error, and the pool goes on", async (lib, ctx) => {
  const pool = ctx.pool({ size: 1 });
  const isCloneError = (e) => e instanceof lib.TaskError && e.name === "DataCloneError" && e.cause !== undefined;
  // Queued before the worker is ready: posted from the handler of the worker's "ready" message.
  const early = pool.run("square", () => 1);
  const after = pool.run("square", 3);
  const error = await settles(failure(early), 10_000, "a task queued with a function as payload");
  ok(isCloneError(error), `${error?.name}: ${error?.message}`);
  equal(await settles(after, 10_000, "the task queued after it"), 9, "the next task still runs:");
  // Posted to a ready, idle worker: its slot must be free again afterwards.
  const late = await settles(failure(pool.run("square", () => 2)), 10_000, "a function payload sent to a ready worker");
  ok(isCloneError(late), `${late?.name}: ${late?.message}`);
  equal(await settles(pool.run("square", 4), 10_000, "the task after it"), 16, "the slot was freed:");
  await settles(pool.close(), 10_000, "close()");
}, { workersOnly: true });

test("aborting a task that never settles lets the next task run and close() resolve", async (lib, ctx) => {
  const pool = ctx.pool({ size: 1 });
  const stuck = new AbortController();
  const first = pool.run("hang", null, { signal: stuck.signal });
  const second = pool.run("square", 6);
  await tick(20);
  stuck.abort();
  equal((await settles(failure(first), 10_000, "the aborted task")).name, "AbortError");
  equal(await settles(second, 10_000, "the task after the aborted one"), 36, "the next task ran:");
  await settles(pool.close(), 10_000, "close()");
});

test("terminate rejects a running task that never settles", async (lib, ctx) => {
  const pool = ctx.pool({ size: 1 });
  const running = rejects(pool.run("hang"), lib.PoolClosedError);
  const queued = rejects(pool.run("square", 2), lib.PoolClosedError);
  await tick(20);
  pool.terminate();
  await settles(running, 10_000, "the running task");
  await settles(queued, 10_000, "the queued task");
});

test("a full queue rejects at once", async (lib, ctx) => {
  const pool = ctx.pool({ size: 1, maxQueue: 1 });
  await pool.run("square", 1);
  const a = pool.run("spin", { ms: 50 });
  const b = pool.run("spin", { ms: 1 });
  await rejects(pool.run("square", 2), lib.QueueOverflowError);
  equal(await Promise.all([a, b]), [50, 1]);
  await pool.close();
});

test("ArrayBuffers transfer both ways", async (lib, ctx) => {
  const pool = ctx.pool({ size: 1 });
  const buffer = new Uint8Array(16 << 20).fill(1).buffer;
  const result = await pool.run("bump", { buffer }, { transfer: [buffer] });
  equal(buffer.byteLength, 0, "the sent buffer moved to the worker:");
  const bytes = new Uint8Array(result.buffer);
  equal([bytes.length, bytes[0], bytes[bytes.length - 1]], [16 << 20, 2, 2]);
  await pool.close();
}, { workersOnly: true });

test("close finishes queued work, then refuses new work", async (lib, ctx) => {
  const pool = ctx.pool({ size: 1 });
  const work = [1, 2, 3].map((n) => pool.run("square", n));
  const closed = pool.close();
  await rejects(pool.run("square", 4), lib.PoolClosedError);
  equal(await Promise.all(work), [1, 4, 9]);
  await closed;
});

test("terminate rejects running and queued work at once", async (lib, ctx) => {
  const other = ctx.pool({ size: 1 });
  const pending = [other.run("spin", { ms: 200 }), other.run("square", 2)];
  await tick(20);
  other.terminate();
  for (const p of pending) await rejects(p, lib.PoolClosedError);
}, { workersOnly: true });

test("DataProcessingChannel yields results as they complete, or in order", async (lib, ctx) => {
  const pool = ctx.pool({ size: 2 });
  for (const ordered of [false, true]) {
    const channel = new lib.DataProcessingChannel({ pool, task: "double", maxWorkers: 2, keepAliveMs: 0 });
    const l = channel.addListener();
    for (let n = 1; n <= 6; n += 1) channel.dispatch(l.id, "n", n);
    setTimeout(() => channel.notifyEnd(), 20);
    const results = [];
    for await (const r of channel.process(l.id, { ordered })) results.push(r);
    const payloads = results.map((r) => r.payload);
    equal([...payloads].sort((a, b) => a - b), [2, 4, 6, 8, 10, 12], `ordered ${ordered}:`);
    if (ordered) equal(results.map((r) => seq(r.id)), [1, 2, 3, 4, 5, 6]);
    equal(results[0].type, "n");
  }
  await pool.close();
});

test("ActionListener answers the sender, toggles on start/stop and reports failures", async (lib) => {
  const channel = new lib.Channel({ keepAliveMs: 0 });
  const actor = channel.addActionListener();
  const asker = channel.addListener();
  const unknown = [];
  actor.onUnknown = (m) => unknown.push(m.type);
  actor.setAction("ping", (m) => [new lib.Message("pong", { got: m.payload }), { type: "pong2" }]);
  actor.setAction("boom", () => { throw new TypeError("no"); });
  let refused;
  try { actor.setAction("start", () => {}); } catch (e) { refused = e; }
  ok(refused instanceof lib.InvalidMessageFormatError, "start cannot be an action");
  channel.dispatch(actor.id, "ping", 1, { senderId: asker.id });
  channel.dispatch(actor.id, "mystery", null, { senderId: asker.id });
  channel.dispatch(actor.id, "boom", null, { senderId: asker.id });
  channel.dispatch(actor.id, "stop", null);
  channel.dispatch(actor.id, "ping", 2, { senderId: asker.id });
  await tick(20);
  equal(actor.isRunning, false, "stopped by its message:");
  const replies = [];
  for (;;) { try { replies.push(channel.deliverNext(asker.id)); } catch { break; } }
  equal(replies.map((r) => [r.type, r.payload, r.senderId]), [
    ["pong", { got: 1 }, actor.id], ["pong2", null, actor.id],
    ["_eric_error", { type: "boom", name: "TypeError", message: "no" }, actor.id],
  ]);
  equal(unknown, ["mystery"]);
  channel.dispatch(actor.id, "start", null);
  await tick(20);
  equal([actor.isRunning, channel.deliverNext(asker.id).payload], [true, { got: 2 }], "restarted, then answered:");
});
