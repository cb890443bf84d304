// The public API, shared by every runtime entry.

export { Channel, Listener } from "./channel.js";
export { Message, SignedMessage } from "./message.js";
export { encode } from "./encode.js";
export {
  EricSseError,
  NoMessagesError,
  InvalidListenerError,
  InvalidChannelError,
  InvalidMessageFormatError,
  QueueOverflowError,
  ChannelClosedError,
} from "./errors.js";
