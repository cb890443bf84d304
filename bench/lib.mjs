// Shared bench helpers: run scenarios side by side, interleaved, and report medians and ratios.

/** Median of numbers. */
export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Runs each contender `rounds` times, interleaved (A B C A B C …) so drift hits all alike, after
 * one warm-up round. `fn()` returns a check value (compared across contenders) and may be async.
 * Resolves to { name: { ms (median), check } }.
 */
export async function sideBySide(contenders, rounds = 5) {
  const times = Object.fromEntries(Object.keys(contenders).map((k) => [k, []]));
  const checks = {};
  for (let round = -1; round < rounds; round += 1) {
    for (const [name, fn] of Object.entries(contenders)) {
      globalThis.gc?.();
      const started = performance.now();
      const check = await fn();
      const ms = performance.now() - started;
      if (round >= 0) times[name].push(ms);
      checks[name] = check;
    }
  }
  return Object.fromEntries(Object.keys(contenders).map((k) => [k, { ms: median(times[k]), check: checks[k] }]));
}

export const fmt = (n, digits = 1) => n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
