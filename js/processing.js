// DataProcessingChannel: a channel whose listener queues are drained through a WorkerPool (the
// web's stand-in for eric-sse's thread pool), yielding results as they complete.

import { Channel } from "./channel.js";
import { WorkerPool } from "./pool.js";

export class DataProcessingChannel extends Channel {
  static get name() { return "DataProcessingChannel"; } // minification renames the class
  #pool;
  #task;
  #maxWorkers;

  /** @param options pool (a WorkerPool), task (its task name), maxWorkers (tasks in flight;
   *   default the pool's size), and any Channel option. */
  /** @param {Partial<import("../index.js").DataProcessingOptions>} [options] */
  constructor({ pool, task, maxWorkers, ...options } = {}) {
    super(options);
    if (!(pool instanceof WorkerPool)) throw new TypeError("eric-sse: DataProcessingChannel needs { pool: WorkerPool }");
    if (typeof task !== "string") throw new TypeError("eric-sse: DataProcessingChannel needs { task: name }");
    this.#maxWorkers = maxWorkers ?? pool.size;
    if (!(Number.isInteger(this.#maxWorkers) && this.#maxWorkers >= 1)) throw new RangeError("eric-sse: maxWorkers must be a positive integer");
    this.#pool = pool;
    this.#task = task;
  }

  /**
   * Drains the listener's messages through the pool, at most maxWorkers at once, yielding
   * `{ id, type, payload: result }` in completion order (or dispatch order with `ordered`).
   * Ends after notifyEnd() (or removeListener/abort) once in-flight work has finished; a task
   * failure is thrown by the iterator.
   */
  /** @param {string} listenerId @param {{ ordered?: boolean, signal?: AbortSignal }} [options] */
  async *process(listenerId, { ordered = false, signal } = {}) {
    const source = this.messages(listenerId, { signal })[Symbol.asyncIterator]();
    const running = new Map();
    const finished = new Map();
    let incoming = null;
    let sourceDone = false;
    let sent = 0;
    let next = 0;
    for (;;) {
      if (!sourceDone && !incoming && running.size < this.#maxWorkers) {
        incoming = source.next().then((step) => ({ step }));
      }
      if (sourceDone && running.size === 0) return;
      const got = await Promise.race([...running.values(), ...(incoming ? [incoming] : [])]);
      if (got.step) {
        incoming = null;
        if (got.step.done) { sourceDone = true; continue; }
        const seq = sent++;
        const message = got.step.value;
        running.set(seq, this.#pool.run(this.#task, message.payload, { signal }).then(
          (payload) => ({ seq, result: { id: message.id, type: message.type, payload } }),
          (error) => ({ seq, error }),
        ));
        continue;
      }
      running.delete(got.seq);
      if (got.error) throw got.error;
      if (!ordered) {
        yield got.result;
        continue;
      }
      finished.set(got.seq, got.result);
      while (finished.has(next)) {
        yield finished.get(next);
        finished.delete(next);
        next += 1;
      }
    }
  }
}
