// The pool bench's CPU-bound task, one home for every way it runs (inline, WorkerPool,
// workerpool, bare worker_threads).

/** Hashes `size` bytes generated from `seed` (xorshift), FNV-1a: CPU-bound, no transfer. */
export function hash({ seed, size }) {
  const bytes = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i += 1) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; bytes[i] = x & 255; }
  let h = 0x811c9dc5;
  for (let i = 0; i < size; i += 1) h = Math.imul(h ^ bytes[i], 0x01000193) >>> 0;
  return h;
}
