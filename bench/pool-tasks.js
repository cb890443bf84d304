// Bench tasks, written once: served to WorkerPool workers (serve), loaded by workerpool's
// workers (bench/workerpool-worker.cjs), and called directly for the inline baseline.
import { serve } from "../dist/web.js";
import { hash } from "./hash.js";

export const tasks = {
  hash,
  noop: () => null,
};

serve(tasks);
