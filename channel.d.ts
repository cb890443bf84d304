// Types for `eric-sse/channel`: channels, listeners and messages without the hub, backplanes,
// worker pool, parser or client (js/api-channel.js). Every type of the package is available.
export type * from "./index.js";
export {
  init, initSync, Channel, Listener, ActionListener, Message, SignedMessage, encode,
  setMemoryBudget, memoryUsage, EricSseError, NoMessagesError, InvalidListenerError,
  ListenerExistsError, InvalidChannelError, ChannelExistsError, InvalidMessageFormatError,
  InvalidOptionError, QueueOverflowError, ChannelClosedError, MemoryLimitError, HubError,
  NotFoundError, MethodNotAllowedError, PayloadTooLargeError, UnsupportedMediaTypeError, UnauthorizedError, ForbiddenError,
  LimitExceededError, BackplaneError, ParseError, ConnectionError, TaskError, WorkerCrashError,
  PoolClosedError, NotInitializedError, WasmTrapError, WasmLoadError,
} from "./index.js";
