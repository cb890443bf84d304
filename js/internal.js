// Package-internal links between classes (never exported from the package): a listener's binding
// to the channel that holds it.

/**
 * What a registered Listener uses to reach its channel's core: one record per channel, shared by
 * all its listeners (no closures per listener); each call takes the listener's entry. The
 * channel binds a listener to its entry on registration (js/listener.js `bindListener`) and
 * unbinds it on removal.
 * @typedef {object} Binding
 * @property {(entry: any) => boolean} isRunning
 * @property {(entry: any) => void} start
 * @property {(entry: any) => void} stop
 * @property {(entry: any, hooked: boolean) => void} hooked  the listener's onMessage was set or cleared
 */

/**
 * A listener's entry in its channel, as the Listener sees it.
 * @typedef {{ ops: Binding }} BoundEntry
 */

/**
 * An ActionListener's method, called with the channel once registered (it starts consuming its
 * queue there); its presence makes the core listener act on `start`/`stop` messages.
 */
export const ACTIONS = Symbol("eric-sse actions");

/**
 * A Channel calls `channel[FORGET](listener, left)`, when set, each time it forgets a listener:
 * `left` is true when its client left or the core ended its stream, false for removeListener.
 * The hub remembers the owner of a listener that left, so its client can resume it.
 */
export const FORGET = Symbol("eric-sse forget");

/**
 * `channel[REPLACE](listenerId)` ends the listener's open stream, if any, and keeps the listener
 * and its queue, so a new stream can take over: the hub's `listen` when a client reconnects
 * before the server noticed its old connection die.
 */
export const REPLACE = Symbol("eric-sse replace");

/**
 * The clock the core's timers run on (keep-alives, stream delay): monotonic milliseconds. The
 * wall clock (`Date.now`) can be set back, which would hold every keep-alive until it caught up.
 */
export const clock = () => performance.now();

const settled = Promise.resolve();

/**
 * Runs `job` after the current task, as `queueMicrotask` does, but as a promise job: in Node,
 * `queueMicrotask` wraps every callback in an async resource (about 95 ns a call against 25).
 * `job` must not throw (a throw would be an unhandled rejection).
 * @param {() => void} job
 */
export const afterTask = (job) => {
  settled.then(job);
};
