// The instance's memory budget (src/memory.rs): what every channel's queues and histories may
// hold together before new messages are refused with MemoryLimitError.

import { memoryUsage as usage, setMemoryBudget as setBudget } from "../pkg/eric_sse_channel.js";
import { InvalidOptionError } from "./errors.js";
import { assertReady, coreMemory } from "./wasm.js";

/**
 * Sets the budget in bytes (default 512 MiB). Lowering it under what is held refuses new
 * messages until enough is freed; nothing held is dropped.
 * @param {number} bytes
 */
export function setMemoryBudget(bytes) {
  if (!(Number.isSafeInteger(bytes) && bytes >= 0)) {
    throw new InvalidOptionError(`the memory budget must be a non-negative integer (bytes), got ${bytes}`);
  }
  assertReady();
  setBudget(bytes);
}

/**
 * What messages and listeners hold now, the budget, and the size of the WebAssembly memory
 * (which grows to what was ever needed at once and never shrinks): `{ liveBytes, budgetBytes,
 * wasmBytes }`.
 */
export function memoryUsage() {
  assertReady();
  const [liveBytes, budgetBytes] = usage();
  return { liveBytes, budgetBytes, wasmBytes: coreMemory()?.buffer.byteLength ?? 0 };
}
