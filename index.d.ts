// Types for the eric-sse package. Every runtime entry exports this API. The Node, Deno and
// workerd entries load the .wasm on import; the browser entry and the manual-init entry
// `eric-sse/init` (workers, bundles) need `init()` or `initSync()` first. The subpaths
// `eric-sse/channel` and `eric-sse/client` export parts of it (channel.d.ts, client.d.ts).
//
// No DOM lib needed: the declarations use only what ES2022 plus @types/node (or Deno, Bun, or
// the DOM lib) declare, and small local shapes for the rest.

/** JSON values: what payloads come back as (parsed from the JSON they were sent as). */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * Checks a payload against what `JSON.stringify` can encode: primitives, arrays, objects and
 * interfaces (optional fields included), and anything with `toJSON` (Date). Functions, symbols
 * and bigints become `never`, so passing them is a type error.
 */
export type Serializable<P> =
  [P] extends [Json] ? P
  : P extends string | number | boolean | null | undefined ? P
  : P extends bigint | symbol | ((...args: never[]) => unknown) ? never
  : P extends { toJSON(key?: any): any } ? P
  : P extends object ? { [K in keyof P]: Serializable<P[K]> }
  : never;

/** What a payload of type P is delivered as: the parsed JSON (Date → string, undefined dropped). */
export type Jsonified<P> =
  P extends string | number | boolean | null ? P
  : P extends { toJSON(key?: any): infer R } ? Jsonified<R>
  : P extends undefined | bigint | symbol | ((...args: never[]) => unknown) ? never
  : P extends readonly (infer E)[] ? Array<Jsonified<E> | ([undefined] extends [E] ? null : never)>
  : P extends object ? { [K in keyof P]: Jsonified<P[K]> }
  : Json;

/** Deliveries of a Channel<T>: `Json` for the default channel, else T as parsed back from JSON. */
export type Delivered<T> = [Json] extends [T] ? Json : Jsonified<T>;

/** What a Channel<T> accepts (payloads are also checked with Serializable): any value for the
 * default channel (`Channel<Json>`, whose deliveries are JSON anyway), else a T. */
export type Accepts<T> = [Json] extends [T] ? unknown : T;

// ---- platform shapes (so the declarations need no DOM lib) ----

/** Bytes: an ArrayBuffer or a view on one (the DOM's BufferSource). */
export type Bytes = ArrayBuffer | ArrayBufferView;
/** A compiled WebAssembly.Module where the platform's types declare one. */
export type WasmModule = typeof globalThis extends { WebAssembly: { Module: { prototype: infer M } } } ? M : object;

/** Where the .wasm comes from: a URL (string or URL), a Request or Response, bytes, or a compiled Module. */
export type InitInput = string | URL | Request | Response | Bytes | WasmModule;

/**
 * Fetches (file: URLs are read from disk in Node, Deno and Bun), compiles and instantiates the
 * .wasm; by default the package's pkg/eric_sse_bg.wasm, which a bundler may not copy: see the
 * README's "Bundlers" section. Resolves once the API is usable; once loaded (the Node, Deno and
 * workerd entries load it on import) it does nothing. @throws WasmLoadError naming the URL tried,
 * or saying that the engine lacks WebAssembly SIMD128 (the .wasm needs it).
 */
export function init(input?: { module_or_path?: InitInput | Promise<InitInput> } | InitInput | Promise<InitInput>): Promise<void>;

/** Instantiates synchronously from bytes or a compiled Module (what a WorkerPool posts).
 * @throws WasmLoadError when the engine lacks WebAssembly SIMD128 (the .wasm needs it). */
export function initSync(input: { module: Bytes | WasmModule } | Bytes | WasmModule): void;

/** What `Channel.pipe` needs of a Node writable such as http.ServerResponse. */
export interface NodeWritableLike {
  write(chunk: Uint8Array): boolean;
  end(): void;
  destroy(error?: Error): void;
  on(event: "close" | "drain", listener: () => void): unknown;
  off(event: "close" | "drain", listener: () => void): unknown;
  writeHead?(status: number, headers: Record<string, string>): unknown;
  flushHeaders?(): void;
}
/** Headers as `fetch` takes them. */
export type HeadersLike = Headers | Record<string, string> | [string, string][];
/** A MessagePort, BroadcastChannel or anything with the same message interface. */
export interface PortLike {
  postMessage(message: any): void;
  addEventListener(type: "message", listener: (event: any) => void): void;
  removeEventListener(type: "message", listener: (event: any) => void): void;
  start?(): void;
}
export interface ListenerOptions {
  capture?: boolean;
  once?: boolean;
  passive?: boolean;
  signal?: AbortSignal;
}

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
  /**
   * The first keep-alive of a stream that sent nothing since it opened goes out after at most
   * this long (ms), so a client that left is found by the first failing write. 0: keepAliveMs.
   * Default 1000.
   */
  firstKeepAliveMs?: number;
  /** Messages kept for Last-Event-ID replay. Default 256. */
  historySize?: number;
  /** Bytes of messages kept for replay (or Infinity). Default 8 MiB. */
  historyBytes?: number;
  /** Per-listener queue cap in messages (≥ 1, or Infinity). Default 10000. */
  maxQueue?: number;
  /** Per-listener queue cap in bytes (or Infinity); the overflow policy applies to it too. Default 8 MiB. */
  maxQueueBytes?: number;
  /** The largest payload (JSON bytes) accepted; larger ones throw PayloadTooLargeError. Default 4 MiB. */
  maxMessageBytes?: number;
  /** What a full queue does. Default "disconnect". */
  overflow?: OverflowPolicy;
  /**
   * The engine this channel is a replica of (Redis Streams, Durable Objects, memoryBackplane):
   * ids come from the engine, `publish`/`publishTo` go through it, replays the replica's own
   * history cannot prove are read from the engine's log.
   */
  backplane?: Backplane;
}

/**
 * A delivered message. `id` is `"<epoch>-<seq>"` (the epoch is new for every lifetime of a
 * channel, so ids never repeat); null only for the library's own notices (`_eric_dropped`,
 * `_eric_replay_gap`).
 */
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

/** A listener of a Channel<T>; its deliveries are typed by T. */
export class Listener<T = Json> {
  constructor(options?: { id?: string });
  readonly id: string;
  readonly isRunning: boolean;
  /** Runs at delivery time; if it throws, the message stays queued and the error reaches the consumer. */
  onMessage?: (message: Delivery<Delivered<T>>) => void;
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

/**
 * A channel whose payloads are of type T (anything JSON.stringify encodes). The default,
 * `Channel<Json>`, accepts any serializable payload (interfaces, Date, optional fields) and
 * delivers JSON; `Channel<Tick>` accepts Ticks and delivers `Jsonified<Tick>`.
 */
export class Channel<T = Json> {
  /** @throws InvalidOptionError for an option out of its kind or range. */
  constructor(options?: ChannelOptions);
  readonly id: string;
  /** The settings in force, defaults filled in (the backplane, if any, is not among them). */
  readonly options: Required<Omit<ChannelOptions, "backplane">>;
  /** True once notifyEnd() was called. */
  readonly ended: boolean;
  /** The id of the last message, or undefined before the first. */
  readonly lastId: string | undefined;
  /** How many listeners are registered. */
  readonly listenerCount: number;
  addListener(): Listener<T>;
  /**
   * @throws ListenerExistsError when the id is taken, InvalidListenerError when it is malformed
   * (ids are 1–256 visible ASCII characters, not "." or "..") or the listener is registered elsewhere.
   */
  registerListener<L extends Listener<any>>(listener: L): L;
  /** @throws InvalidListenerError */
  removeListener(listenerId: string): void;
  hasListener(listenerId: string): boolean;
  /** @throws InvalidListenerError */
  getListener(listenerId: string): Listener<T>;
  listenerIds(): string[];
  /**
   * Queues a message for one listener; returns its id.
   * @throws InvalidListenerError, InvalidMessageFormatError, PayloadTooLargeError, QueueOverflowError,
   *   ChannelClosedError, MemoryLimitError
   */
  dispatch<P extends Accepts<T> = never>(listenerId: string, type: string, payload?: P & Serializable<P>, options?: { senderId?: string }): string;
  dispatch<P extends Accepts<T>>(listenerId: string, message: Message<P & Serializable<P>>): string;
  /**
   * Queues a message for every listener (encoded once); returns its id.
   * @throws InvalidMessageFormatError, QueueOverflowError (policy "error"), ChannelClosedError
   */
  broadcast<P extends Accepts<T> = never>(type: string, payload?: P & Serializable<P>): string;
  broadcast<P extends Accepts<T>>(message: Message<P & Serializable<P>>): string;
  /** @throws NoMessagesError when the queue is empty; QueueOverflowError once a disconnected listener is drained. */
  deliverNext(listenerId: string): Delivery<Delivered<T>>;
  /** Waits without polling; ends on notifyEnd(), removeListener() or abort. */
  messages(listenerId: string, options?: { signal?: AbortSignal }): AsyncIterableIterator<Delivery<Delivered<T>>>;
  /** SSE bytes: `retry:`, the replay, then live frames; closing it removes the listener. Chunks may be shared between streams (do not modify them); in Node they are Buffers. */
  stream(listenerId: string, options?: StreamOptions): ReadableStream<Uint8Array>;
  /**
   * The listener's SSE written straight to a Node `http.ServerResponse` (or any writable with
   * write/end/destroy and drain/close events): headers, `retry:`, the replay after
   * `lastEventId` (or `request`'s Last-Event-ID), live frames, with the writable's backpressure.
   * The client closing the connection removes the listener. Under 1 KB per connection.
   */
  pipe(listenerId: string, res: NodeWritableLike, options?: {
    request?: { headers: Record<string, string | string[] | undefined> };
    lastEventId?: string | null;
    headers?: Record<string, string>;
  }): void;
  /** stream() in a Response with content-type text/event-stream and cache-control no-cache. */
  response(listenerId: string, init?: ResponseOptions): Response;
  /** Delivers what is queued, then ends every stream (with `_eric_channel_closed`) and iterator. */
  notifyEnd(): void;
  /** Creates, registers and returns a running ActionListener (it consumes its own queue). */
  addActionListener(): ActionListener;
  /** Sends an `_eric_error` reply from `fromId` to a listener (how an ActionListener answers a failed action). */
  replyError(listenerId: string, fromId: string, payload: Json): string;
  /**
   * Publishes to every listener — on every node for a channel on a backplane, where the engine
   * assigns the id and the message is delivered here as it comes back. `broadcast` on a local channel.
   * @throws (rejects) BackplaneError when the engine is down; the errors of broadcast
   */
  publish<P extends Accepts<T> = never>(type: string, payload?: P & Serializable<P>): Promise<string>;
  /** `publish` to one listener, which may be on any node (`dispatch` on a local channel). */
  publishTo<P extends Accepts<T> = never>(listenerId: string, type: string, payload?: P & Serializable<P>, options?: { senderId?: string }): Promise<string>;
  /** Settles once a channel on a backplane follows its engine's log (at once for a local channel). */
  readonly ready: Promise<void>;
  /** A channel on a backplane stops following its log. */
  detach(): void;
}

// ---- backplanes ----

/** An entry of a channel's log, as an engine hands it out. */
export interface BackplaneEntry {
  /** The engine's id, `<major>-<minor>`, increasing in the log. */
  id: string;
  /** The id of the entry before it in the log (null for the first). */
  prev: string | null;
  type: string;
  /** JSON text. */
  payload: string;
  /** The listener a dispatch is for. */
  target?: string;
  /** The listener a signed message is from. */
  sender?: string;
}

/**
 * An engine holding each channel's log (one writer per channel assigns the ids; the log is a
 * bounded window) that every node publishes to and follows. Guarantees channels get from it:
 * one total order per channel; at-least-once delivery with duplicates removed by id; replay
 * within the window; a resume or a follow that cannot be proven continuous (through each
 * entry's `prev`) is reported with `_eric_replay_gap`, never skipped silently.
 */
export interface Backplane {
  /** Appends; the engine assigns id and prev. Rejects with BackplaneError when the engine is down. */
  append(channel: string, message: { type: string; payload: string; target?: string; sender?: string }): Promise<BackplaneEntry>;
  /** Entries after `after`, in log order, as they come; `state` when the engine goes away or comes back (it resumes by itself). Returns stop. */
  follow(channel: string, after: string | null, handlers: { entries(entries: BackplaneEntry[]): void; state?(up: boolean, error?: unknown): void }): () => void;
  /** The kept entries after `after` (all when null) and the log's last id. */
  read(channel: string, after: string | null): Promise<{ entries: BackplaneEntry[]; tail: string | null }>;
  /** The log's last id, null when empty. */
  tail(channel: string): Promise<string | null>;
  /** True when the channel did not exist. */
  create(channel: string): Promise<boolean>;
  /** Appends the end marker (every replica ends), then forgets the channel; false when unknown. */
  remove(channel: string): Promise<boolean>;
  exists(channel: string): Promise<boolean>;
  list(): Promise<string[]>;
}

/** The reference engine in one JS realm: several hubs sharing it behave as nodes on one engine. */
export function memoryBackplane(options?: { maxLen?: number }): Backplane & {
  /** Takes the engine down (appends and reads reject, followers hear "down") or brings it back. */
  setUp(up: boolean): void;
  /** The engine loses a channel's log (ids start again in a new epoch). */
  lose(channel: string): void;
  size(channel: string): number;
};

/** A channel shared over BroadcastChannel (see shareChannel). */
export interface SharedChannel {
  /** To every sharing context's listeners; returns this context's id for it. */
  publish(type: string, payload?: unknown): string;
  /** To the listener wherever it is: this context's id when it is here, undefined when sent on. */
  publishTo(listenerId: string, type: string, payload?: unknown, options?: { senderId?: string }): string | undefined;
  close(): void;
}

/**
 * Shares a channel with every context a BroadcastChannel of the same name reaches (a page's tabs
 * and workers, worker_threads, Deno workers). Live only: each context numbers its own messages
 * and keeps its own history; each sender's order holds, senders may interleave differently.
 * @throws InvalidOptionError where the runtime has no BroadcastChannel
 */
export function shareChannel(channel: Channel<any>, options?: { name?: string }): SharedChannel;

/** The engine behind a channel refused or could not be reached (503). */
export class BackplaneError extends EricSseError { name: "BackplaneError"; readonly status: number; }

/** Sets the instance's memory budget in bytes (default 512 MiB): past it, new messages and listeners are refused with MemoryLimitError. */
export function setMemoryBudget(bytes: number): void;
/** What every channel's queues, histories and listeners hold now, the budget, and the WebAssembly memory's size (it never shrinks). */
export function memoryUsage(): { liveBytes: number; budgetBytes: number; wasmBytes: number };

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

/** The base of every error; `name` is a constant per class and `status` the HTTP status the hub answers with. */
export class EricSseError extends Error {
  constructor(message?: string, options?: { cause?: unknown });
  /** The HTTP status the hub answers with (for ConnectionError: the failed response's status). */
  readonly status: number | undefined;
}
/** deliverNext found the queue empty (404). */
export class NoMessagesError extends EricSseError { name: "NoMessagesError"; }
/** No such listener, a malformed id, or a call that does not fit its state (404). */
export class InvalidListenerError extends EricSseError { name: "InvalidListenerError" | "ListenerExistsError"; }
/** A listener with this id is already registered (409). */
export class ListenerExistsError extends InvalidListenerError { name: "ListenerExistsError"; }
/** No such channel (404). */
export class InvalidChannelError extends EricSseError { name: "InvalidChannelError" | "ChannelExistsError"; }
/** A channel with this id already exists (409). */
export class ChannelExistsError extends InvalidChannelError { name: "ChannelExistsError"; }
/** A message type, payload, id, command or SSE field that cannot be sent as it is (400). */
export class InvalidMessageFormatError extends EricSseError { name: "InvalidMessageFormatError"; }
/** An option out of its kind or range (400). */
export class InvalidOptionError extends EricSseError { name: "InvalidOptionError"; }
/** A queue is full (policy "error") or its listener was cut off (policy "disconnect") (429). */
export class QueueOverflowError extends EricSseError { name: "QueueOverflowError"; }
/** The channel ended and accepts no more messages (409). */
export class ChannelClosedError extends EricSseError { name: "ChannelClosedError"; }
/** Past the instance's memory budget (setMemoryBudget) (503). */
export class MemoryLimitError extends EricSseError { name: "MemoryLimitError"; }
/** The API was used before `init()` from "eric-sse/init" loaded the .wasm. */
export class NotInitializedError extends EricSseError { name: "NotInitializedError"; }
/**
 * The WebAssembly instance trapped during this call and was replaced (503): every channel
 * rebuilds itself empty on its next call; its clients resume with a gap notice.
 */
export class WasmTrapError extends EricSseError { name: "WasmTrapError"; }
/** The .wasm could not be fetched, read or compiled; the message names the URL tried and the fix. */
export class WasmLoadError extends EricSseError { name: "WasmLoadError"; }

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
  /** The last event id changed: a block ended with a new `id` (before that block's event, if any). */
  onId?(lastEventId: string): void;
  /** A line over maxLineBytes was skipped. Without it, feed() throws the ParseError. */
  onError?(error: ParseError): void;
  /** Skip and report lines longer than this many bytes (0: no limit). */
  maxLineBytes?: number;
  /** Drop (and report) an event whose data passes this many bytes (0: no limit). */
  maxEventBytes?: number;
  /** Seed the last event id (resuming a stream). */
  lastEventId?: string;
}

export interface Parser {
  /** Bytes (the fast path) or text; any chunking. */
  feed(chunk: Uint8Array | ArrayBuffer | ArrayBufferView | string): void;
  /** Starts a new stream (BOM expected again, partial event dropped); keeps lastEventId. */
  reset(): void;
  readonly lastEventId: string;
  /** Bytes held for the line and event being read (bounded when both limits are set). */
  readonly bufferedBytes: number;
}

/** @throws InvalidOptionError for a limit that is not a non-negative integer; TypeError without `onEvent`. */
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
  headers?: HeadersLike;
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
  readonly type: "error";
  readonly error: unknown;
  readonly retryInMs: number | undefined;
}

/** A "message" or named event, as EventSource dispatches it (a MessageEvent). */
export interface SseMessageEvent extends Event {
  readonly data: string;
  readonly lastEventId: string;
  readonly origin: string;
}

/** Events an EventSource (and SseClient) dispatches; any other name is a named SSE event (an SseMessageEvent). */
export interface EventSourceEventMap {
  open: Event;
  error: SseErrorEvent;
  message: SseMessageEvent;
}
/** @deprecated the same as EventSourceEventMap */
export type SseClientEventMap = EventSourceEventMap;

export type SseClientListener<E> = ((this: EventSource, event: E) => void) | { handleEvent(event: E): void };

/**
 * connect()'s client: the same machinery as EventSource, plus an async iterator of events
 * (`for await`, which closes it when the loop ends; a failure rejects `next()`).
 */
export class SseClient extends EventSource implements AsyncIterable<SseEvent> {
  /** Iterating: `break`, `return()`, `close()` or the signal end the loop at once (queued events are dropped). */
  [Symbol.asyncIterator](): AsyncIterableIterator<SseEvent>;
  /** What the next request sends; once closed while iterating, the id of the last event the loop took. */
  readonly lastEventId: string;
}

/** SSE over fetch with reconnection, Last-Event-ID and backoff. Iterate it or listen to it. */
export function connect(url: string | URL, options?: ConnectOptions): SseClient;

/** The client gave up: HTTP status other than 2xx (`status`), wrong content type, or maxRetries. */
export class ConnectionError extends EricSseError {
  name: "ConnectionError";
  readonly status: number | undefined;
  readonly attempts: number | undefined;
}

// ---- EventSource, and the parser stream and client options ----

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
  /** Not in the browser's interface: the id sent as Last-Event-ID on reconnection; once closed, the last dispatched event's. */
  readonly lastEventId: string;
  /** Not in the browser's interface: the reconnection time in force (ms). */
  readonly retryMs: number;
  onopen: ((this: EventSource, ev: Event) => unknown) | null;
  onmessage: ((this: EventSource, ev: SseMessageEvent) => unknown) | null;
  onerror: ((this: EventSource, ev: SseErrorEvent) => unknown) | null;
  addEventListener<K extends keyof EventSourceEventMap>(type: K, listener: SseClientListener<EventSourceEventMap[K]> | null, options?: boolean | ListenerOptions): void;
  addEventListener(type: string, listener: SseClientListener<SseMessageEvent> | null, options?: boolean | ListenerOptions): void;
  removeEventListener<K extends keyof EventSourceEventMap>(type: K, listener: SseClientListener<EventSourceEventMap[K]> | null, options?: boolean | { capture?: boolean }): void;
  removeEventListener(type: string, listener: SseClientListener<SseMessageEvent> | null, options?: boolean | { capture?: boolean }): void;
  close(): void;
}

// ---- hub ----

export type HubAction =
  | "listChannels" | "createChannel" | "removeChannel" | "addListener" | "removeListener"
  | "dispatch" | "broadcast" | "listen" | "watch";

/** What authorize sees besides the request. */
export interface Authorization {
  action: HubAction;
  channel?: string;
  listener?: string;
  /** Who asks (`principal(request)`), when the hub has that option. */
  principal?: string;
  /** Who created the named listener, when known: a policy can keep listeners to their creator. */
  owner?: string;
}

export interface HubOptions {
  /** true allows; false refuses with 403; 401 or 403 picks the status. `request` is undefined for ports. */
  authorize?(request: Request | undefined, target: Authorization): boolean | 401 | 403 | Promise<boolean | 401 | 403>;
  /**
   * Who a request comes from. Listeners the hub creates are bound to it; a `listen` may register
   * again only a listener that left this hub, for the principal it belonged to.
   */
  principal?(request: Request | undefined): string | undefined | Promise<string | undefined>;
  /** The engine the hub's channels live in: its registry holds them, publishes go through it, listeners stay on this node. */
  backplane?: Backplane;
  limits?: { maxBodyBytes?: number; maxChannels?: number; maxListenersPerChannel?: number };
  /** true: any origin; or one origin. Preflights are answered. */
  cors?: true | { origin: string };
  /** Options for every channel the hub creates. */
  channelOptions?: Omit<ChannelOptions, "id">;
  /** Called for every error answered with 500 (`request` is the one that failed; undefined for ports). Default: console.error. */
  onError?(error: unknown, request: Request | undefined): void;
}

/** eric-sse's controller protocol: c channel, v verb, t type, p payload, r receiver listener. */
export interface Command {
  c?: string;
  v: "d" | "b" | "c" | "r" | "rl" | "rc" | "l" | "w";
  t?: string;
  p?: Json;
  r?: string;
}

/** Channels by id (eric-sse's channel container); the hub's state. */
export class ChannelContainer {
  /** @throws ChannelExistsError when the id is taken. */
  add(channel: Channel): Channel;
  /** Adds what `make(id)` builds unless the id is taken (ChannelExistsError, before anything is built). */
  create(id: string, make: (id: string) => Channel): Channel;
  has(id: string): boolean;
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
  /** Runs one command (as POST /command does); l/w resolve to the stream to open. */
  execute(command: Command, request?: Request): Promise<
    | { ack: true; id?: string } | { c: string } | { r: string }
    | { stream: { channel: Channel; listener: string } }>;
  /** Serves commands on a MessagePort or BroadcastChannel; returns a function that stops it. */
  connectPort(port: PortLike): () => void;
}

export function createHub(options?: HubOptions): Hub;

/** What `nodeListener` needs of Node's `http.IncomingMessage`. */
export interface NodeRequestLike {
  method?: string;
  url?: string;
  /** Name, value, name, value, … as received. */
  rawHeaders: string[];
  on(event: "data" | "end" | "error", listener: (...args: any[]) => void): unknown;
  pause(): unknown;
  resume(): unknown;
}
/** What `nodeListener` needs of Node's `http.ServerResponse`. */
export interface NodeResponseLike {
  readonly headersSent: boolean;
  writeHead(status: number, headers: string[]): unknown;
  flushHeaders?(): void;
  write(chunk: Uint8Array): boolean;
  end(chunk?: string): unknown;
  destroy(error?: Error): unknown;
  on(event: "close" | "drain", listener: () => void): unknown;
  off(event: "close" | "drain", listener: () => void): unknown;
}
/**
 * A fetch handler (a hub's `fetch`, or any other) as a Node `http` request listener:
 * `createServer(nodeListener(hub.fetch))`. The Request has the method, URL, headers, the body as
 * a stream and a signal that aborts when the client goes away (an SSE stream then removes its
 * listener); the Response's body is written with the socket's backpressure. A handler that
 * throws answers 500 and goes to `onError` (default `console.error`); a request that `URL`,
 * `Headers` or `Request` refuse (a bad Host, a TRACE) answers 400 without reaching the handler.
 */
export function nodeListener(
  fetch: (request: Request) => Response | Promise<Response>,
  options?: { onError?: (error: unknown) => void },
): (req: NodeRequestLike, res: NodeResponseLike) => void;

/** Errors of the hub's protocol; the hub answers `status` and `{ error: { name, message } }`. */
export class HubError extends EricSseError { readonly status: number; }
/** No route for the path (404). */
export class NotFoundError extends HubError { name: "NotFoundError"; }
/** The route takes other methods (405); `allow` lists them. */
export class MethodNotAllowedError extends HubError { name: "MethodNotAllowedError"; readonly allow: string | undefined; }
/** A body or payload over its limit (413). */
export class PayloadTooLargeError extends HubError { name: "PayloadTooLargeError"; }
/** A request body whose Content-Type is not JSON (415). */
export class UnsupportedMediaTypeError extends HubError { name: "UnsupportedMediaTypeError"; }
/** authorize answered 401. */
export class UnauthorizedError extends HubError { name: "UnauthorizedError"; }
/** authorize refused (403). */
export class ForbiddenError extends HubError { name: "ForbiddenError"; }
/** maxChannels or maxListenersPerChannel reached (429). */
export class LimitExceededError extends HubError { name: "LimitExceededError"; }

// ---- Cloudflare Durable Objects: channels that outlive one isolate ----

/** The part of a Durable Object's `ctx.storage.sql` the SQLite engine uses. */
export interface SqlStorageLike {
  exec(query: string, ...bindings: unknown[]): { toArray(): Record<string, unknown>[] };
}

/**
 * The Backplane over SQLite (a Durable Object's `ctx.storage.sql`): the realm holding it is the
 * single writer of its channels. Ids are `<epoch>-<seq>` (the epoch chosen once per channel
 * lifetime and stored), the log is kept on disk capped at `maxLen` entries, reads (replays)
 * come from disk, and ids continue after a restart.
 */
export function sqliteBackplane(sql: SqlStorageLike, options?: {
  /** Entries kept per channel (default 1000). */
  maxLen?: number;
  /** Where created channels are listed; `add` may refuse with LimitExceededError. */
  registry?: { add(channel: string): Promise<void>; remove(channel: string): Promise<void> };
  /** When this realm holds every listener of its channels: a dispatch to an unknown one is refused (404). */
  isListener?(channel: string, listener: string): boolean;
  /** Sees a registry that failed to unlist a removed channel (default console.error). */
  onError?(error: unknown): void;
}): Backplane;

/** What a Durable Object namespace binding offers that the durable hub uses. */
export interface DurableObjectNamespaceLike {
  idFromName(name: string): unknown;
  get(id: unknown): { fetch(input: Request | string, init?: RequestInit): Promise<Response> };
}

export interface DurableHubOptions extends Omit<HubOptions, "backplane"> {
  /** The name of the Durable Object namespace binding in `env` (default "CHANNELS"). */
  binding?: string;
  /** Messages kept per channel on disk: the replay window (default 1000). */
  history?: number;
}

export interface DurableHub {
  /** The front handler (`export default { fetch: hub.fetch }`): routes each request to its channel's object. */
  fetch(request: Request, env: object, ctx?: unknown): Promise<Response>;
  /**
   * The Durable Object class (SQLite storage): export it under the class name the binding names.
   * One object per channel, plus one directory object.
   */
  ChannelObject: new (ctx: { storage: { sql: SqlStorageLike } }, env: object) => { fetch(request: Request): Promise<Response> };
}

/**
 * The hub on Durable Objects: the same routes and POST /command as createHub, one object per
 * channel (its single writer: ids, SQLite history, its SSE connections), across every isolate.
 * `options` may be a function of the Worker's env (for secrets).
 */
export function createDurableHub(options?: DurableHubOptions | ((env: any) => DurableHubOptions)): DurableHub;

// ---- worker pool, data processing, action listener ----

export interface PoolOptions {
  /** Workers (default: the core count). An inline pool runs one task at a time. */
  size?: number;
  /** Tasks waiting for a worker before run() rejects at once with QueueOverflowError. */
  maxQueue?: number;
}

export interface RunOptions {
  /** ArrayBuffers moved to the worker instead of copied. */
  transfer?: readonly object[];
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
  /** Tasks not started yet: waiting here, or sent ahead to a worker that runs another first. */
  readonly queued: number;
  /** @throws TaskError (worker-side name/message/stack; named DataCloneError when the payload or transfer list cannot be posted), WorkerCrashError, QueueOverflowError, PoolClosedError, the signal's reason */
  run<T = unknown>(task: string, payload?: unknown, options?: RunOptions): Promise<T>;
  /** Finishes queued and running work, then ends the workers. */
  close(): Promise<void>;
  /** Ends the workers now; what is queued or running rejects with PoolClosedError. */
  terminate(): void;
}

/** Worker side: answers the pool's runs with tasks[name](payload); returns `tasks`. */
export function serve<T extends Tasks>(tasks: T): T;
/** From a task: return `value`, moving the ArrayBuffers in `list` back to the caller. */
export function transfer<T>(value: T, list: readonly object[]): T;

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
export class DataProcessingChannel<T = Json> extends Channel<T> {
  constructor(options: DataProcessingOptions);
  /** Results `{ id, type, payload: result }` in completion order (or dispatch order with `ordered`);
   * ends after notifyEnd() once in-flight work is done; a task failure is thrown. */
  process(listenerId: string, options?: { ordered?: boolean; signal?: AbortSignal }): AsyncGenerator<Delivery<unknown>>;
}

export type Reply = Message<unknown> | { type: string; payload?: unknown };

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


