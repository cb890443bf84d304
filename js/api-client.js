// `eric-sse/client`: the WHATWG parser, EventSource and connect(), without channel, hub or
// pool code. Every error class comes with it.

export { createParser, SseParserStream } from "./parser.js";
export { connect, SseClient, SseErrorEvent } from "./client.js";
export { EventSource } from "./event-source.js";
export * from "./api-errors.js";
export { init, initSync } from "./wasm.js";
