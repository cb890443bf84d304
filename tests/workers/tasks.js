// Tasks for the pool tests. As a worker module it serves them; imported elsewhere it only hands
// them to an inline pool. It imports the manual-init bundle by path: module workers have no
// import maps, and serve() instantiates the compiled module the pool posts.
import { Channel, serve, transfer } from "../../dist/web.js";

const worker = Math.random().toString(36).slice(2);
const web = typeof WorkerGlobalScope !== "undefined" && globalThis instanceof WorkerGlobalScope;
/** Posts a message to the owner past serve(): a Web Worker's own, worker_threads' port. */
const postRaw = web
  ? (message) => globalThis.postMessage(message)
  : (message) => globalThis.process?.getBuiltinModule?.("node:worker_threads")?.parentPort?.postMessage(message);
const HANDLED = "handled by the worker";
// A Web Worker's code handles an error in an `error` listener added before serve().
if (web) globalThis.addEventListener("error", (event) => { if (event.error?.message === HANDLED) event.preventDefault(); });
/** Tasks of this worker running now (overlap), and the marks left by `mark`. */
let active = 0;
let marks = 0;

function fnv(bytes) {
  let hash = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i += 1) hash = Math.imul(hash ^ bytes[i], 0x01000193) >>> 0;
  return hash;
}

export const tasks = {
  square: (n) => n * n,
  whoami: async ({ ms = 0 } = {}) => {
    const end = Date.now() + ms;
    while (Date.now() < end) { /* busy, so tasks overlap on different workers */ }
    return worker;
  },
  /** Uses the package inside the worker: proves the posted module was instantiated. */
  wasm: () => {
    const channel = new Channel({ keepAliveMs: 0 });
    const listener = channel.addListener();
    channel.dispatch(listener.id, "t", { inside: "worker" });
    return channel.deliverNext(listener.id);
  },
  fail: ({ message }) => { throw new RangeError(message); },
  /** Posts `n` messages the pool does not know (it ignores them) before answering `n`. */
  flood: ({ n }) => {
    for (let i = 0; i < n; i += 1) postRaw({ kind: "noise" });
    return n;
  },
  /** Throws where nothing catches it, and the worker's own handler takes it (not a crash). */
  handled: () => new Promise((resolve) => {
    if (web) {
      const seen = (event) => {
        if (event.error?.message !== HANDLED) return;
        globalThis.removeEventListener("error", seen);
        setTimeout(() => resolve("handled"), 20);
      };
      globalThis.addEventListener("error", seen);
    } else {
      globalThis.process.once("uncaughtException", () => setTimeout(() => resolve("handled"), 20));
    }
    setTimeout(() => { throw new Error(HANDLED); }, 0);
  }),
  crash: () => {
    setTimeout(() => { throw new Error("the worker blew up"); }, 0);
    return new Promise(() => {});
  },
  spin: ({ ms }) => {
    const end = Date.now() + ms;
    while (Date.now() < end) { /* burn */ }
    return ms;
  },
  /** Hashes `size` pseudo-random bytes made from `seed` (CPU-bound; no transfer). */
  hash: ({ seed, size }) => {
    const bytes = new Uint8Array(size);
    let x = seed >>> 0 || 1;
    for (let i = 0; i < size; i += 1) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; bytes[i] = x & 255; }
    return fnv(bytes);
  },
  /** Adds 1 to every byte of a transferred buffer and transfers it back. */
  bump: ({ buffer }) => {
    const bytes = new Uint8Array(buffer);
    for (let i = 0; i < bytes.length; i += 1) bytes[i] += 1;
    return transfer({ buffer, sum: fnv(bytes) }, [buffer]);
  },
  /** Waits `ms` (async): returns how many tasks of this worker ran at once meanwhile. */
  overlap: async ({ ms }) => {
    active += 1;
    let most = active;
    for (let waited = 0; waited < ms; waited += 5) {
      await new Promise((resolve) => setTimeout(resolve, 5));
      most = Math.max(most, active);
    }
    active -= 1;
    return most;
  },
  /** Adds 1 to the first Int32 of a SharedArrayBuffer: a mark that outlives the worker. */
  count: ({ counter }) => Atomics.add(new Int32Array(counter), 0, 1) + 1,
  /** Leaves a mark in this worker; `marks` counts them. */
  mark: () => (marks += 1),
  marks: () => marks,
  double: (n) => n * 2,
  noop: () => null,
  /** Never settles (aborting it, or terminate(), must still let the pool go on). */
  hang: () => new Promise(() => {}),
};

serve(tasks);
