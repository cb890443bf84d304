// `eric-sse/channel`: channels, listeners and messages (the server side), without the hub,
// backplanes, worker pool, parser or client. Every error class comes with it.

export { Channel } from "./channel.js";
export { Listener } from "./listener.js";
export { ActionListener } from "./action-listener.js";
export { Message, SignedMessage } from "./message.js";
export { encode } from "./encode.js";
export { setMemoryBudget, memoryUsage } from "./memory.js";
export * from "./api-errors.js";
export { init, initSync } from "./wasm.js";
