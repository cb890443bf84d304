// The package's behaviour, written once and run unchanged under Node's test runner (Node 20 and
// 24), Deno, workerd and a Chromium page. Each test receives the imported package as `lib`.

import { equal, norm, ok, readChunks, readText, rejects, seq, settles, throws, tick } from "./assert.js";
import { backplaneTests, shareTests } from "./backplane.js";
import { hostileTests } from "./hostile.js";

const quiet = { keepAliveMs: 0 };

export const tests = [];
const test = (name, fn) => tests.push({ name, fn });

test("dispatch queues for one listener and deliverNext returns FIFO with rising ids", (lib) => {
  const ch = new lib.Channel(quiet);
  const a = ch.addListener();
  const b = ch.addListener();
  const first = ch.dispatch(a.id, "greet", { n: 1 });
  const second = ch.dispatch(a.id, "greet", "two");
  equal(typeof first, "string");
  ok(seq(second) === seq(first) + 1 && second.split("-")[0] === first.split("-")[0], "ids increase within the epoch");
  equal(ch.deliverNext(a.id), { id: first, type: "greet", payload: { n: 1 } });
  equal(ch.deliverNext(a.id), { id: second, type: "greet", payload: "two" });
  throws(() => ch.deliverNext(b.id), lib.NoMessagesError, "b got nothing:");
});

test("broadcast reaches every listener with the same id", (lib) => {
  const ch = new lib.Channel(quiet);
  const ls = [ch.addListener(), ch.addListener(), ch.addListener()];
  const id = ch.broadcast("news", [1, 2]);
  for (const l of ls) equal(ch.deliverNext(l.id), { id, type: "news", payload: [1, 2] });
});

test("payload defaults to null and survives JSON with line breaks and unicode", (lib) => {
  const ch = new lib.Channel(quiet);
  const a = ch.addListener();
  ch.dispatch(a.id, "t");
  equal(ch.deliverNext(a.id).payload, null);
  const tricky = { s: "a\nb\r\nc\u2028😀\u0000" };
  ch.dispatch(a.id, "t", tricky);
  equal(ch.deliverNext(a.id).payload, tricky);
});

test("payloads whose UTF-8 is far longer than their text cross whole, and maxMessageBytes counts UTF-8 bytes", async (lib) => {
  // Each runtime writes the payload into the core its own way (Buffer where there is one,
  // encodeInto in two steps elsewhere): two-, three- and four-byte characters, short and long.
  const payloads = ["aé€😀", "é".repeat(1000), "€".repeat(700), "😀".repeat(300), `${"x".repeat(5000)}€😀é`];
  const queued = new lib.Channel(quiet);
  const a = queued.addListener();
  const ch = new lib.Channel(quiet);
  const streamed = ch.addListener();
  for (const payload of payloads) {
    queued.dispatch(a.id, "t", payload);
    equal(queued.deliverNext(a.id).payload, payload);
    ch.broadcast("t", { payload });
  }
  ch.notifyEnd();
  const text = (await readChunks(ch.stream(streamed.id))).join("");
  const data = [...text.matchAll(/^data: (.*)$/gm)].map((m) => m[1]).filter((d) => d.startsWith("{"));
  equal(data.map((d) => JSON.parse(d).payload), payloads);
  // 998 three-byte characters and two quotes are 2,996 bytes (fits); 1,000 are 3,002 (does not).
  const small = new lib.Channel({ ...quiet, maxMessageBytes: 3000 });
  const b = small.addListener();
  small.dispatch(b.id, "t", "€".repeat(998));
  throws(() => small.dispatch(b.id, "t", "€".repeat(1000)), lib.PayloadTooLargeError);
  throws(() => small.broadcast("t", "x".repeat(3001)), lib.PayloadTooLargeError);
  equal(small.deliverNext(b.id).payload, "€".repeat(998));
  throws(() => small.deliverNext(b.id), lib.NoMessagesError, "the refused ones queued nothing:");
});

test("a delivery's text reads the same through every consumer, ASCII or not, hooked or not", async (lib) => {
  // The core hands a delivery over as ASCII bytes or as UTF-16 it widened: both, through
  // deliverNext, messages() and a hooked stream (which peeks before its hook).
  const payloads = ["plain", "déjà vu 😀", { long: "€😀é".repeat(200) }, "x".repeat(300)];
  for (const hooked of [false, true]) {
    const ch = new lib.Channel(quiet);
    const [a, b, c] = [ch.addListener(), ch.addListener(), ch.addListener()];
    const seen = [];
    if (hooked) for (const l of [a, b, c]) l.onMessage = (m) => seen.push(m.payload);
    for (const payload of payloads) {
      ch.dispatch(a.id, "t", payload, { senderId: "sender-1" });
      ch.broadcast("t", payload);
    }
    const direct = [ch.deliverNext(a.id), ch.deliverNext(a.id)];
    equal(direct.map((m) => [m.payload, m.senderId]), [[payloads[0], "sender-1"], [payloads[0], undefined]], `hooked ${hooked}:`);
    const it = ch.messages(b.id)[Symbol.asyncIterator]();
    const iterated = [];
    for (let i = 0; i < payloads.length; i += 1) iterated.push((await it.next()).value.payload);
    equal(iterated, payloads, `messages(), hooked ${hooked}:`);
    ch.notifyEnd();
    const text = (await readChunks(ch.stream(c.id))).join("");
    const data = [...text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]));
    equal(data.slice(0, payloads.length), payloads, `stream, hooked ${hooked}:`);
    if (hooked) ok(seen.length >= 2 * payloads.length, `hooks ran: ${seen.length}`);
  }
});

test("errors are exported Error subclasses with their name", (lib) => {
  for (const name of ["NoMessagesError", "InvalidListenerError", "ListenerExistsError", "InvalidChannelError",
    "ChannelExistsError", "InvalidMessageFormatError", "InvalidOptionError", "QueueOverflowError",
    "ChannelClosedError", "MemoryLimitError", "NotFoundError", "MethodNotAllowedError", "PayloadTooLargeError", "UnsupportedMediaTypeError",
    "UnauthorizedError", "ForbiddenError", "LimitExceededError", "ParseError", "ConnectionError",
    "WorkerCrashError", "PoolClosedError", "NotInitializedError"]) {
    const e = new lib[name]("x");
    ok(e instanceof Error && e instanceof lib.EricSseError, `${name} extends Error`);
    equal(e.name, name);
    equal(lib[name].name, name);
    // An app's subclass reads as the class it extends (the hub's JSON and clients match on it).
    const Mine = class extends lib[name] {};
    equal(new Mine("x").name, name);
  }
});

test("unknown listener ids throw InvalidListenerError everywhere", (lib) => {
  const ch = new lib.Channel(quiet);
  for (const call of [
    () => ch.dispatch("nope", "t"), () => ch.deliverNext("nope"), () => ch.removeListener("nope"),
    () => ch.getListener("nope"), () => ch.stream("nope"), () => ch.messages("nope"),
    () => ch.response("nope"), () => ch.dispatch(undefined, "t"),
  ]) throws(call, lib.InvalidListenerError);
});

test("bad messages throw InvalidMessageFormatError and change nothing", (lib) => {
  const ch = new lib.Channel(quiet);
  const a = ch.addListener();
  const cyclic = {};
  cyclic.self = cyclic;
  for (const [type, payload] of [
    ["", 1], [42, 1], [undefined, 1], ["a\nb", 1], ["_eric_channel_closed", 1],
    ["t", cyclic], ["t", 10n], ["t", () => 1], ["t", Symbol("s")],
  ]) {
    throws(() => ch.dispatch(a.id, type, payload), lib.InvalidMessageFormatError, `${String(type)}:`);
    throws(() => ch.broadcast(type, payload), lib.InvalidMessageFormatError, `${String(type)}:`);
  }
  throws(() => ch.deliverNext(a.id), lib.NoMessagesError, "nothing was queued:");
  equal(seq(ch.broadcast("ok", 1)), 1, "refusals consumed no id:");
});

test("Message and SignedMessage instances can be dispatched; senderId signs", (lib) => {
  const ch = new lib.Channel(quiet);
  const a = ch.addListener();
  ch.dispatch(a.id, new lib.Message("m", { x: 1 }));
  ch.dispatch(a.id, new lib.SignedMessage("bob", "s", 2));
  ch.dispatch(a.id, "p", 3, { senderId: "carol" });
  ch.broadcast(new lib.Message("b"));
  const ids = (m) => ({ ...m, id: seq(m.id) });
  equal(ids(ch.deliverNext(a.id)), { id: 1, type: "m", payload: { x: 1 } });
  equal(ids(ch.deliverNext(a.id)), { id: 2, type: "s", payload: 2, senderId: "bob" });
  equal(ch.deliverNext(a.id).senderId, "carol");
  equal(ids(ch.deliverNext(a.id)), { id: 4, type: "b", payload: null });
});

test("listeners: register with an id, refuse duplicates, get and remove", (lib) => {
  const ch = new lib.Channel(quiet);
  const l = new lib.Listener({ id: "alice" });
  equal(ch.registerListener(l), l);
  equal(ch.getListener("alice"), l);
  const taken = throws(() => ch.registerListener(new lib.Listener({ id: "alice" })), lib.ListenerExistsError);
  ok(taken instanceof lib.InvalidListenerError, "ListenerExistsError is an InvalidListenerError");
  throws(() => ch.registerListener(l), lib.InvalidListenerError, "already registered:");
  throws(() => new lib.Channel(quiet).registerListener(l), lib.InvalidListenerError, "other channel:");
  throws(() => ch.registerListener({ id: "x" }), lib.InvalidListenerError, "plain object:");
  equal(ch.listenerIds(), ["alice"]);
  ch.removeListener("alice");
  throws(() => ch.getListener("alice"), lib.InvalidListenerError);
  ch.registerListener(l);
  equal(ch.getListener("alice"), l, "a removed listener can be registered again:");
});

test("start and stop toggle isRunning; a stopped listener's iterator waits", async (lib) => {
  const ch = new lib.Channel(quiet);
  const l = ch.addListener();
  equal(l.isRunning, true);
  l.stop();
  equal(l.isRunning, false);
  ch.dispatch(l.id, "t", 1);
  const it = ch.messages(l.id)[Symbol.asyncIterator]();
  let got = null;
  const pending = it.next().then((r) => (got = r));
  await tick(20);
  equal(got, null, "nothing delivered while stopped:");
  l.start();
  await pending;
  equal(got.value.payload, 1);
});

test("messages() waits without polling, then ends on notifyEnd", async (lib) => {
  const ch = new lib.Channel(quiet);
  const l = ch.addListener();
  const seen = [];
  const done = (async () => {
    for await (const m of ch.messages(l.id)) seen.push(m.payload);
  })();
  await tick(5);
  ch.dispatch(l.id, "t", 1);
  ch.broadcast("t", 2);
  await tick(5);
  ch.broadcast("t", 3);
  ch.notifyEnd();
  await done;
  equal(seen, [1, 2, 3]);
});

test("messages() ends on removeListener and on abort", async (lib) => {
  const ch = new lib.Channel(quiet);
  const a = ch.addListener();
  const b = ch.addListener();
  const controller = new AbortController();
  const endA = (async () => { for await (const _ of ch.messages(a.id)) { /* none */ } return "a"; })();
  const endB = (async () => {
    for await (const _ of ch.messages(b.id, { signal: controller.signal })) { /* none */ }
    return "b";
  })();
  await tick(5);
  ch.removeListener(a.id);
  controller.abort();
  equal(await endA, "a");
  equal(await endB, "b");
  equal(ch.listenerIds(), [b.id], "abort ends iteration but keeps the listener:");
});

test("stream() starts with retry and frames id, event and JSON data", async (lib) => {
  const ch = new lib.Channel({ ...quiet, retryMs: 2500 });
  const l = ch.addListener();
  ch.dispatch(l.id, "hello", { text: "a\nb" });
  ch.notifyEnd();
  const text = norm((await readChunks(ch.stream(l.id))).join(""));
  equal(text,
    'retry: 2500\n\nid: 1\nevent: hello\ndata: {"text":"a\\nb"}\n\nevent: _eric_channel_closed\ndata: null\n\n');
});

test("several pending frames come out in one chunk", async (lib) => {
  const ch = new lib.Channel(quiet);
  const l = ch.addListener();
  const reader = ch.stream(l.id).getReader();
  equal(await readText(reader), "retry: 5000\n\n");
  for (let i = 0; i < 5; i += 1) ch.broadcast("n", i);
  const chunk = await readText(reader);
  equal(chunk.split("event: n").length - 1, 5, "all five frames in one read:");
  await reader.cancel();
});

test("a waiting stream wakes on dispatch", async (lib) => {
  const ch = new lib.Channel(quiet);
  const l = ch.addListener();
  const reader = ch.stream(l.id).getReader();
  await readText(reader);
  const next = readText(reader);
  await tick(5);
  ch.dispatch(l.id, "late", 7);
  equal(norm(await next), "id: 1\nevent: late\ndata: 7\n\n");
  await reader.cancel();
});

test("a reader that pauses after shared chunks and resumes gets the rest in one read, nothing lost", async (lib) => {
  // Shared chunks go only to readers that asked: a reader that stops asking is held in the
  // core's bounded queue, not in its Web stream.
  const ch = new lib.Channel(quiet);
  const [a, b] = [ch.addListener(), ch.addListener()];
  const [ra, rb] = [ch.stream(a.id).getReader(), ch.stream(b.id).getReader()];
  equal(await readText(ra), "retry: 5000\n\n");
  equal(await readText(rb), "retry: 5000\n\n");
  const nextA = readText(ra);
  const nextB = readText(rb);
  await tick();
  ch.broadcast("n", 1);
  equal(norm(await nextA), "id: 1\nevent: n\ndata: 1\n\n");
  equal(norm(await nextB), "id: 1\nevent: n\ndata: 1\n\n");
  // b keeps reading; a asks once more, gets broadcast 2, then pauses.
  const twoA = readText(ra);
  let bText = "";
  const bReads = (async () => {
    for (;;) {
      const text = await readText(rb);
      bText += text ?? "";
      if (text === null || bText.includes("data: 9\n")) return;
    }
  })();
  await tick();
  ch.broadcast("n", 2);
  equal(norm(await twoA), "id: 2\nevent: n\ndata: 2\n\n");
  for (let i = 3; i <= 9; i += 1) {
    ch.broadcast("n", i);
    await tick();
  }
  await bReads;
  equal(norm(bText).match(/data: \d+/g)?.join(","), "data: 2,data: 3,data: 4,data: 5,data: 6,data: 7,data: 8,data: 9");
  equal(ch.getListener(a.id).id, a.id);
  const resumed = norm(await Promise.race([readText(ra), tick(1000).then(() => "nothing came")]));
  equal(resumed.match(/data: \d+/g)?.join(","), "data: 3,data: 4,data: 5,data: 6,data: 7,data: 8,data: 9",
    "the paused reader's first read holds everything since (nothing was parked in its stream):");
  await ra.cancel();
  await rb.cancel();
});

test("a reader that asks again after a shared chunk gets what came in between", async (lib) => {
  const ch = new lib.Channel(quiet);
  const [a, b] = [ch.addListener(), ch.addListener()];
  const [ra, rb] = [ch.stream(a.id).getReader(), ch.stream(b.id).getReader()];
  await readText(ra);
  await readText(rb);
  const nextA = readText(ra);
  const nextB = readText(rb);
  await tick();
  ch.broadcast("n", 1);
  await nextA;
  await nextB;
  // Neither reader has asked again: the message only queues.
  ch.broadcast("n", 2);
  ch.dispatch(a.id, "only-a", 3);
  const stranded = tick(1000).then(() => "nothing came");
  equal(norm(await Promise.race([readText(ra), stranded])), "id: 2\nevent: n\ndata: 2\n\nid: 3\nevent: only-a\ndata: 3\n\n");
  equal(norm(await Promise.race([readText(rb), stranded])), "id: 2\nevent: n\ndata: 2\n\n");
  const later = readText(ra);
  await tick();
  ch.notifyEnd();
  equal(norm(await Promise.race([later, stranded])), "event: _eric_channel_closed\ndata: null\n\n");
  await rb.cancel();
});

test("keep-alives still go out after a run of shared chunks", async (lib) => {
  const ch = new lib.Channel({ keepAliveMs: 60, firstKeepAliveMs: 0 });
  const ls = [ch.addListener(), ch.addListener()];
  const readers = ls.map((l) => ch.stream(l.id).getReader());
  for (const r of readers) await readText(r);
  for (let i = 1; i <= 3; i += 1) {
    const reads = readers.map((r) => readText(r));
    await tick();
    ch.broadcast("n", i);
    for (const text of await Promise.all(reads)) equal(norm(text), `id: ${i}\nevent: n\ndata: ${i}\n\n`);
  }
  for (const text of await Promise.all(readers.map((r) => readText(r)))) equal(text, ": keep-alive\n\n");
  for (const r of readers) await r.cancel();
});

test("cancelling a stream removes its listener", async (lib) => {
  const ch = new lib.Channel(quiet);
  const l = ch.addListener();
  const reader = ch.stream(l.id).getReader();
  await readText(reader);
  await reader.cancel();
  throws(() => ch.getListener(l.id), lib.InvalidListenerError);
  equal(seq(ch.broadcast("t", 1)), 1, "broadcast after the client left still works:");
});

test("aborting a stream's signal closes it and removes the listener", async (lib) => {
  const ch = new lib.Channel(quiet);
  const l = ch.addListener();
  const controller = new AbortController();
  const all = readChunks(ch.stream(l.id, { signal: controller.signal }));
  await tick(5);
  controller.abort();
  equal((await all).join(""), "retry: 5000\n\n");
  throws(() => ch.getListener(l.id), lib.InvalidListenerError);
});

test("aborting with no read pending still removes the listener at once", async (lib) => {
  const ch = new lib.Channel(quiet);
  const l = ch.addListener();
  const controller = new AbortController();
  const stream = ch.stream(l.id, { signal: controller.signal });
  controller.abort();
  throws(() => ch.getListener(l.id), lib.InvalidListenerError);
  equal((await readChunks(stream)).join(""), "retry: 5000\n\n", "the stream still yields its start, then ends:");
});

test("huge types, sender ids, listener ids and Last-Event-IDs are refused before they reach the core's memory", async (lib) => {
  const ch = new lib.Channel({ keepAliveMs: 0 });
  const l = ch.addListener();
  const before = lib.memoryUsage().wasmBytes;
  const huge = "€".repeat(4 << 20);
  throws(() => ch.broadcast(huge, 1), lib.InvalidMessageFormatError);
  throws(() => ch.dispatch(l.id, huge, 1), lib.InvalidMessageFormatError);
  throws(() => ch.dispatch(l.id, "t", 1, { senderId: huge }), lib.InvalidMessageFormatError);
  throws(() => ch.registerListener(new lib.Listener({ id: huge })), lib.InvalidListenerError);
  throws(() => new lib.Channel({ id: huge }), lib.InvalidOptionError);
  const stream = ch.stream(l.id, { lastEventId: huge });
  const grown = lib.memoryUsage().wasmBytes - before;
  ok(grown < (1 << 20), `the core's memory grew by ${grown} bytes`);
  const id = ch.broadcast("t", 1);
  ch.notifyEnd();
  const text = (await readChunks(stream)).join("");
  ok(text.includes("_eric_replay_gap") && text.includes(`id: ${id}`), text);
});

test("a hook that removes its own listener: the stream ends with what the hook saw, as messages() does", async (lib) => {
  for (const viaStream of [true, false]) {
    const ch = new lib.Channel({ keepAliveMs: 0 });
    const l = ch.addListener();
    const seen = [];
    l.onMessage = (m) => {
      seen.push(m.payload);
      if (m.payload === 2) ch.removeListener(l.id);
    };
    for (let n = 1; n <= 3; n += 1) ch.broadcast("n", n);
    let got;
    if (viaStream) {
      const text = (await readChunks(ch.stream(l.id))).join("");
      got = [...text.matchAll(/data: (\d)/g)].map((m) => Number(m[1]));
    } else {
      got = [];
      for await (const m of ch.messages(l.id)) got.push(m.payload);
    }
    equal([viaStream, seen, got, ch.hasListener(l.id)], [viaStream, [1, 2], [1, 2], false]);
  }
});

test("notifyEnd ends a stopped listener's stream and iterator when nothing is left for it", async (lib) => {
  const ch = new lib.Channel({ keepAliveMs: 0 });
  const a = ch.addListener();
  const b = ch.addListener();
  a.stop();
  b.stop();
  const stream = ch.stream(a.id);
  const iterated = (async () => {
    const got = [];
    for await (const m of ch.messages(b.id)) got.push(m);
    return got;
  })();
  await tick();
  ch.notifyEnd();
  const text = (await readChunks(stream)).join("");
  ok(text.endsWith("event: _eric_channel_closed\ndata: null\n\n"), text);
  equal(await iterated, []);
  equal(ch.hasListener(a.id), false, "its stream ended: the listener is gone, as a running one's is");
});

test("isRunning keeps the last start() or stop() after the listener leaves its channel", async (lib) => {
  const ch = new lib.Channel({ keepAliveMs: 0 });
  const started = new lib.Listener();
  started.stop();
  ch.registerListener(started);
  started.start();
  ch.removeListener(started.id);
  equal(started.isRunning, true, "started while registered, then removed:");
  const stopped = ch.addListener();
  const stream = ch.stream(stopped.id);
  stopped.stop();
  await stream.cancel();
  equal([ch.hasListener(stopped.id), stopped.isRunning], [false, false], "stopped, then its client left:");
  ch.registerListener(stopped);
  equal(stopped.isRunning, false, "registered again, it is still stopped:");
});

test("a listener has at most one open stream", async (lib) => {
  const ch = new lib.Channel(quiet);
  const l = ch.addListener();
  const s = ch.stream(l.id);
  throws(() => ch.stream(l.id), lib.InvalidListenerError);
  await s.cancel();
});

test("lastEventId replays the history after it, without duplicates", async (lib) => {
  const ch = new lib.Channel(quiet);
  const l = ch.addListener();
  const other = ch.addListener();
  const sent = [];
  for (let i = 1; i <= 4; i += 1) sent.push(ch.broadcast("n", i));
  ch.dispatch(other.id, "private", 0);
  ch.dispatch(l.id, "mine", 5);
  for (;;) { try { ch.deliverNext(l.id); } catch { break; } }
  ch.notifyEnd();
  const text = norm((await readChunks(ch.stream(l.id, { lastEventId: sent[1] }))).join(""));
  equal(text, "retry: 5000\n\nid: 3\nevent: n\ndata: 3\n\nid: 4\nevent: n\ndata: 4\n\n" +
    "id: 6\nevent: mine\ndata: 5\n\nevent: _eric_channel_closed\ndata: null\n\n");
});

test("lastEventId outside the history replays what is kept after a gap notice", async (lib) => {
  const ch = new lib.Channel({ ...quiet, historySize: 2 });
  const l = ch.addListener();
  const sent = [];
  for (let i = 1; i <= 4; i += 1) { sent.push(ch.broadcast("n", i)); ch.deliverNext(l.id); }
  ch.notifyEnd();
  const text = norm((await readChunks(ch.stream(l.id, { lastEventId: sent[0] }))).join(""));
  ok(text.startsWith('retry: 5000\n\nevent: _eric_replay_gap\ndata: {"oldestId":"3"}\n\nid: 3\n'), text);
  const other = new lib.Channel(quiet);
  const m = other.addListener();
  throws(() => other.stream(m.id, { lastEventId: 5 }), lib.InvalidOptionError, "a non-string lastEventId:");
  equal(other.getListener(m.id), m, "a refused stream() leaves the listener:");
});

test("response() carries SSE headers and honours the request's Last-Event-ID", async (lib) => {
  const ch = new lib.Channel(quiet);
  const l = ch.addListener();
  const first = ch.broadcast("n", 1);
  ch.broadcast("n", 2);
  ch.deliverNext(l.id);
  ch.deliverNext(l.id);
  ch.notifyEnd();
  const request = new Request("http://127.0.0.1/events", { headers: { "Last-Event-ID": first } });
  const res = ch.response(l.id, { request, headers: { "x-extra": "1" } });
  equal(res.status, 200);
  equal(res.headers.get("content-type"), "text/event-stream");
  equal(res.headers.get("cache-control"), "no-cache");
  equal(res.headers.get("x-accel-buffering"), "no", "proxies are told not to buffer:");
  equal(res.headers.get("x-extra"), "1");
  const body = norm(await res.text());
  ok(body.includes("id: 2\n") && !body.includes("id: 1\n"), body);
});

test("a keep-alive comment goes out after keepAliveMs of silence", async (lib) => {
  const ch = new lib.Channel({ keepAliveMs: 30 });
  const l = ch.addListener();
  const reader = ch.stream(l.id).getReader();
  await readText(reader);
  equal(await readText(reader), ": keep-alive\n\n");
  ch.broadcast("t", 1);
  equal(norm(await readText(reader)), "id: 1\nevent: t\ndata: 1\n\n");
  await reader.cancel();
});

test("keep-alives keep their cadence when the wall clock is set back", async (lib) => {
  // Timers run on a monotonic clock: with Date.now, a clock set back an hour held every
  // keep-alive for that hour (and a proxy would drop the idle connection).
  const ch = new lib.Channel({ keepAliveMs: 30 });
  const l = ch.addListener();
  const reader = ch.stream(l.id).getReader();
  await readText(reader);
  const wall = Date.now;
  Date.now = () => wall.call(Date) - 3_600_000;
  try {
    for (let i = 0; i < 2; i += 1) equal(await settles(readText(reader), 3000, "a keep-alive"), ": keep-alive\n\n");
  } finally {
    Date.now = wall;
    await reader.cancel();
  }
});

test("streamDelayMs spaces deliveries one frame at a time", async (lib) => {
  const ch = new lib.Channel({ ...quiet, streamDelayMs: 40 });
  const l = ch.addListener();
  for (let i = 0; i < 3; i += 1) ch.broadcast("t", i);
  ch.notifyEnd();
  const started = Date.now();
  const chunks = await readChunks(ch.stream(l.id));
  const frames = chunks.filter((c) => c.includes("event: t"));
  equal(frames.length, 3, "one message per chunk:");
  ok(Date.now() - started >= 75, "at least two delays elapsed");
});

test("notifyEnd delivers what is queued, ends streams and refuses new messages", async (lib) => {
  const ch = new lib.Channel(quiet);
  const l = ch.addListener();
  const all = readChunks(ch.stream(l.id));
  ch.broadcast("t", 1);
  ch.notifyEnd();
  equal(ch.ended, true);
  const text = norm((await all).join(""));
  ok(text.endsWith("id: 1\nevent: t\ndata: 1\n\nevent: _eric_channel_closed\ndata: null\n\n"), text);
  throws(() => ch.broadcast("t", 2), lib.ChannelClosedError);
  const m = ch.addListener();
  throws(() => ch.dispatch(m.id, "t", 2), lib.ChannelClosedError);
});

test("onMessage runs at delivery, not at dispatch", (lib) => {
  const ch = new lib.Channel(quiet);
  const l = ch.addListener();
  const seen = [];
  l.onMessage = (m) => seen.push(m.type);
  ch.dispatch(l.id, "a");
  equal(seen, [], "not at dispatch:");
  ch.deliverNext(l.id);
  equal(seen, ["a"]);
});

test("a throwing onMessage loses nothing and its error reaches the consumer", async (lib) => {
  const ch = new lib.Channel(quiet);
  const l = ch.addListener();
  const boom = new Error("boom");
  l.onMessage = () => { throw boom; };
  ch.dispatch(l.id, "a", 1);
  let caught;
  try { ch.deliverNext(l.id); } catch (e) { caught = e; }
  equal(caught, boom);
  const it = ch.messages(l.id)[Symbol.asyncIterator]();
  await it.next().then(() => { throw new Error("should reject"); }, (e) => equal(e, boom));
  l.onMessage = undefined;
  equal(ch.deliverNext(l.id).payload, 1, "still queued:");
});

test("a throwing onMessage errors the stream after the frames before it", async (lib) => {
  const ch = new lib.Channel(quiet);
  const l = ch.addListener();
  l.onMessage = (m) => { if (m.payload === 2) throw new RangeError("bad 2"); };
  ch.broadcast("t", 1);
  ch.broadcast("t", 2);
  const reader = ch.stream(l.id).getReader();
  const first = await readText(reader);
  ok(first.includes("data: 1\n") && !first.includes("data: 2\n"), first);
  await rejects(reader.read(), RangeError);
  l.onMessage = undefined;
  equal(ch.deliverNext(l.id).payload, 2, "the refused message is still queued:");
});

test("an onMessage hook that broadcasts into its own full drop-oldest queue loses nothing it saw", async (lib) => {
  // The message a hook runs for is in delivery: the hook's broadcast neither counts it against
  // maxQueue nor drops it (it used to be dropped and reported after the hook had seen it).
  for (const via of ["stream", "messages", "deliverNext"]) {
    const ch = new lib.Channel({ ...quiet, maxQueue: 2, overflow: "drop-oldest" });
    const l = ch.addListener();
    const seen = [];
    l.onMessage = (m) => {
      seen.push(m.payload);
      if (m.payload === 1) ch.broadcast("t", 99);
    };
    ch.broadcast("t", 1);
    ch.broadcast("t", 2);
    let got = [];
    if (via === "stream") {
      const reader = ch.stream(l.id).getReader();
      let text = "";
      for (let reads = 0; reads < 10 && !text.includes("data: 99\n"); reads += 1) text += await readText(reader);
      await reader.cancel();
      got = [...text.matchAll(/^data: (.*)$/gm)].map((m) => JSON.parse(m[1]));
    } else if (via === "messages") {
      const it = ch.messages(l.id)[Symbol.asyncIterator]();
      for (let i = 0; i < 3; i += 1) got.push((await it.next()).value.payload);
    } else {
      for (let i = 0; i < 3; i += 1) got.push(ch.deliverNext(l.id).payload);
    }
    equal(got, [1, 2, 99], `${via}:`);
    equal(seen, [1, 2, 99], `${via}, hooked:`);
  }
});

test("overflow 'disconnect' ends the slow listener's stream with a notice", async (lib) => {
  const ch = new lib.Channel({ ...quiet, maxQueue: 2 });
  const slow = ch.addListener();
  const fast = ch.addListener();
  for (let i = 1; i <= 3; i += 1) { ch.broadcast("t", i); ch.deliverNext(fast.id); }
  throws(() => ch.dispatch(slow.id, "t", 4), lib.QueueOverflowError);
  const text = (await readChunks(ch.stream(slow.id))).join("");
  ok(text.includes("data: 2\n") && text.endsWith('event: _eric_overflow\ndata: {"maxQueue":2}\n\n'), text);
  throws(() => ch.getListener(slow.id), lib.InvalidListenerError, "disconnected and removed:");
  equal(ch.getListener(fast.id), fast);
});

test("overflow 'disconnect' closes a drained listener's stream the same with an onMessage hook", async (lib) => {
  for (const hooked of [false, true]) {
    const ch = new lib.Channel({ ...quiet, maxQueue: 1 });
    const l = ch.addListener();
    ch.broadcast("t", 1);
    ch.broadcast("t", 2);
    ch.deliverNext(l.id);
    if (hooked) l.onMessage = () => {};
    equal((await readChunks(ch.stream(l.id))).join(""),
      'retry: 5000\n\nevent: _eric_overflow\ndata: {"maxQueue":1}\n\n', `hooked ${hooked}:`);
  }
});

test("overflow 'disconnect' makes deliverNext and messages() throw once drained", async (lib) => {
  const ch = new lib.Channel({ ...quiet, maxQueue: 1 });
  const l = ch.addListener();
  ch.broadcast("t", 1);
  ch.broadcast("t", 2);
  equal(ch.deliverNext(l.id).payload, 1);
  throws(() => ch.deliverNext(l.id), lib.QueueOverflowError);
  await rejects(ch.messages(l.id)[Symbol.asyncIterator]().next(), lib.QueueOverflowError);
});

test("overflow 'drop-oldest' tells the listener how many it lost", (lib) => {
  const ch = new lib.Channel({ ...quiet, maxQueue: 2, overflow: "drop-oldest" });
  const l = ch.addListener();
  for (let i = 1; i <= 5; i += 1) ch.broadcast("t", i);
  equal(ch.deliverNext(l.id), { id: null, type: "_eric_dropped", payload: { dropped: 3 } });
  equal(ch.deliverNext(l.id).payload, 4);
  equal(ch.deliverNext(l.id).payload, 5);
});

test("overflow 'error' refuses the message for everyone", (lib) => {
  const ch = new lib.Channel({ ...quiet, maxQueue: 1, overflow: "error" });
  const a = ch.addListener();
  const b = ch.addListener();
  ch.dispatch(a.id, "t", 1);
  throws(() => ch.broadcast("t", 2), lib.QueueOverflowError);
  throws(() => ch.deliverNext(b.id), lib.NoMessagesError, "b got nothing:");
  throws(() => ch.dispatch(a.id, "t", 3), lib.QueueOverflowError);
});

test("bad options are refused with a clear error", (lib) => {
  for (const options of [{ overflow: "drop" }, { overflow: "toString" }, { maxQueue: -1 }, { maxQueue: 0 },
    { retryMs: 1.5 }, { retryMs: "5" }, { keepAliveMs: Infinity }, { historySize: NaN }, { id: 3 }, { id: "" },
    { id: "has space" }, null]) {
    throws(() => new lib.Channel(options), lib.InvalidOptionError, JSON.stringify(options));
  }
  const ch = new lib.Channel({ id: "named", maxQueue: Infinity });
  equal(ch.id, "named");
  equal(ch.options.overflow, "disconnect");
  equal(ch.options.retryMs, 5000);
});

test("encode() writes spec frames and refuses injection", (lib) => {
  equal(lib.encode({ event: "e", data: "a\r\nb\rc\nd", id: "7", retry: 10, comment: "x\ny" }),
    ": x\n: y\nretry: 10\nid: 7\nevent: e\ndata: a\ndata: b\ndata: c\ndata: d\n\n");
  equal(lib.encode({ data: "" }), "data: \n\n");
  for (const bad of [{ event: "a\nb" }, { id: "a\rb" }, { id: "a\0b" }, { retry: 1.5 },
    { retry: -1 }, { data: 5 }, { event: {} }]) {
    throws(() => lib.encode(bad), lib.InvalidMessageFormatError, JSON.stringify(bad));
  }
  throws(() => lib.encode(null), lib.InvalidMessageFormatError);
});

// ---- the SSE parser (createParser, SseParserStream) ----

const utf8 = new TextEncoder();

function parseAll(lib, input, cuts, options = {}) {
  const out = [];
  const parser = lib.createParser({
    onEvent: (e) => out.push(["event", e.type, e.data, e.lastEventId]),
    onRetry: (ms) => out.push(["retry", ms]),
    onComment: (c) => out.push(["comment", c]),
    ...options,
  });
  let start = 0;
  for (const cut of [...cuts, input.length]) {
    parser.feed(input.subarray ? input.subarray(start, cut) : input.slice(start, cut));
    start = cut;
  }
  return out;
}

test("createParser reads events, retries and comments whole and byte by byte", (lib) => {
  const text = "\uFEFF: hi\nretry: 250\nid: 7\nevent: E\ndata: a\u2028b\r\ndata:  c😀\r\rdata: next\n\n";
  const expected = [["comment", "hi"], ["retry", 250], ["event", "E", "a\u2028b\n c😀", "7"],
    ["event", "message", "next", "7"]];
  const bytes = utf8.encode(text);
  equal(parseAll(lib, bytes, []), expected, "whole:");
  equal(parseAll(lib, bytes, [...bytes.keys()].slice(1)), expected, "1-byte chunks:");
  equal(parseAll(lib, text, [...text.split("").keys()].slice(1)), expected, "string chunks:");
});

test("createParser round-trips encode() over random chunkings", (lib) => {
  let seed = 7;
  const random = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  const pieces = ["a", " ", ":", "\r", "\n", "\r\n", "\0", "\u2028", "😀", "é", "E", "R", "C", "X"];
  const pick = (allow) => Array.from({ length: random(6) }, () => pieces.filter(allow)[random(pieces.filter(allow).length)]).join("");
  for (let round = 0; round < 300; round += 1) {
    const event = pick((p) => !/[\r\n]/.test(p));
    const id = pick((p) => !/[\r\n\0]/.test(p));
    const data = pick(() => true);
    const bytes = utf8.encode(`: start\n${lib.encode({ event, id, data })}`);
    const cuts = Array.from({ length: random(5) }, () => random(bytes.length + 1)).sort((a, b) => a - b);
    equal(parseAll(lib, bytes, cuts),
      [["comment", "start"], ["event", event || "message", data.replace(/\r\n?/g, "\n"), id]],
      JSON.stringify({ event, id, data, cuts }));
  }
});

test("createParser reports lines over maxLineBytes", (lib) => {
  const errors = [];
  const out = parseAll(lib, "data: 0123456789\ndata: ok\n\n", [], { maxLineBytes: 8, onError: (e) => errors.push(e) });
  equal(out, [["event", "message", "ok", ""]]);
  ok(errors.length === 1 && errors[0] instanceof lib.ParseError && errors[0].name === "ParseError", "one ParseError");
  const seen = [];
  const parser = lib.createParser({ onEvent: (e) => seen.push(e.data), maxLineBytes: 8 });
  throws(() => parser.feed("data: 0123456789\ndata: ok\n\n"), lib.ParseError, "without onError:");
  equal(seen, ["ok"], "the rest of the chunk was still delivered:");
});

test("a handler that feeds parsers, this one too, leaves the rest of its chunk intact", (lib) => {
  const chunk = (tag, n) => utf8.encode(Array.from({ length: n }, (_, i) => `data: ${tag}${i}\n\n`).join(""));
  const outer = [];
  const inner = [];
  const other = lib.createParser({ onEvent: (e) => inner.push(e.data) });
  const parser = lib.createParser({
    onEvent: (e) => {
      outer.push(e.data);
      // Another parser, then this one, fed from inside a delivery.
      if (e.data === "a1") other.feed(chunk("longer b", 50));
      if (e.data === "a2") parser.feed(chunk("longer c", 3));
    },
  });
  parser.feed(chunk("a", 50));
  const as = Array.from({ length: 50 }, (_, i) => `a${i}`);
  equal(outer, [...as.slice(0, 3), "longer c0", "longer c1", "longer c2", ...as.slice(3)]);
  equal(inner, Array.from({ length: 50 }, (_, i) => `longer b${i}`));
});

test("createParser refuses bad arguments and reset() starts a new stream", (lib) => {
  throws(() => lib.createParser({}), TypeError);
  throws(() => lib.createParser({ onEvent() {}, maxLineBytes: -1 }), lib.InvalidOptionError);
  const seen = [];
  const parser = lib.createParser({ onEvent: (e) => seen.push([e.data, e.lastEventId]), lastEventId: "5" });
  throws(() => parser.feed(42), TypeError);
  parser.feed("data: half");
  parser.reset();
  parser.feed("\uFEFFdata: whole\n\n");
  equal(seen, [["whole", "5"]]);
  equal(parser.lastEventId, "5");
});

test("SseParserStream turns a channel's SSE bytes back into events", async (lib) => {
  const ch = new lib.Channel(quiet);
  const l = ch.addListener();
  ch.dispatch(l.id, "greet", { hi: "there" });
  ch.broadcast("list", [1, 2]);
  ch.notifyEnd();
  const retries = [];
  const events = [];
  for await (const e of ch.stream(l.id).pipeThrough(new lib.SseParserStream({ onRetry: (ms) => retries.push(ms) }))) {
    events.push(e);
  }
  equal(retries, [5000]);
  equal(events.map((e) => ({ ...e, lastEventId: seq(e.lastEventId) })), [
    { type: "greet", data: '{"hi":"there"}', lastEventId: 1 },
    { type: "list", data: "[1,2]", lastEventId: 2 },
    { type: "_eric_channel_closed", data: "null", lastEventId: 2 },
  ]);
});

test("SseParserStream is a TransformStream, and so is a subclass's instance", async (lib) => {
  // It reaches TransformStream through a base that looks the global up when one is first made.
  class Counting extends lib.SseParserStream {
    constructor() {
      super({ onComment: () => { this.comments += 1; } });
      this.comments = 0;
    }
  }
  const plain = new lib.SseParserStream();
  ok(plain instanceof TransformStream && plain instanceof lib.SseParserStream, "instanceof TransformStream and SseParserStream");
  ok(lib.SseParserStream.prototype instanceof TransformStream, "the prototype chain reaches TransformStream");
  equal(Object.prototype.toString.call(plain), "[object TransformStream]");
  const counting = new Counting();
  ok(counting instanceof Counting && counting instanceof lib.SseParserStream && counting instanceof TransformStream, "a subclass's instance");
  const body = new Response(": one\n: two\ndata: x\n\n").body;
  const out = body.pipeThrough(counting);
  ok(out === counting.readable && counting.writable.locked, "pipeThrough takes its readable and writable");
  const events = [];
  for await (const e of out) events.push(e.data);
  equal([events, counting.comments], [["x"], 2]);
});

tests.push(...hostileTests);

/** The backplane contract against the reference engine, in-process. */
const memory = (lib) => ({
  make: () => lib.memoryBackplane({ maxLen: 5 }),
  down: (backplane) => backplane.setUp(false),
  up: (backplane) => backplane.setUp(true),
  lose: (backplane, channel) => backplane.lose(channel),
  window: 5,
});
tests.push(...backplaneTests.map(({ name, fn }) => ({ name: `backplane (memory): ${name}`, fn: (lib) => fn(lib, memory(lib)) })));
tests.push(...shareTests.map(({ name, fn }) => ({ name: `backplane (BroadcastChannel): ${name}`, fn })));
