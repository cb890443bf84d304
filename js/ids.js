// Ids the JS layer makes: random listener and channel ids, and channel epochs.

let fallbackIds = 0;
let lastEpoch = 0;

/**
 * A random UUID where the platform gives one (not at workerd's global scope), else a counter.
 * @param {string} prefix used by the fallback
 */
export function newId(prefix) {
  try {
    return globalThis.crypto.randomUUID();
  } catch {
    fallbackIds += 1;
    return `${prefix}-${Date.now().toString(36)}-${fallbackIds}`;
  }
}

/**
 * An epoch for a new channel's message ids: the time in milliseconds, kept increasing within
 * this realm, so a re-created channel never repeats the ids of an earlier lifetime. (At a
 * Cloudflare Worker's global scope the clock reads 0: create channels inside handlers, as the
 * hub does.)
 */
export function nextEpoch() {
  lastEpoch = Math.max(Date.now(), lastEpoch + 1);
  return lastEpoch;
}
