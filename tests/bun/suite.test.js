// Runs the shared behaviour suite and the client tests under Bun's test runner (`bun test`),
// importing the package by its name (Bun resolves the "node" export condition). The client
// tests talk to the SSE test server whose URL scripts/test.mjs passes in SSE_TEST_SERVER.
import { test } from "bun:test";
import * as lib from "eric-sse";
import { clientTests } from "../behaviour/client.js";
import { tests } from "../behaviour/suite.js";

const ctx = { server: process.env.SSE_TEST_SERVER, deadUrl: process.env.SSE_DEAD_URL };
const timeout = 60_000;

for (const { name, fn } of tests) test(name, () => fn(lib), timeout);
if (!ctx.server) throw new Error("SSE_TEST_SERVER is not set (scripts/test.mjs starts the server)");
for (const { name, fn } of clientTests) test(`client: ${name}`, () => fn(lib, ctx), timeout);
