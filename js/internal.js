// Package-internal links between classes (never exported from the package): a listener's binding
// to the channel that holds it.

/**
 * What a registered Listener uses to reach its channel's core. Set by Channel on registration,
 * removed on removal.
 * @typedef {object} Binding
 * @property {() => boolean} isRunning
 * @property {() => void} start
 * @property {() => void} stop
 * @property {(hooked: boolean) => void} hooked  the listener's onMessage was set or cleared
 */

/** @type {WeakMap<object, Binding>} */
export const bindings = new WeakMap();

/**
 * An ActionListener's method, called with the channel once registered (it starts consuming its
 * queue there); its presence makes the core listener act on `start`/`stop` messages.
 */
export const ACTIONS = Symbol("eric-sse actions");

/**
 * A Channel calls `channel[FORGET](listener)`, when set, each time it forgets a listener (removed,
 * its stream closed or finished): the hub remembers the listener's owner there.
 */
export const FORGET = Symbol("eric-sse forget");
