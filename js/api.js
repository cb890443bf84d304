// The public API, shared by every runtime entry.

export { Channel, Listener } from "./channel.js";
export { Message, SignedMessage } from "./message.js";
export { encode } from "./encode.js";
export { createParser, SseParserStream } from "./parser.js";
export { connect, SseClient, SseErrorEvent } from "./client.js";
export { EventSource } from "./event-source.js";
export {
  EricSseError,
  NoMessagesError,
  InvalidListenerError,
  InvalidChannelError,
  InvalidMessageFormatError,
  QueueOverflowError,
  ChannelClosedError,
  ParseError,
  ConnectionError,
} from "./errors.js";
export { createHub, ChannelContainer, HubError } from "./hub.js";
export { ActionListener } from "./channel.js";
export { WorkerPool, serve, transfer, TaskError, WorkerCrashError, PoolClosedError } from "./pool.js";
export { DataProcessingChannel } from "./processing.js";
