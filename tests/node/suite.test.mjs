// Runs the shared behaviour suite under Node's test runner, importing the package by its name
// (the "node" export condition), and the client tests against the real SSE test server whose
// URL scripts/test.mjs passes in SSE_TEST_SERVER. Run under Node 20 and Node 24.
import { test } from "node:test";
import * as lib from "eric-sse";
import { examplePolicy } from "../../examples/policy.js";
import { clientTests } from "../behaviour/client.js";
import { attackTests } from "../behaviour/attack.js";
import { hubTests } from "../behaviour/hub.js";
import { tests } from "../behaviour/suite.js";

const ctx = { server: process.env.SSE_TEST_SERVER, deadUrl: process.env.SSE_DEAD_URL };

for (const { name, fn } of tests) test(name, () => fn(lib));
const skip = ctx.server ? false : "SSE_TEST_SERVER is not set (scripts/test.mjs starts the server)";
for (const { name, fn } of clientTests) test(`client: ${name}`, { skip }, () => fn(lib, ctx));

const hub = lib.createHub(examplePolicy("test-token"));
const hubCtx = { request: (path, init) => hub.fetch(new Request(`http://hub.test${path}`, init)) };
for (const { name, fn } of hubTests) test(`hub: ${name}`, () => fn(hubCtx));
for (const { name, fn } of attackTests) test(`hub attack: ${name}`, () => fn(hubCtx));

test("hub: the command decoder serves a MessagePort, streams included", async () => {
  const ports = lib.createHub();
  const { port1, port2 } = new MessageChannel();
  const stop = ports.connectPort(port1);
  const replies = [];
  const waiting = new Map();
  const done = new Promise((resolve) => {
    port2.onmessage = ({ data }) => {
      replies.push(data);
      if (data.end) resolve();
      if ((data.reply || data.error) && waiting.has(data.id)) waiting.get(data.id)(data);
    };
  });
  const ask = (command) => new Promise((resolve) => {
    waiting.set(command.id, resolve);
    port2.postMessage(command);
  });
  const { reply: { c } } = await ask({ id: 1, v: "c" });
  const watching = await ask({ id: 2, v: "w", c });
  if (typeof watching.reply.r !== "string") throw new Error(JSON.stringify(watching));
  const sent = await ask({ id: 3, v: "b", c, t: "hello", p: { x: 1 } });
  const bad = await ask({ id: 4, v: "nope" });
  await ask({ id: 5, v: "rc", c });
  await done;
  stop();
  port1.close();
  const streamed = replies.filter((r) => r.id === 2 && r.message).map((r) => r.message);
  const expected = [{ id: sent.reply.id, type: "hello", payload: { x: 1 } }];
  if (JSON.stringify([sent.reply, bad.error.name, streamed]) !== JSON.stringify([{ ack: true, id: sent.reply.id }, "InvalidMessageFormatError", expected])) {
    throw new Error(JSON.stringify(replies));
  }
});

test("the package name resolves to the node entry (no init call needed)", () => {
  const resolved = import.meta.resolve("eric-sse");
  if (!resolved.endsWith("/dist/node.js")) throw new Error(`resolved to ${resolved}`);
});

const tasksUrl = new URL("../workers/tasks.js", import.meta.url);
const { poolTests } = await import("../behaviour/pool.js");
const poolCtx = { inline: false, pool: (options) => new lib.WorkerPool(tasksUrl, options) };
for (const { name, fn } of poolTests) test(`pool: ${name}`, () => fn(lib, poolCtx));
const { tasks } = await import("../workers/tasks.js");
const inlineCtx = { inline: true, pool: (options) => new lib.WorkerPool(tasks, options) };
for (const { name, fn, workersOnly } of poolTests) {
  test(`pool inline: ${name}`, { skip: workersOnly && "needs real workers" }, () => fn(lib, inlineCtx));
}
