// Runs the shared behaviour suite under Node's test runner, importing the package by its name
// (the "node" export condition). scripts/test.mjs runs this under Node 20 and Node 24.
import { test } from "node:test";
import * as lib from "eric-sse";
import { tests } from "../behaviour/suite.js";

for (const { name, fn } of tests) test(name, () => fn(lib));

test("the package name resolves to the node entry (no init call needed)", () => {
  const resolved = import.meta.resolve("eric-sse");
  if (!resolved.endsWith("/js/entry-node.js")) throw new Error(`resolved to ${resolved}`);
});
