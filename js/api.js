// The public API, shared by every runtime entry: the channel and client subsets (each also a
// subpath of its own), and the hub, backplanes and worker pool.

export * from "./api-channel.js";
export * from "./api-client.js";
export { createHub, ChannelContainer } from "./hub/index.js";
export { nodeListener } from "./hub/node.js";
export { memoryBackplane } from "./backplane/memory.js";
export { shareChannel } from "./backplane/broadcast-channel.js";
export { sqliteBackplane } from "./backplane/sqlite.js";
export { createDurableHub } from "./cloudflare/durable.js";
export { WorkerPool, serve, transfer } from "./pool.js";
export { DataProcessingChannel } from "./processing.js";
