// Runs the shared behaviour suite under Node's test runner, importing the package by its name
// (the "node" export condition), and the client tests against the real SSE test server whose
// URL scripts/test.mjs passes in SSE_TEST_SERVER. Run under Node 20 and Node 24.
import { test } from "node:test";
import * as lib from "eric-sse";
import { clientTests } from "../behaviour/client.js";
import { tests } from "../behaviour/suite.js";

const ctx = { server: process.env.SSE_TEST_SERVER, deadUrl: process.env.SSE_DEAD_URL };

for (const { name, fn } of tests) test(name, () => fn(lib));
const skip = ctx.server ? false : "SSE_TEST_SERVER is not set (scripts/test.mjs starts the server)";
for (const { name, fn } of clientTests) test(`client: ${name}`, { skip }, () => fn(lib, ctx));

test("the package name resolves to the node entry (no init call needed)", () => {
  const resolved = import.meta.resolve("eric-sse");
  if (!resolved.endsWith("/js/entry-node.js")) throw new Error(`resolved to ${resolved}`);
});
