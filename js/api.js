// The public API, shared by every runtime entry.

export { Channel } from "./channel.js";
export { Listener } from "./listener.js";
export { ActionListener } from "./action-listener.js";
export { Message, SignedMessage } from "./message.js";
export { encode } from "./encode.js";
export { setMemoryBudget, memoryUsage } from "./memory.js";
export { createParser, SseParserStream } from "./parser.js";
export { connect, SseClient, SseErrorEvent } from "./client.js";
export { EventSource } from "./event-source.js";
export {
  EricSseError,
  NoMessagesError,
  InvalidListenerError,
  ListenerExistsError,
  InvalidChannelError,
  ChannelExistsError,
  InvalidMessageFormatError,
  InvalidOptionError,
  QueueOverflowError,
  ChannelClosedError,
  MemoryLimitError,
  BackplaneError,
  HubError,
  NotFoundError,
  MethodNotAllowedError,
  PayloadTooLargeError,
  UnauthorizedError,
  ForbiddenError,
  LimitExceededError,
  ParseError,
  ConnectionError,
  TaskError,
  WorkerCrashError,
  PoolClosedError,
  NotInitializedError,
  WasmLoadError,
  WasmTrapError,
} from "./errors.js";
export { createHub, ChannelContainer } from "./hub/index.js";
export { memoryBackplane } from "./backplane/memory.js";
export { shareChannel } from "./backplane/broadcast-channel.js";
export { sqliteBackplane } from "./backplane/sqlite.js";
export { createDurableHub } from "./cloudflare/durable.js";
export { WorkerPool, serve, transfer } from "./pool.js";
export { DataProcessingChannel } from "./processing.js";
