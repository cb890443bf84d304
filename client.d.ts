// Types for `eric-sse/client`: the parser, EventSource and connect() without channel, hub or
// pool code (js/api-client.js). Every type of the package is available.
export type * from "./index.js";
export {
  init, initSync, createParser, SseParserStream, connect, SseClient, SseErrorEvent, EventSource,
  EricSseError, NoMessagesError, InvalidListenerError, ListenerExistsError, InvalidChannelError,
  ChannelExistsError, InvalidMessageFormatError, InvalidOptionError, QueueOverflowError,
  ChannelClosedError, MemoryLimitError, HubError, NotFoundError, MethodNotAllowedError,
  PayloadTooLargeError, UnsupportedMediaTypeError, UnauthorizedError, ForbiddenError, LimitExceededError, BackplaneError,
  ParseError, ConnectionError, TaskError, WorkerCrashError, PoolClosedError, NotInitializedError,
  WasmTrapError, WasmLoadError,
} from "./index.js";
