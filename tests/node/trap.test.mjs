// A WebAssembly trap must not poison the package: the instance is replaced, the call that
// trapped throws WasmTrapError, channels rebuild themselves on their next call, open streams
// close (their clients resume with a gap notice), and other channels keep working. The trap is
// real: the instance's memory is grown to its maximum, so the next allocation the glue needs
// fails and Rust aborts (`unreachable`). Node only: it reaches the loader's internals.
import { test } from "node:test";
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import * as lib from "../../js/entry-node.js";
import { coreMemory } from "../../js/wasm.js";

/** Grows `memory` until the engine refuses more. */
function exhaust(memory) {
  for (let pages = 16384; pages >= 1; pages = Math.floor(pages / 2)) {
    for (;;) {
      try {
        memory.grow(pages);
      } catch {
        break;
      }
    }
  }
}

test("a trap replaces the instance, throws WasmTrapError, and every channel rebuilds and keeps working", async () => {
  const reading = [];
  const older = lib.createParser({ onEvent: (e) => reading.push(e.data) });
  older.feed("data: half");
  const streamed = new lib.Channel({ keepAliveMs: 0 });
  const other = new lib.Channel({ keepAliveMs: 0 });
  const reader_ = streamed.addListener();
  const kept = other.addListener();
  const before = other.broadcast("t", "before");
  const reader = streamed.stream(reader_.id).getReader();
  equal(new TextDecoder().decode((await reader.read()).value), "retry: 5000\n\n");
  const hooked = [];
  kept.onMessage = (m) => hooked.push(m.payload);

  const memory = coreMemory();
  exhaust(memory);
  // A payload the memory cannot take is refused with a typed error, without a trap.
  throws(() => streamed.broadcast("t", "x".repeat(3 << 20)), lib.MemoryLimitError);
  ok(coreMemory() === memory, "no trap: the same instance");
  let error;
  try {
    // The glue copies a string in with an allocation that aborts when it fails (a message type
    // this long is refused before it gets there; an SSE field to encode is not).
    lib.encode({ data: "x".repeat(8 << 20) });
  } catch (thrown) {
    error = thrown;
  }
  ok(error instanceof lib.WasmTrapError && error.name === "WasmTrapError", String(error));
  ok(error.cause instanceof WebAssembly.RuntimeError, String(error.cause));
  ok(coreMemory() !== memory, "a new instance, with its own memory");

  deepEqual(await reader.read(), { done: true, value: undefined }, "the open stream closed");
  deepEqual(streamed.listenerIds(), [reader_.id], "the channel kept its listener");
  const after = streamed.broadcast("t", "after");
  ok(after.split("-")[0] !== before.split("-")[0] && after.endsWith("-1"), `a new epoch: ${after}`);
  equal(streamed.deliverNext(reader_.id).payload, "after");

  throws(() => other.deliverNext(kept.id), lib.NoMessagesError, "the other channel's queue went with the old instance");
  other.broadcast("t", "again");
  equal(other.deliverNext(kept.id).payload, "again");
  deepEqual(hooked, ["again"], "its listener's hook still runs");
  const fresh = new lib.Channel({ keepAliveMs: 0 });
  const l = fresh.addListener();
  fresh.broadcast("t", 1);
  equal(fresh.deliverNext(l.id).payload, 1, "new channels work");
  const parser = [];
  lib.createParser({ onEvent: (e) => parser.push(e.data) }).feed("data: ok\n\n");
  deepEqual(parser, ["ok"], "so does the parser");
  try {
    older.feed("\n\n");
    ok(false, "a parser made before the trap says its partial event is lost");
  } catch (thrown) {
    equal(thrown.name, "WasmTrapError");
  }
  older.feed("data: whole\n\n");
  deepEqual(reading, ["whole"], "then it parses again");
});
