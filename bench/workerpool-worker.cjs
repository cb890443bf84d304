// workerpool's worker: the same task functions as bench/pool-tasks.js.
const workerpool = require("workerpool");

const loaded = import("./pool-tasks.js");
workerpool.worker({
  hash: async (args) => (await loaded).tasks.hash(args),
  noop: async () => (await loaded).tasks.noop(),
});
