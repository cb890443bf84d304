// Pool: a CPU-bound task (hash 1 MiB per task) run inline, through WorkerPool with 2 workers and
// through the workerpool package with 2 worker_threads, side by side; then per-task overhead
// with tiny tasks. Every result is checked against the inline hashes.
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
  await Promise.all([ours.run("noop"), ours.run("noop"), theirs.exec("noop", []), theirs.exec("noop", [])]);

  const heavy = await sideBySide({
    inline: () => jobs.map((job) => tasks.hash(job)).join(),
    eric: async () => (await Promise.all(jobs.map((job) => ours.run("hash", job)))).join(),
    workerpool: async () => (await Promise.all(jobs.map((job) => theirs.exec("hash", [job])))).join(),
  }, rounds);
  const small = await sideBySide({
    eric: async () => (await Promise.all(Array.from({ length: tiny }, () => ours.run("noop")))).length,
    workerpool: async () => (await Promise.all(Array.from({ length: tiny }, () => theirs.exec("noop", [])))).length,
  }, rounds);
  await ours.close();
  await theirs.terminate();
  const perSecond = (ms) => `${fmt(count / (ms / 1000))} tasks/s`;
  const perTask = (ms) => `${fmt((ms * 1000) / tiny)} µs`;
  return {
    heavy: {
      figures: `inline ${perSecond(heavy.inline.ms)}, WorkerPool(2) ${perSecond(heavy.eric.ms)}, workerpool(2) ${perSecond(heavy.workerpool.ms)}`,
      vsInline: heavy.inline.ms / heavy.eric.ms,
      vsWorkerpool: heavy.workerpool.ms / heavy.eric.ms,
      same: heavy.eric.check === expected && heavy.workerpool.check === expected,
    },
    tiny: {
      figures: `WorkerPool ${perTask(small.eric.ms)} per task, workerpool ${perTask(small.workerpool.ms)} per task`,
      ratio: small.workerpool.ms / small.eric.ms,
      same: small.eric.check === tiny && small.workerpool.check === tiny,
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(await benchPool());
