// Bench tasks, written once: served to WorkerPool workers (serve), loaded by workerpool's
// workers (bench/workerpool-worker.cjs), and called directly for the inline baseline.
import { serve } from "../dist/web.js";

export const tasks = {
  /** Hashes `size` bytes generated from `seed` (xorshift), FNV-1a: CPU-bound, no transfer. */
  hash({ seed, size }) {
    const bytes = new Uint8Array(size);
    let x = seed >>> 0 || 1;
    for (let i = 0; i < size; i += 1) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; bytes[i] = x & 255; }
    let hash = 0x811c9dc5;
    for (let i = 0; i < size; i += 1) hash = Math.imul(hash ^ bytes[i], 0x01000193) >>> 0;
    return hash;
  },
  noop: () => null,
};

serve(tasks);
