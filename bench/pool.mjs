// Pool: a CPU-bound task (hash 1 MiB per task) run inline, through WorkerPool with 2 workers,
// through the workerpool package with 2 worker_threads, and on 2 bare worker_threads that each
// take half the jobs in one message (the machine's ceiling for this work: no pool could do
// better), side by side; then per-task overhead with tiny tasks. Every result is checked
// against the inline hashes.
import { Worker } from "node:worker_threads";
import workerpool from "workerpool";
import { WorkerPool } from "eric-sse";
import { fmt, sideBySide } from "./lib.mjs";
import { tasks } from "./pool-tasks.js";

export async function benchPool({ count = 24, tiny = 4000, rounds = 3 } = {}) {
  const size = 1 << 20;
  const jobs = Array.from({ length: count }, (_, i) => ({ seed: i + 1, size }));
  const expected = jobs.map((job) => tasks.hash(job)).join();
  const ours = new WorkerPool(new URL("./pool-tasks.js", import.meta.url), { size: 2 });
  const theirs = workerpool.pool(new URL("./workerpool-worker.cjs", import.meta.url).pathname, { maxWorkers: 2, workerType: "thread" });
  const bare = [0, 1].map(() => new Worker(new URL("./bare-worker.mjs", import.meta.url)));
  /** Job i on bare worker i % 2, each share in one message. */
  const onBare = async () => {
    const shares = await Promise.all(bare.map((worker, k) => new Promise((resolve) => {
      worker.once("message", resolve);
      worker.postMessage(jobs.filter((_, i) => i % 2 === k));
    })));
    return jobs.map((_, i) => shares[i % 2][i >> 1]).join();
  };
  await Promise.all([ours.run("noop"), ours.run("noop"), theirs.exec("noop", []), theirs.exec("noop", []), onBare()]);

  const heavy = await sideBySide({
    inline: () => jobs.map((job) => tasks.hash(job)).join(),
    eric: async () => (await Promise.all(jobs.map((job) => ours.run("hash", job)))).join(),
    workerpool: async () => (await Promise.all(jobs.map((job) => theirs.exec("hash", [job])))).join(),
    bare: onBare,
  }, rounds);
  const small = await sideBySide({
    eric: async () => (await Promise.all(Array.from({ length: tiny }, () => ours.run("noop")))).length,
    workerpool: async () => (await Promise.all(Array.from({ length: tiny }, () => theirs.exec("noop", [])))).length,
  }, rounds);
  await ours.close();
  await theirs.terminate();
  await Promise.all(bare.map((worker) => worker.terminate()));
  const perSecond = (ms) => `${fmt(count / (ms / 1000))} tasks/s`;
  const perTask = (ms) => `${fmt((ms * 1000) / tiny)} µs`;
  return {
    heavy: {
      figures: `inline ${perSecond(heavy.inline.ms)}, WorkerPool(2) ${perSecond(heavy.eric.ms)}, workerpool(2) ${perSecond(heavy.workerpool.ms)}, `
        + `2 bare worker_threads ${perSecond(heavy.bare.ms)}`,
      vsInline: heavy.inline.ms / heavy.eric.ms,
      bareVsInline: heavy.inline.ms / heavy.bare.ms,
      vsBare: heavy.bare.ms / heavy.eric.ms,
      vsWorkerpool: heavy.workerpool.ms / heavy.eric.ms,
      same: heavy.eric.check === expected && heavy.workerpool.check === expected && heavy.bare.check === expected,
    },
    tiny: {
      figures: `WorkerPool ${perTask(small.eric.ms)} per task, workerpool ${perTask(small.workerpool.ms)} per task`,
      ratio: small.workerpool.ms / small.eric.ms,
      same: small.eric.check === tiny && small.workerpool.check === tiny,
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchPool());
