// Runs the shared behaviour suite under Bun's test runner (`bun test`), importing the package by
// its name (Bun matches the "node" export condition, so the .wasm loads on import), plus the
// client tests against the real SSE test server (SSE_TEST_SERVER), the hub protocol tests and
// the pool tests on Bun's Web Workers and inline.
import { expect, test } from "bun:test";
import * as lib from "eric-sse";
import { examplePolicy } from "../../examples/policy.js";
import { clientTests } from "../behaviour/client.js";
import { hubTests } from "../behaviour/hub.js";
import { poolTests } from "../behaviour/pool.js";
import { tests } from "../behaviour/suite.js";
import { tasks } from "../workers/tasks.js";

const ctx = { server: process.env.SSE_TEST_SERVER, deadUrl: process.env.SSE_DEAD_URL };

const timeout = 60_000;
for (const { name, fn } of tests) test(name, () => fn(lib), timeout);
for (const { name, fn } of clientTests) test.skipIf(!ctx.server)(`client: ${name}`, () => fn(lib, ctx), timeout);

const hub = lib.createHub(examplePolicy("test-token"));
const hubCtx = { request: (path, init) => hub.fetch(new Request(`http://hub.test${path}`, init)) };
for (const { name, fn } of hubTests) test(`hub: ${name}`, () => fn(hubCtx));

test("the package name resolves to the node entry under Bun", () => {
  expect(import.meta.resolve("eric-sse")).toEndWith("/dist/node.js");
});

const tasksUrl = new URL("../workers/tasks.js", import.meta.url);
const poolCtx = { inline: false, pool: (options) => new lib.WorkerPool(tasksUrl, options) };
for (const { name, fn, notUnderBunTest } of poolTests) test.skipIf(Boolean(notUnderBunTest))(`pool: ${name}`, () => fn(lib, poolCtx), 20_000);
const inlineCtx = { inline: true, pool: (options) => new lib.WorkerPool(tasks, options) };
for (const { name, fn, workersOnly } of poolTests) test.skipIf(Boolean(workersOnly))(`pool inline: ${name}`, () => fn(lib, inlineCtx));
