// WorkerPool: named tasks run on Web Workers (browsers, Deno), worker_threads (Node), or inline
// where no workers exist (workerd, service workers), with one API and one error behaviour.
// The owner's compiled WebAssembly.Module is posted to every worker (a Module is structured-
// cloneable), so workers never fetch or compile the .wasm again. `serve(tasks)` is the worker
// side.

import {
  NotInitializedError, PoolClosedError, QueueOverflowError, TaskError, WorkerCrashError,
} from "./errors.js";
import { compiledModule as loaded, initSync } from "./wasm.js";

const TRANSFER = Symbol("eric-sse transfer");

/** Wraps a task's result so its `list` of ArrayBuffers moves to the caller instead of copying. */
export function transfer(value, list) {
  return { [TRANSFER]: list, value };
}

/** Runs `tasks[name](payload)`; an unknown name is the task's error. */
function runTask(tasks, name, payload) {
  const fn = tasks[name];
  if (typeof fn !== "function") throw new TypeError(`no task named "${name}"`);
  return fn(payload);
}

const unwrap = (out) => (out && typeof out === "object" && TRANSFER in out ? [out.value, out[TRANSFER]] : [out, []]);
const describe = (error) => ({
  name: error?.name ?? "Error", message: String(error?.message ?? error), stack: error?.stack,
});
/** Node's worker_threads without importing a `node:` specifier, so browser bundles stay clean. */
const workerThreads = () => {
  const threads = globalThis.process?.getBuiltinModule?.("node:worker_threads");
  if (!threads) throw new TypeError("eric-sse: WorkerPool needs process.getBuiltinModule (Node >= 20.16)");
  return threads;
};
/** The error a task rejects with when its payload or transfer list cannot be posted to a worker
 * (postMessage throws a DataCloneError): a TaskError carrying that name, with the original as
 * `cause`, as when a worker's result cannot be posted back. */
const unsent = (task, error) => {
  const failure = new TaskError({
    name: error?.name ?? "DataCloneError",
    message: `the payload of task "${String(task)}" could not be sent to a worker: ${String(error?.message ?? error)}`,
  });
  failure.cause = error;
  return failure;
};
const isNode = () => typeof process !== "undefined" && typeof process.versions?.node === "string" && typeof Deno === "undefined";

/** Posts the compiled module the page/process already uses. */
function compiledModule() {
  const module = loaded();
  if (!module) {
    throw new NotInitializedError("eric-sse: call `await init()` before creating a WorkerPool");
  }
  return module;
}

/**
 * The worker side of a pool: answers `run` messages with `tasks[name](payload)`. Returns
 * `tasks`, so one module can both serve workers and hand its tasks to an inline pool.
 * @template {Record<string, (payload: any) => unknown>} T
 * @param {T} tasks
 * @returns {T}
 */
export function serve(tasks) {
  const setup = (post, listen) => {
    listen(async (message) => {
      if (message?.kind === "init") {
        try {
          initSync(message.module);
          post({ kind: "ready" });
        } catch (error) {
          post({ kind: "init-failed", error: describe(error) });
        }
        return;
      }
      if (message?.kind !== "run") return;
      const { id, task, payload } = message;
      try {
        const [value, list] = unwrap(await runTask(tasks, task, payload));
        post({ kind: "done", id, value }, list);
      } catch (error) {
        post({ kind: "failed", id, error: describe(error), fatal: error instanceof WebAssembly.RuntimeError });
      }
    });
  };
  if (typeof WorkerGlobalScope !== "undefined" && globalThis instanceof WorkerGlobalScope
      && typeof globalThis.postMessage === "function") {
    setup((m, list) => globalThis.postMessage(m, list ?? []), (fn) => { globalThis.onmessage = (e) => fn(e.data); });
  } else if (isNode()) {
    const { isMainThread, parentPort } = workerThreads();
    if (!isMainThread && parentPort) setup((m, list) => parentPort.postMessage(m, list ?? []), (fn) => parentPort.on("message", fn));
  }
  return tasks;
}

/** Starts one worker and adapts Web Workers and worker_threads to one small interface. */
async function spawn(url) {
  if (typeof globalThis.Worker === "function") {
    const worker = new Worker(url, { type: "module" });
    return {
      post: (m, list) => worker.postMessage(m, list ?? []),
      listen: (onMessage, onCrash) => {
        worker.onmessage = (e) => onMessage(e.data);
        worker.onerror = (e) => {
          e.preventDefault?.();
          onCrash(new WorkerCrashError(`worker ${String(url)} failed: ${e.message || "it did not load"} (a worker module `
            + "that imports packages must be bundled: Vite `?worker&url`, esbuild a second entry point)"));
        };
        worker.onmessageerror = () => onCrash(new WorkerCrashError("a message from the worker could not be read"));
      },
      terminate: () => worker.terminate(),
    };
  }
  const { Worker: NodeWorker } = workerThreads();
  const worker = new NodeWorker(url instanceof URL ? url : new URL(url));
  return {
    post: (m, list) => worker.postMessage(m, list ?? []),
    listen: (onMessage, onCrash) => {
      worker.on("message", onMessage);
      worker.on("error", (error) => onCrash(new WorkerCrashError(`worker failed: ${error.message}`, { cause: error })));
      worker.on("exit", (code) => onCrash(new WorkerCrashError(`worker exited with code ${code}`)));
    },
    terminate: () => worker.terminate(),
  };
}

export class WorkerPool {
  #url;
  #tasks = null;
  #size;
  #maxQueue;
  #queue = [];
  #slots = [];
  #closing = null;
  #closed = false;
  #ids = 0;
  #whenIdle = null;
  /** The inline task running now: `{ job, release }`. */
  #inlineSlot = null;

  /**
   * @param moduleUrlOrTasks a worker module URL (it calls `serve({...})`), or the task
   *   functions themselves to run inline (workerd, service workers, or by choice).
   * @param options size (workers; default the core count), maxQueue (queued tasks; default
   *   unbounded — a full queue rejects at once).
   */
  /** @param {any} moduleUrlOrTasks @param {import("../index.js").PoolOptions} [options] */
  constructor(moduleUrlOrTasks, { size, maxQueue = Infinity } = {}) {
    const inline = moduleUrlOrTasks !== null && typeof moduleUrlOrTasks === "object" && !(moduleUrlOrTasks instanceof URL);
    if (inline) this.#tasks = moduleUrlOrTasks;
    else {
      if (typeof globalThis.Worker !== "function" && !isNode()) {
        throw new TypeError("eric-sse: no workers here; pass the task functions for an inline pool");
      }
      this.#url = moduleUrlOrTasks;
    }
    const cores = globalThis.navigator?.hardwareConcurrency ?? 2;
    this.#size = inline ? 1 : size ?? Math.max(1, cores);
    if (!(Number.isInteger(this.#size) && this.#size >= 1)) throw new RangeError("eric-sse: size must be a positive integer");
    if (!(maxQueue === Infinity || (Number.isInteger(maxQueue) && maxQueue >= 0))) {
      throw new RangeError("eric-sse: maxQueue must be a non-negative integer or Infinity");
    }
    this.#maxQueue = maxQueue;
    this.module = inline ? null : compiledModule();
  }

  /** How many tasks run at once (1 when inline). */
  get size() {
    return this.#size;
  }
  get inline() {
    return this.#tasks !== null;
  }
  /** Tasks waiting for a worker. */
  get queued() {
    return this.#queue.length;
  }

  /** Runs `task(payload)` on a worker; resolves to its result. */
  /** @param {string} task @param {unknown} [payload] @param {import("../index.js").RunOptions} [options] */
  run(task, payload, { transfer: list = [], signal } = {}) {
    if (this.#closed || this.#closing) return Promise.reject(new PoolClosedError("the pool is closed"));
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#queue.length >= this.#maxQueue) {
      return Promise.reject(new QueueOverflowError(`the pool's queue is full (maxQueue ${this.#maxQueue})`));
    }
    return new Promise((resolve, reject) => {
      const job = { id: (this.#ids += 1), task, payload, list, resolve, reject, signal, slot: null };
      job.onAbort = () => this.#abort(job);
      signal?.addEventListener("abort", job.onAbort, { once: true });
      this.#queue.push(job);
      this.#pump();
    });
  }

  /**
   * Finishes queued and running tasks, then ends the workers; new runs are refused.
   * @returns {Promise<void>}
   */
  close() {
    this.#closing ??= new Promise((resolve) => { this.#whenIdle = resolve; });
    this.#pump();
    return this.#closing;
  }

  /** Ends the workers now; queued and running tasks reject with PoolClosedError. */
  terminate() {
    this.#closed = true;
    const error = new PoolClosedError("the pool was terminated");
    for (const job of this.#queue.splice(0)) this.#settle(job, null, error);
    for (const slot of this.#slots) if (slot.job) this.#settle(slot.job, null, error);
    const inline = this.#inlineSlot;
    if (inline) {
      this.#settle(inline.job, null, error);
      inline.release();
    }
    this.#finishClose();
  }

  #pump() {
    if (this.#closed) return;
    if (this.#tasks) return this.#pumpInline();
    while (this.#slots.length < this.#size && this.#queue.length > this.#slots.length) this.#startWorker();
    for (const slot of this.#slots) {
      // A task whose payload cannot be posted leaves the slot free: the next one takes it.
      while (this.#queue.length > 0 && slot.ready && !slot.job) this.#assign(slot, this.#queue.shift());
    }
    if (this.#closing && this.#queue.length === 0 && this.#slots.every((s) => !s.job)) this.#finishClose();
  }

  #finishClose() {
    this.#closed = true;
    for (const slot of this.#slots) { slot.dead = true; slot.handle?.terminate(); }
    this.#slots = [];
    this.#whenIdle?.();
  }

  #startWorker() {
    const slot = { handle: null, ready: false, job: null, dead: false };
    this.#slots.push(slot);
    spawn(this.#url).then((handle) => {
      if (slot.dead) return handle.terminate();
      slot.handle = handle;
      handle.listen((message) => this.#message(slot, message), (error) => this.#crash(slot, error));
      handle.post({ kind: "init", module: this.module });
    }).catch((error) => this.#crash(slot, new WorkerCrashError(`worker could not start: ${error?.message}`, { cause: error })));
  }

  /** Posts `job` to the slot's worker. postMessage throws synchronously when the payload or the
   * transfer list cannot be cloned (DataCloneError): that task alone rejects, the slot stays
   * free, and nothing throws out of run() or the worker's message handler. */
  #assign(slot, job) {
    try {
      slot.handle.post({ kind: "run", id: job.id, task: job.task, payload: job.payload }, job.list);
    } catch (error) {
      this.#settle(job, null, unsent(job.task, error));
      return;
    }
    slot.job = job;
    job.slot = slot;
  }

  #message(slot, message) {
    if (slot.dead) return;
    if (message.kind === "ready") {
      slot.ready = true;
    } else if (message.kind === "init-failed") {
      return this.#crash(slot, new WorkerCrashError(`worker could not load the wasm: ${message.error.message}`));
    } else if (slot.job && message.id === slot.job.id) {
      const job = slot.job;
      slot.job = null;
      if (message.kind === "done") this.#settle(job, message.value);
      else this.#settle(job, null, new TaskError(message.error));
      if (message.fatal) return this.#replace(slot);
    }
    this.#pump();
  }

  #crash(slot, error) {
    if (slot.dead) return;
    if (slot.job) this.#settle(slot.job, null, error);
    else if (!slot.ready) {
      // A worker that cannot start fails the oldest queued task rather than looping forever.
      const job = this.#queue.shift();
      if (job) this.#settle(job, null, error);
    }
    this.#replace(slot);
  }

  #replace(slot) {
    slot.dead = true;
    slot.job = null;
    slot.handle?.terminate();
    this.#slots = this.#slots.filter((s) => s !== slot);
    this.#pump();
  }

  #abort(job) {
    const at = this.#queue.indexOf(job);
    if (at >= 0) {
      this.#queue.splice(at, 1);
      this.#settle(job, null, job.signal.reason);
    } else if (job.slot && job.slot.job === job) {
      const slot = job.slot;
      this.#settle(job, null, job.signal.reason);
      // Inline, the function cannot be stopped: it runs on unobserved and the queue moves on.
      if (slot.release) slot.release();
      else this.#replace(slot);
    }
  }

  #settle(job, value, error) {
    if (job.settled) return;
    job.settled = true;
    job.signal?.removeEventListener("abort", job.onAbort);
    if (error !== undefined && error !== null) job.reject(error);
    else job.resolve(value);
  }

  /** Runs the next queued task inline, unless one runs. The task starts at once; the next one
   * starts when it settles, or when its abort (or terminate()) releases it, whichever is first:
   * a task that never settles must not hold up the tasks after it, nor close(). A task that
   * throws still settles asynchronously, so a run of them never nests. */
  #pumpInline() {
    if (this.#inlineSlot || this.#closed) return;
    const job = this.#queue.shift();
    if (!job) {
      if (this.#closing) this.#finishClose();
      return;
    }
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.#inlineSlot = null;
      this.#pumpInline();
    };
    this.#inlineSlot = job.slot = { job, release };
    new Promise((resolve) => resolve(runTask(this.#tasks, job.task, job.payload))).then(
      (out) => {
        this.#settle(job, unwrap(out)[0]);
        release();
      },
      (error) => {
        this.#settle(job, null, new TaskError(describe(error)));
        release();
      },
    );
  }
}
