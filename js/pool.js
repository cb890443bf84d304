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

/**
 * A task's result and the ArrayBuffers that move with it (what transfer() makes).
 * @typedef {{ [TRANSFER]: readonly object[], value: unknown }} Transferred
 */
/**
 * An error as it crosses to the other side: what TaskError is made from.
 * @typedef {{ name: string, message: string, stack: string | undefined }} Described
 */
/**
 * What the pool posts to a worker.
 * @typedef {{ kind: "init", module: WebAssembly.Module | null } | { kind: "run", id: number, task: string, payload: unknown }} ToWorker
 */
/**
 * What a worker posts back: `fatal` when a WebAssembly trap left it unusable; `crashed` when an
 * error escaped the worker's code (serve() says so itself, in order with the answers before it).
 * @typedef {{ kind: "ready" } | { kind: "init-failed", error: Described }
 *   | { kind: "done", id: number, value: unknown, fatal?: undefined }
 *   | { kind: "failed", id: number, error: Described, fatal: boolean }
 *   | { kind: "crashed", error: Described }} FromWorker
 */
/**
 * One worker, whichever kind (spawn() adapts Web Workers and worker_threads to it).
 * @typedef {object} Handle
 * @property {(message: ToWorker, list?: readonly object[]) => void} post
 * @property {(onMessage: (message: FromWorker) => void, onCrash: (error: WorkerCrashError, early?: boolean) => void) => void} listen
 *   `early`: the crash is reported apart from the worker's messages and may overtake answers it
 *   posted before it (a Web Worker's `error` event)
 * @property {() => unknown} terminate
 */
/**
 * Transfer lists are `readonly object[]` in the API (RunOptions.transfer); postMessage itself
 * checks that each item can be moved, so they are cast to its types where they are posted.
 * @typedef {import("node:worker_threads").Transferable[]} NodeTransferList
 */
/**
 * A dedicated worker's global scope, where serve() runs on the Web (lib "dom" types globalThis
 * as a Window, whose postMessage takes a target origin).
 * @typedef {{ postMessage(message: unknown, transfer: Transferable[]): void }} WorkerScope
 */
/**
 * A task from run() until it settles.
 * @typedef {object} Job
 * @property {number} id
 * @property {string} task
 * @property {unknown} payload
 * @property {readonly object[]} list
 * @property {(value: unknown) => void} resolve
 * @property {(reason: unknown) => void} reject
 * @property {AbortSignal | undefined} signal
 * @property {Slot | InlineSlot | null} slot where it was sent (null while queued)
 * @property {() => void} onAbort
 * @property {boolean} [settled]
 */
/**
 * A worker of the pool and the tasks sent to it, oldest first: the first runs, the others wait
 * in the worker (see DEPTH).
 * @typedef {object} Slot
 * @property {Handle | null} handle null until the worker has started
 * @property {boolean} ready
 * @property {Job[]} jobs
 * @property {boolean} dead
 * @property {undefined} [release] only an inline slot has one
 */

/**
 * Tasks sent to a worker at once. With one, a worker idles from posting a result until the
 * next task arrives (a round trip through the owner's event loop: on a 2-core machine, 1.78×
 * inline instead of 2.07× for 4 ms tasks, bench/NOTES.md); with two, the next one waits in the
 * worker. The worker still runs them one at a time, in order. A task with an AbortSignal is only
 * sent to an idle worker: one waiting in a worker could not be withdrawn (a worker busy with
 * synchronous work reads its messages only when it is done, and then starts the next task at
 * once), so aborting it would have to end the worker and the task it runs. And no task is sent
 * to wait behind one with a signal: aborting that one ends its worker, which may have finished
 * it and started the next (its answer not read yet), and the next would then run twice.
 */
const DEPTH = 2;
/**
 * How long a Web Worker's `error` event waits for the worker's own report of the crash, which
 * comes in order with its answers (the event may overtake them): ms.
 */
const EARLY_CRASH_WAIT_MS = 100;
/** @param {Job} job */
const unsignalled = (job) => job.signal === undefined;
/**
 * The task an inline pool runs now; `release` lets the next one start.
 * @typedef {{ job: Job, release: () => void }} InlineSlot
 */

/**
 * Wraps a task's result so its `list` of ArrayBuffers moves to the caller instead of copying.
 * @param {unknown} value
 * @param {readonly object[]} list
 * @returns {Transferred}
 */
export function transfer(value, list) {
  return { [TRANSFER]: list, value };
}

/**
 * Runs `tasks[name](payload)`; an unknown name is the task's error.
 * @param {import("../index.js").Tasks} tasks
 * @param {string} name
 * @param {unknown} payload
 */
function runTask(tasks, name, payload) {
  const fn = tasks[name];
  if (typeof fn !== "function") throw new TypeError(`no task named "${name}"`);
  return fn(payload);
}

/** A task's result and its transfer list. @param {any} out what a task returned (any value, or a Transferred) @returns {[unknown, readonly object[]]} */
const unwrap = (out) => (out && typeof out === "object" && TRANSFER in out ? [out.value, out[TRANSFER]] : [out, []]);
/** @param {any} error what a task threw (any value) @returns {Described} */
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
 * `cause`, as when a worker's result cannot be posted back.
 * @param {string} task @param {any} error what postMessage threw (any value) */
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
  /**
   * Answers the owner's messages; returns what reports an uncaught error of the worker's code.
   * @param {(message: FromWorker, list?: readonly object[]) => void} post
   * @param {(onMessage: (message: ToWorker) => void) => void} listen
   * @returns {(error: unknown) => void}
   */
  const setup = (post, listen) => {
    // Runs go one at a time, in the order they came (the pool sends the next before this one
    // ends).
    /** @type {Promise<void>} */
    let previous = Promise.resolve();
    // After a trap the instance is unusable: nothing more runs here (the pool replaces us).
    let trapped = false;
    /** @param {{ id: number, task: string, payload: unknown }} message */
    const run = async ({ id, task, payload }) => {
      if (trapped) return;
      try {
        const [value, list] = unwrap(await runTask(tasks, task, payload));
        post({ kind: "done", id, value }, list);
      } catch (error) {
        trapped = error instanceof WebAssembly.RuntimeError;
        post({ kind: "failed", id, error: describe(error), fatal: trapped });
      }
    };
    listen((message) => {
      if (message?.kind === "init") {
        try {
          initSync(message.module);
          post({ kind: "ready" });
        } catch (error) {
          post({ kind: "init-failed", error: describe(error) });
        }
      } else if (message?.kind === "run") {
        // `run` answers every outcome; should posting the answer throw, the error is raised
        // outside the chain (the worker's error: the pool replaces it) and the chain goes on.
        previous = previous.then(() => run(message)).catch((error) => {
          setTimeout(() => { throw error; }, 0);
        });
      }
    });
    // Said in order with the answers before it: the owner's own signal of the crash travels
    // apart from messages and may overtake them (the pool would fail a finished task and send
    // the running one to another worker).
    return (error) => {
      try {
        post({ kind: "crashed", error: describe(error) });
      } catch {
        // Nothing can be posted: the owner still sees the worker fail or end.
      }
    };
  };
  if (typeof WorkerGlobalScope !== "undefined" && globalThis instanceof WorkerGlobalScope
      && typeof globalThis.postMessage === "function") {
    const crashed = setup((m, list) => /** @type {WorkerScope} */ (globalThis).postMessage(m, /** @type {Transferable[]} */ (list ?? [])),
      (fn) => { globalThis.onmessage = (e) => fn(e.data); });
    // The event goes on to the owner as before. One the worker's own code handled
    // (preventDefault, in a listener added before serve()) is not a crash, as in Node, where an
    // error caught by `uncaughtException` ends nothing.
    globalThis.addEventListener("error", (event) => {
      if (!event.defaultPrevented) crashed(event.error ?? event.message);
    });
  } else if (isNode()) {
    const { isMainThread, parentPort } = workerThreads();
    if (!isMainThread && parentPort) {
      const crashed = setup((m, list) => parentPort.postMessage(m, /** @type {NodeTransferList} */ (list ?? [])),
        (fn) => parentPort.on("message", fn));
      // worker_threads (whose owner would otherwise wait for `exit`) and Bun's Web Workers (which
      // take this branch). An error the worker's own `uncaughtException` listener handles ends
      // nothing, so it is not a crash.
      const { process } = globalThis;
      process.on("uncaughtExceptionMonitor", (error) => {
        if (process.listenerCount("uncaughtException") === 0) crashed(error);
      });
    }
  }
  return tasks;
}

/**
 * Starts one worker and adapts Web Workers and worker_threads to one small interface.
 * @param {string | URL} url
 * @returns {Promise<Handle>}
 */
async function spawn(url) {
  if (typeof globalThis.Worker === "function") {
    const worker = new Worker(url, { type: "module" });
    return {
      post: (m, list) => worker.postMessage(m, /** @type {Transferable[]} */ (list ?? [])),
      listen: (onMessage, onCrash) => {
        worker.onmessage = (e) => onMessage(e.data);
        worker.onerror = (e) => {
          e.preventDefault?.();
          onCrash(new WorkerCrashError(`worker ${String(url)} failed: ${e.message || "it did not load"} (a worker module `
            + "that imports packages must be bundled: Vite `?worker&url`, esbuild a second entry point)"), true);
        };
        worker.onmessageerror = () => onCrash(new WorkerCrashError("a message from the worker could not be read"));
      },
      terminate: () => worker.terminate(),
    };
  }
  const { Worker: NodeWorker } = workerThreads();
  const worker = new NodeWorker(url instanceof URL ? url : new URL(url));
  return {
    post: (m, list) => worker.postMessage(m, /** @type {NodeTransferList} */ (list ?? [])),
    listen: (onMessage, onCrash) => {
      worker.on("message", onMessage);
      // An uncaught error comes on Node's internal port, possibly before answers the worker
      // posted earlier; `exit` comes after all of them (Node hands out the worker's messages
      // first), so the crash is handled there, where the task it ran is the one still waiting.
      /** @type {Error | undefined} */
      let failure;
      worker.on("error", (error) => { failure ??= error; });
      worker.on("exit", (code) => onCrash(failure
        ? new WorkerCrashError(`worker failed: ${failure.message}`, { cause: failure })
        : new WorkerCrashError(`worker exited with code ${code}`)));
    },
    terminate: () => worker.terminate(),
  };
}

export class WorkerPool {
  static get name() { return "WorkerPool"; } // minification renames the class
  /** @type {string | URL | undefined} */
  #url;
  /** @type {import("../index.js").Tasks | null} */
  #tasks = null;
  #size;
  #maxQueue;
  /** @type {Job[]} */
  #queue = [];
  /** @type {Slot[]} */
  #slots = [];
  /** @type {Promise<void> | null} */
  #closing = null;
  #closed = false;
  #ids = 0;
  /** @type {(() => void) | null} */
  #whenIdle = null;
  /** The inline task running now: `{ job, release }`. @type {InlineSlot | null} */
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
  /** Tasks not started: queued here, or sent to a worker that runs another first. */
  get queued() {
    let waiting = this.#queue.length;
    for (const slot of this.#slots) waiting += Math.max(0, slot.jobs.length - 1);
    return waiting;
  }

  /** Runs `task(payload)` on a worker; resolves to its result. */
  /** @param {string} task @param {unknown} [payload] @param {import("../index.js").RunOptions} [options] */
  run(task, payload, { transfer: list = [], signal } = {}) {
    if (this.#closed || this.#closing) return Promise.reject(new PoolClosedError("the pool is closed"));
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.queued >= this.#maxQueue) {
      return Promise.reject(new QueueOverflowError(`the pool's queue is full (maxQueue ${this.#maxQueue})`));
    }
    return new Promise((resolve, reject) => {
      // A Job once onAbort is set, on the next line.
      const job = /** @type {Job} */ ({ id: (this.#ids += 1), task, payload, list, resolve, reject, signal, slot: null });
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
    for (const slot of this.#slots) for (const job of slot.jobs) this.#settle(job, null, error);
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
    // Breadth first: every ready worker gets a task before any gets a second.
    for (let depth = 1; depth <= DEPTH; depth += 1) {
      for (const slot of this.#slots) {
        // A task whose payload cannot be posted leaves its place free: the next one takes it.
        // One with a signal waits for an idle worker, and none waits behind one (DEPTH).
        while (this.#queue.length > 0 && slot.ready && slot.jobs.length < depth
               && (slot.jobs.length === 0 || (this.#queue[0].signal === undefined && slot.jobs.every(unsignalled)))) {
          this.#assign(slot, /** @type {Job} */ (this.#queue.shift()));
        }
      }
    }
    if (this.#closing && this.#queue.length === 0 && this.#slots.every((s) => s.jobs.length === 0)) this.#finishClose();
  }

  #finishClose() {
    this.#closed = true;
    for (const slot of this.#slots) { slot.dead = true; slot.handle?.terminate(); }
    this.#slots = [];
    this.#whenIdle?.();
  }

  #startWorker() {
    /** @type {Slot} */
    const slot = { handle: null, ready: false, jobs: [], dead: false };
    this.#slots.push(slot);
    // An inline pool starts no workers: the URL is set here.
    spawn(/** @type {string | URL} */ (this.#url)).then((handle) => {
      if (slot.dead) return handle.terminate();
      slot.handle = handle;
      handle.listen((message) => this.#message(slot, message), (error, early) => {
        // A worker that started says it crashed in order with its answers (serve()); an early
        // report waits for that (one that did not load has no task to get wrong).
        if (early && slot.ready) setTimeout(() => this.#crash(slot, error), EARLY_CRASH_WAIT_MS);
        else this.#crash(slot, error);
      });
      handle.post({ kind: "init", module: this.module });
    }).catch((error) => this.#crash(slot, new WorkerCrashError(`worker could not start: ${error?.message}`, { cause: error })));
  }

  /** Posts `job` to the slot's worker. postMessage throws synchronously when the payload or the
   * transfer list cannot be cloned (DataCloneError): that task alone rejects, its place stays
   * free, and nothing throws out of run() or the worker's message handler.
   * @param {Slot} slot @param {Job} job */
  #assign(slot, job) {
    try {
      // Only a ready slot is assigned, and it has its worker.
      /** @type {Handle} */ (slot.handle).post({ kind: "run", id: job.id, task: job.task, payload: job.payload }, job.list);
    } catch (error) {
      this.#settle(job, null, unsent(job.task, error));
      return;
    }
    slot.jobs.push(job);
    job.slot = slot;
  }

  /** @param {Slot} slot @param {FromWorker} message */
  #message(slot, message) {
    if (slot.dead) return;
    if (message.kind === "ready") {
      slot.ready = true;
    } else if (message.kind === "init-failed") {
      return this.#crash(slot, new WorkerCrashError(`worker could not load the wasm: ${message.error.message}`));
    } else if (message.kind === "crashed") {
      return this.#crash(slot, new WorkerCrashError(`worker failed: ${message.error.message}`));
    } else {
      // The oldest (a worker answers in order); none if it was settled meanwhile.
      const at = slot.jobs.findIndex((job) => job.id === message.id);
      if (at >= 0) {
        const [job] = slot.jobs.splice(at, 1);
        if (message.kind === "done") this.#settle(job, message.value);
        else this.#settle(job, null, new TaskError(message.error));
      }
      if (message.fatal) return this.#replace(slot);
    }
    this.#pump();
  }

  /** The worker died: the task it ran fails; those waiting behind it go to another worker.
   * @param {Slot} slot @param {WorkerCrashError} error */
  #crash(slot, error) {
    if (slot.dead) return;
    const running = slot.jobs.shift();
    if (running) this.#settle(running, null, error);
    else if (!slot.ready) {
      // A worker that cannot start fails the oldest queued task rather than looping forever.
      const job = this.#queue.shift();
      if (job) this.#settle(job, null, error);
    }
    this.#replace(slot);
  }

  /** Ends the slot's worker; the tasks still sent to it (none had started: the worker runs them
   * in order and the first is settled by now) go back to the front of the queue.
   * @param {Slot} slot */
  #replace(slot) {
    slot.dead = true;
    for (const job of slot.jobs) job.slot = null;
    this.#queue.unshift(...slot.jobs);
    slot.jobs = [];
    slot.handle?.terminate();
    this.#slots = this.#slots.filter((s) => s !== slot);
    this.#pump();
  }

  /** Its signal aborted (so it has one). @param {Job} job */
  #abort(job) {
    const at = this.#queue.indexOf(job);
    if (at >= 0) {
      this.#queue.splice(at, 1);
      this.#settle(job, null, /** @type {AbortSignal} */ (job.signal).reason);
    } else if (job.slot?.release) {
      // Inline (the slot is this task's own): the function cannot be stopped, so it runs on
      // unobserved and the queue moves on.
      this.#settle(job, null, /** @type {AbortSignal} */ (job.signal).reason);
      job.slot.release();
    } else if (job.slot && job.slot.jobs[0] === job) {
      // Running (a task with a signal is only sent to an idle worker): only ending the worker
      // stops it.
      const slot = job.slot;
      slot.jobs.shift();
      this.#settle(job, null, /** @type {AbortSignal} */ (job.signal).reason);
      this.#replace(slot);
    }
  }

  /** @param {Job} job @param {unknown} value @param {unknown} [error] */
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
    // Only an inline pool (it has the tasks) gets here.
    new Promise((resolve) => resolve(runTask(/** @type {import("../index.js").Tasks} */ (this.#tasks), job.task, job.payload))).then(
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
