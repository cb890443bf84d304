// Types for `eric-sse/init`, the manual-init entry (browsers, Web Workers, service workers,
// bundles): the whole API; call `init` or `initSync` before anything else (the API throws
// NotInitializedError until then). Every entry exports both (see index.d.ts).
export * from "./index.js";
