// Types for the eric-sse package (every runtime entry exports the same API; the browser /
// manual-init entry `eric-sse/init` adds `init` and `initSync`).

/** JSON-serializable values: what payloads are sent as and received back as. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export type OverflowPolicy = "disconnect" | "drop-oldest" | "error";

export interface ChannelOptions {
  /** Channel id; a random UUID by default. */
  id?: string;
  /** Sent as `retry:` at the start of every stream (ms). Default 5000. */
  retryMs?: number;
  /** Pause between two deliveries on a stream (ms), like eric-sse's stream_delay_seconds. Default 0. */
  streamDelayMs?: number;
  /** A `: keep-alive` comment is sent after this much silence on a stream (ms); 0 disables. Default 15000. */
  keepAliveMs?: number;
  /** Messages kept for Last-Event-ID replay. Default 256. */
  historySize?: number;
  /** Per-listener queue cap (≥ 1, or Infinity). Default 10000. */
  maxQueue?: number;
  /** What a full queue does. Default "disconnect". */
  overflow?: OverflowPolicy;
}

/** A delivered message. `id` is null only for the library's own `_eric_dropped` notice. */
export interface Delivery<P = Json> {
  id: string | null;
  type: string;
  payload: P;
  /** Set on signed messages (dispatch with `{ senderId }` or a SignedMessage). */
  senderId?: string;
}

export class Message<P = Json> {
  constructor(type: string, payload?: P);
  type: string;
  payload: P;
}

export class SignedMessage<P = Json> extends Message<P> {
  constructor(senderId: string, type: string, payload?: P);
  senderId: string;
}

export class Listener {
  constructor(options?: { id?: string });
  readonly id: string;
  readonly isRunning: boolean;
  /** Runs at delivery time; if it throws, the message stays queued and the error reaches the consumer. */
  onMessage?: (message: Delivery) => void;
  /** Resumes delivery to streams and iterators. */
  start(): void;
  /** Pauses delivery to streams and iterators; messages keep queueing (bounded by maxQueue). */
  stop(): void;
}

export interface StreamOptions {
  /** Replay the history after this id first (what a reconnecting client sends as Last-Event-ID). */
  lastEventId?: string | null;
  /** Aborting closes the stream and removes the listener. */
  signal?: AbortSignal;
}

export interface ResponseOptions extends ResponseInit, StreamOptions {
  /** Supplies Last-Event-ID (header) and the abort signal when they are not given directly. */
  request?: Request;
}

export class Channel {
  constructor(options?: ChannelOptions);
  readonly id: string;
  /** The settings in force, defaults filled in. */
  readonly options: Required<ChannelOptions>;
  /** True once notifyEnd() was called. */
  readonly ended: boolean;
  addListener(): Listener;
  /** @throws InvalidListenerError when the id is taken or the listener is registered elsewhere. */
  registerListener(listener: Listener): Listener;
  /** @throws InvalidListenerError */
  removeListener(listenerId: string): void;
  /** @throws InvalidListenerError */
  getListener(listenerId: string): Listener;
  listenerIds(): string[];
  /**
   * Queues a message for one listener; returns its id.
   * @throws InvalidListenerError, InvalidMessageFormatError, QueueOverflowError, ChannelClosedError
   */
  dispatch(listenerId: string, type: string, payload?: Json, options?: { senderId?: string }): string;
  dispatch(listenerId: string, message: Message | SignedMessage): string;
  /**
   * Queues a message for every listener (encoded once); returns its id.
   * @throws InvalidMessageFormatError, QueueOverflowError (policy "error"), ChannelClosedError
   */
  broadcast(type: string, payload?: Json): string;
  broadcast(message: Message): string;
  /** @throws NoMessagesError when the queue is empty; QueueOverflowError once a disconnected listener is drained. */
  deliverNext(listenerId: string): Delivery;
  /** Waits without polling; ends on notifyEnd(), removeListener() or abort. */
  messages(listenerId: string, options?: { signal?: AbortSignal }): AsyncIterableIterator<Delivery>;
  /** SSE bytes: `retry:`, the replay, then live frames; closing it removes the listener. */
  stream(listenerId: string, options?: StreamOptions): ReadableStream<Uint8Array>;
  /** stream() in a Response with content-type text/event-stream and cache-control no-cache. */
  response(listenerId: string, init?: ResponseOptions): Response;
  /** Delivers what is queued, then ends every stream (with `_eric_channel_closed`) and iterator. */
  notifyEnd(): void;
}

export interface FrameFields {
  event?: string;
  data?: string;
  id?: string;
  /** Milliseconds; a non-negative integer. */
  retry?: number;
  comment?: string;
}

/** One SSE frame as text. @throws InvalidMessageFormatError on CR/LF in event or id, NUL in id, bad retry. */
export function encode(fields: FrameFields): string;

export class EricSseError extends Error {}
export class NoMessagesError extends EricSseError { name: "NoMessagesError"; }
export class InvalidListenerError extends EricSseError { name: "InvalidListenerError"; }
export class InvalidChannelError extends EricSseError { name: "InvalidChannelError"; }
export class InvalidMessageFormatError extends EricSseError { name: "InvalidMessageFormatError"; }
export class QueueOverflowError extends EricSseError { name: "QueueOverflowError"; }
export class ChannelClosedError extends EricSseError { name: "ChannelClosedError"; }

export type InitInput = RequestInfo | URL | Response | BufferSource | WebAssembly.Module;
/** Browser / manual-init entry only: loads the .wasm (next to the glue by default). */
export function init(input?: { module_or_path?: InitInput | Promise<InitInput> }): Promise<unknown>;
/** Browser / manual-init entry only: instantiates from bytes or a compiled module. */
export function initSync(input: { module: BufferSource | WebAssembly.Module }): unknown;

// ---- SSE parser ----

/** A parsed event, with MessageEvent semantics (`type` defaults to "message"). */
export interface SseEvent {
  type: string;
  data: string;
  /** The stream's last event id at dispatch time (persists across events). */
  lastEventId: string;
}

export interface ParserHandlers {
  onEvent(event: SseEvent): void;
  /** A `retry:` field of ASCII digits only, in milliseconds. */
  onRetry?(ms: number): void;
  onComment?(text: string): void;
  /** A line over maxLineBytes was skipped. Without it, feed() throws the ParseError. */
  onError?(error: ParseError): void;
  /** Skip and report lines longer than this many bytes (0: no limit). */
  maxLineBytes?: number;
  /** Seed the last event id (resuming a stream). */
  lastEventId?: string;
}

export interface Parser {
  /** Bytes (the fast path) or text; any chunking. */
  feed(chunk: Uint8Array | ArrayBuffer | ArrayBufferView | string): void;
  /** Starts a new stream (BOM expected again, partial event dropped); keeps lastEventId. */
  reset(): void;
  readonly lastEventId: string;
}

export function createParser(handlers: ParserHandlers): Parser;

/** Bytes or strings in, SseEvent out: `body.pipeThrough(new SseParserStream())`. */
export class SseParserStream extends TransformStream<Uint8Array | string, SseEvent> {
  constructor(options?: SseParserStreamOptions);
}

export class ParseError extends EricSseError { name: "ParseError"; }

// ---- client ----

export interface BackoffOptions {
  /** Growth per consecutive failure. Default 2. */
  factor?: number;
  /** Cap of the grown delay (ms). Default 30000. */
  maxMs?: number;
  /** Up to this share is taken off each grown delay at random. Default 0.3. */
  jitter?: number;
}

export interface ConnectOptions {
  method?: string;
  headers?: HeadersInit;
  /** Sent again on every reconnection, so not a ReadableStream. */
  body?: string | ArrayBuffer | ArrayBufferView | Blob | FormData | URLSearchParams;
  /** Sent as Last-Event-ID on the first request. */
  lastEventId?: string;
  /** Reconnection delay until the server sends `retry:`. Default 3000. */
  retryMs?: number;
  /** Consecutive failed attempts before giving up. Default Infinity. */
  maxRetries?: number;
  /** Exponential backoff after repeated failures, or false for a fixed delay. */
  backoff?: BackoffOptions | false;
  maxLineBytes?: number;
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

/** The "error" event: `error` says why; `retryInMs` is set when a reconnection follows. */
export class SseErrorEvent extends Event {
  readonly error: unknown;
  readonly retryInMs: number | undefined;
}

export class SseClient extends EventSource implements AsyncIterable<SseEvent> {
  static readonly CONNECTING: 0;
  static readonly OPEN: 1;
  static readonly CLOSED: 2;
  readonly url: string;
  readonly readyState: 0 | 1 | 2;
  readonly lastEventId: string;
  readonly retryMs: number;
  close(): void;
  [Symbol.asyncIterator](): AsyncIterableIterator<SseEvent>;
}

/** SSE over fetch with reconnection, Last-Event-ID and backoff. Iterate it or listen to it. */
export function connect(url: string | URL, options?: ConnectOptions): SseClient;

/** The client gave up: HTTP status other than 2xx (`status`), wrong content type, or maxRetries. */
export class ConnectionError extends EricSseError {
  name: "ConnectionError";
  readonly status: number | undefined;
  readonly attempts: number | undefined;
}

// ---- EventSource, and the parser and client options that came with it ----
// (Added with the EventSource class; the interfaces below merge into the declarations above.)

export interface ParserHandlers {
  /** The last event id changed: a block ended with a new `id` (before that block's event, if any). */
  onId?(lastEventId: string): void;
  /** Drop (and report) an event whose data passes this many bytes (0: no limit). */
  maxEventBytes?: number;
}

export interface Parser {
  /** Bytes held for the line and event being read (bounded when both limits are set). */
  readonly bufferedBytes: number;
}

export interface SseParserStreamOptions {
  onRetry?(ms: number): void;
  onComment?(text: string): void;
  onId?(lastEventId: string): void;
  /** Called for each ParseError; without it, the first one errors the stream. */
  onError?(error: ParseError): void;
  maxLineBytes?: number;
  maxEventBytes?: number;
  lastEventId?: string;
}

export interface ParseError {
  /** Which limit was hit. */
  readonly type: "line-too-long" | "event-too-long";
  readonly limit: number;
}

export interface SseEvent {
  /** Iterating connect(): the origin of the final (post-redirect) response URL. */
  origin?: string;
}

export interface ConnectOptions {
  /** Credentials mode "include" instead of "same-origin" (browsers). Default false. */
  withCredentials?: boolean;
  /** Floor of every reconnection delay (ms). Default 10. */
  minRetryMs?: number;
  /** Drop (and report) an event whose data passes this many bytes. Default 16 MiB (0: no limit). */
  maxEventBytes?: number;
}

/** `new EventSource(url, init)`: the browser's `{ withCredentials }` plus connect()'s options. */
export interface EventSourceInit extends ConnectOptions {}

export interface SseErrorEvent {
  /** The HTTP status, when the error has one (the `eventsource` package's ErrorEvent.code). */
  readonly code: number | undefined;
  /** The error's message ("" when none). */
  readonly message: string;
}

export interface EventSourceEventMap {
  open: Event;
  message: MessageEvent<string>;
  error: SseErrorEvent;
}

/**
 * The WHATWG EventSource over fetch, for any runtime with fetch: a drop-in for the browser's,
 * plus the options of EventSourceInit. Only a 200 text/event-stream response opens it;
 * reconnection sends Last-Event-ID (UTF-8) with the id of the last complete event.
 */
export class EventSource extends EventTarget {
  /** @throws DOMException "SyntaxError" when the URL cannot be parsed; TypeError/RangeError for bad options. */
  constructor(url: string | URL, eventSourceInitDict?: EventSourceInit);
  static readonly CONNECTING: 0;
  static readonly OPEN: 1;
  static readonly CLOSED: 2;
  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSED: 2;
  readonly url: string;
  readonly withCredentials: boolean;
  readonly readyState: 0 | 1 | 2;
  /** Not in the browser's interface: the id sent as Last-Event-ID on reconnection. */
  readonly lastEventId: string;
  /** Not in the browser's interface: the reconnection time in force (ms). */
  readonly retryMs: number;
  onopen: ((this: EventSource, ev: Event) => unknown) | null;
  onmessage: ((this: EventSource, ev: MessageEvent<string>) => unknown) | null;
  onerror: ((this: EventSource, ev: SseErrorEvent) => unknown) | null;
  addEventListener<K extends keyof EventSourceEventMap>(type: K,
    listener: (this: EventSource, ev: EventSourceEventMap[K]) => unknown, options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: (this: EventSource, ev: MessageEvent<string>) => unknown,
    options?: boolean | AddEventListenerOptions): void;
  addEventListener(type: string, listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions): void;
  removeEventListener<K extends keyof EventSourceEventMap>(type: K,
    listener: (this: EventSource, ev: EventSourceEventMap[K]) => unknown, options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: (this: EventSource, ev: MessageEvent<string>) => unknown,
    options?: boolean | EventListenerOptions): void;
  removeEventListener(type: string, listener: EventListenerOrEventListenerObject | null,
    options?: boolean | EventListenerOptions): void;
  close(): void;
}

// ---- hub ----

export type HubAction =
  | "createChannel" | "removeChannel" | "addListener" | "removeListener"
  | "dispatch" | "broadcast" | "listen" | "watch";

export interface HubOptions {
  /** true allows; false refuses with 403; 401 or 403 picks the status. `request` is undefined for ports. */
  authorize?(request: Request | undefined, target: { action: HubAction; channel?: string; listener?: string }):
    boolean | 401 | 403 | Promise<boolean | 401 | 403>;
  limits?: { maxBodyBytes?: number; maxChannels?: number; maxListenersPerChannel?: number };
  /** true: any origin; or one origin. Preflights are answered. */
  cors?: true | { origin: string };
  /** Options for every channel the hub creates. */
  channelOptions?: Omit<ChannelOptions, "id">;
}

/** eric-sse's controller protocol: c channel, v verb, t type, p payload, r receiver listener. */
export interface Command {
  c?: string;
  v: "d" | "b" | "c" | "r" | "rl" | "rc" | "l" | "w";
  t?: string;
  p?: Json;
  r?: string;
}

export class ChannelContainer {
  add(channel: Channel): Channel;
  /** @throws InvalidChannelError */
  get(id: string): Channel;
  /** Ends the channel (streams close with _eric_channel_closed) and forgets it. */
  remove(id: string): void;
  ids(): string[];
  readonly size: number;
}

export interface Hub {
  /** The Web-standard handler: `export default hub`, `Deno.serve(hub.fetch)`, `respondWith(hub.fetch(req))`. */
  fetch(request: Request): Promise<Response>;
  channels: ChannelContainer;
  /** Runs one command (as POST /command does); l/w resolve to a `listen` target. */
  execute(command: Command, request?: Request): Promise<
    | { ack: true; id?: string } | { c: string } | { r: string }
    | { listen: { channel: Channel; listener: string } }>;
  /** Serves commands on a MessagePort or BroadcastChannel; returns a function that stops it. */
  connectPort(port: MessagePort | BroadcastChannel): () => void;
}

export function createHub(options?: HubOptions): Hub;

/** What the hub answers with: `status` and `{ error: { name, message } }`. */
export class HubError extends EricSseError {
  readonly status: number;
}

// ---- worker pool, data processing, action listener ----

export interface PoolOptions {
  /** Workers (default: the core count). An inline pool runs one task at a time. */
  size?: number;
  /** Tasks waiting for a worker before run() rejects at once with QueueOverflowError. */
  maxQueue?: number;
}

export interface RunOptions {
  /** ArrayBuffers moved to the worker instead of copied. */
  transfer?: Transferable[];
  /** Aborting removes a queued task, or terminates (and replaces) the worker running it. */
  signal?: AbortSignal;
}

export type Tasks = Record<string, (payload: any) => unknown>;

/**
 * Named tasks on Web Workers (browsers, Deno), worker_threads (Node), or inline where no
 * workers exist (workerd, service workers: pass the task functions). The compiled .wasm module
 * is posted to each worker; workers never fetch or compile it again.
 */
export class WorkerPool {
  constructor(moduleUrlOrTasks: string | URL | Tasks, options?: PoolOptions);
  readonly size: number;
  readonly inline: boolean;
  readonly queued: number;
  /** @throws TaskError (worker-side name/message/stack), WorkerCrashError, QueueOverflowError, PoolClosedError, the signal's reason */
  run<T = unknown>(task: string, payload?: unknown, options?: RunOptions): Promise<T>;
  /** Finishes queued and running work, then ends the workers. */
  close(): Promise<void>;
  /** Ends the workers now; what is queued or running rejects with PoolClosedError. */
  terminate(): void;
}

/** Worker side: answers the pool's runs with tasks[name](payload); returns `tasks`. */
export function serve<T extends Tasks>(tasks: T): T;
/** From a task: return `value`, moving the ArrayBuffers in `list` back to the caller. */
export function transfer<T>(value: T, list: Transferable[]): T;

/** A task threw; `name`, `message` and `stack` are the worker side's. */
export class TaskError extends EricSseError { readonly remoteStack: string | undefined; }
export class WorkerCrashError extends EricSseError { name: "WorkerCrashError"; }
export class PoolClosedError extends EricSseError { name: "PoolClosedError"; }

export interface DataProcessingOptions extends ChannelOptions {
  pool: WorkerPool;
  /** The pool task that processes each message's payload. */
  task: string;
  /** Tasks in flight per process() (default: the pool's size). */
  maxWorkers?: number;
}

/** A channel whose listener queues drain through a WorkerPool (eric-sse's DataProcessingChannel). */
export class DataProcessingChannel extends Channel {
  constructor(options: DataProcessingOptions);
  /** Results `{ id, type, payload: result }` in completion order (or dispatch order with `ordered`);
   * ends after notifyEnd() once in-flight work is done; a task failure is thrown. */
  process(listenerId: string, options?: { ordered?: boolean; signal?: AbortSignal }): AsyncGenerator<Delivery<unknown>>;
}

export type Reply = Message | { type: string; payload?: Json };

/**
 * Acts on its own messages: for a type with an action, fn(message) returns replies dispatched back
 * to message.senderId, signed by this listener. "start"/"stop" toggle it; a throwing action answers
 * with `_eric_error` { type, name, message }.
 */
export class ActionListener extends Listener {
  /** @throws InvalidMessageFormatError for "start"/"stop" or an empty name */
  setAction(name: string, fn: (message: Delivery) => Reply | Reply[] | void | Promise<Reply | Reply[] | void>): void;
  removeAction(name: string): void;
  onUnknown?: (message: Delivery) => void;
  /** What cannot be answered (no sender, a bad reply); default logs to console.error. */
  onError: (error: unknown, message: Delivery | undefined) => void;
}

export interface Channel {
  /** Creates, registers and returns a running ActionListener (it consumes its own queue). */
  addActionListener(): ActionListener;
}
