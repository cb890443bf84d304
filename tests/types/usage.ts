// Type-checked by `deno check` from a consumer folder (scripts/test.mjs) and by `tsc --strict`
// in every project under tests/types (bundler, node16, nodenext, node-only) against the packed
// tarball: the declarations must accept this usage, and each @ts-expect-error line must be a
// type error. Uses only what every setup declares (no DOM-only or Node-only names).
import {
  Channel, connect, ConnectionError, createParser, type Delivery, encode, InvalidListenerError,
  Listener, Message, NoMessagesError, NotInitializedError, WasmLoadError, type Json, type SseClient, type SseEvent, SseParserStream,
  SignedMessage, createHub, type Hub, WorkerPool, DataProcessingChannel, type ActionListener, serve, transfer,
  EventSource, type EventSourceInit, type SseErrorEvent, type ParseError,
} from "eric-sse";

const channel = new Channel({ retryMs: 1000, overflow: "drop-oldest", maxQueue: 10 });
const listener: Listener = channel.addListener();
listener.onMessage = (m: Delivery) => void m.payload;
const id: string = channel.dispatch(listener.id, "greet", { hello: ["world", 1, null] });
channel.dispatch(listener.id, new SignedMessage("bob", "ping"));
channel.broadcast(new Message("news", 1));
const next: Delivery = channel.deliverNext(listener.id);
const stream: ReadableStream<Uint8Array> = channel.stream(listener.id, { lastEventId: id });
const response: Response = channel.response(listener.id, { request: new Request("http://x/"), status: 200 });
const settings = channel.options;
const keepAlive: number = settings.keepAliveMs;
const channelId: string = settings.id;
// @ts-expect-error the settings in force do not include the backplane (the getter never returns it)
void settings.backplane;
const text: string = encode({ event: "e", data: "d", retry: 10 });
const iterator: AsyncIterableIterator<Delivery> = channel.messages(listener.id, { signal: AbortSignal.timeout(1) });
const named: "NoMessagesError" = new NoMessagesError("x").name;
const notReady: "NotInitializedError" = new NotInitializedError("x").name;
const loadFailed: "WasmLoadError" = new WasmLoadError("x").name;
const isError: Error = new InvalidListenerError("x");
void [next, stream, response, text, iterator, named, isError, notReady, loadFailed];

// Payloads: anything JSON.stringify encodes, interfaces with Date and optional fields included.
interface Tick { n: number; at: Date; note?: string; tags: readonly string[] }
const tick: Tick = { n: 1, at: new Date(0), tags: ["a"] };
channel.broadcast("tick", tick);
channel.dispatch(listener.id, "tick", tick, { senderId: "me" });
channel.broadcast("bare");
channel.broadcast("list", [tick, null, 1, "x"]);
// A typed channel: sends are checked against T, deliveries are T as parsed back from JSON.
const ticks = new Channel<Tick>({ historySize: 10 });
const reader: Listener<Tick> = ticks.addListener();
ticks.broadcast("tick", tick);
ticks.dispatch(reader.id, new Message("tick", { n: 2, at: new Date(), tags: [] }));
const delivered = ticks.deliverNext(reader.id);
const at: string = delivered.payload.at;
const note: string | undefined = delivered.payload.note;
const n: number = delivered.payload.n;
reader.onMessage = (m) => void m.payload.tags[0];
for await (const d of ticks.messages(reader.id)) void d.payload.at.toUpperCase();
const json: Json = channel.deliverNext(listener.id).payload;
void [at, note, n, json];
// @ts-expect-error a typed channel refuses what is not a T
ticks.broadcast("tick", { n: "one" });
// @ts-expect-error deliveries carry the JSON form: a Date comes back as a string
const notADate: Date = ticks.deliverNext(reader.id).payload.at;
// @ts-expect-error functions inside payloads cannot be encoded
channel.broadcast("t", { fn: () => 1 });
// @ts-expect-error bigints cannot be encoded
channel.dispatch(listener.id, "t", 10n);
void notADate;

// @ts-expect-error overflow policies are a closed set
new Channel({ overflow: "drop" });
// @ts-expect-error payloads must be JSON values
channel.broadcast("t", () => 1);
// @ts-expect-error listener ids are strings
channel.deliverNext(3);
// @ts-expect-error retry is a number
encode({ retry: "10" });

const parser = createParser({ onEvent: (e: SseEvent) => void e.lastEventId, maxLineBytes: 1 << 20 });
parser.feed(new Uint8Array([100]));
parser.feed("data: x\n\n");
const events: ReadableStream<SseEvent> = new Response("").body!.pipeThrough(new SseParserStream());
const client: SseClient = connect("http://127.0.0.1/", { method: "POST", body: "x", backoff: { factor: 3 } });
client.addEventListener("error", (e) => void e.retryInMs);
client.addEventListener("message", (e) => { const data: string = e.data; void [data, e.lastEventId]; });
client.addEventListener("tick", (e) => void e.data.length);
client.addEventListener("open", (e) => void e.type);
// @ts-expect-error an "error" event carries no data
client.addEventListener("error", (e) => void e.data);
for await (const e of client) void e.data;
const failure = new ConnectionError("x");
const status: number | undefined = failure.status;
void [events, status];
// @ts-expect-error a stream body cannot be re-sent
connect("http://x/", { body: new ReadableStream() });

const hub: Hub = createHub({
  onError: (error, request) => console.error(request?.method, request?.url, error),
  authorize: (request, { action }) => action === "listen" || request?.headers.has("authorization") === true || 401,
  limits: { maxChannels: 10 }, cors: true,
});
const served: Promise<Response> = hub.fetch(new Request("http://127.0.0.1/channels"));
void [served, hub.channels.ids(), hub.execute({ v: "c" })];
// @ts-expect-error unknown verbs are not commands
hub.execute({ v: "x" });

const pool = new WorkerPool(new URL("./tasks.js", import.meta.url), { size: 2, maxQueue: 100 });
const squared: Promise<number> = pool.run<number>("square", 3, { signal: AbortSignal.timeout(1000) });
const inlinePool = new WorkerPool({ square: (n: number) => n * n });
const dp = new DataProcessingChannel({ pool, task: "square", maxWorkers: 2 });
const actor: ActionListener = dp.addActionListener();
actor.setAction("ping", (m) => [new Message("pong", m.payload)]);
void [squared, inlinePool, serve({ noop: () => null }), transfer({ b: new ArrayBuffer(1) }, [])];
// @ts-expect-error run options take a transfer list, not a number
pool.run("square", 1, { transfer: 5 });

// EventSource: the browser's shape, plus the options of connect().
const init: EventSourceInit = { withCredentials: true, headers: { authorization: "x" }, maxEventBytes: 1 << 20, minRetryMs: 5 };
const source = new EventSource(new URL("http://127.0.0.1/"), init);
const state: 0 | 1 | 2 = source.readyState;
const open: 1 = EventSource.OPEN === source.OPEN ? source.OPEN : 1;
source.onmessage = (e) => void (e.data.toUpperCase() + e.lastEventId + e.origin);
source.onerror = (e) => void [e.code, e.message, e.error, e.retryInMs];
source.addEventListener("tick", (e) => void e.data.length);
source.addEventListener("error", (e) => void e.retryInMs);
const asEventSource: EventSource = connect("http://127.0.0.1/", { withCredentials: false });
const parserWithIds = createParser({ onEvent() {}, onId: (id: string) => void id, maxEventBytes: 1024 });
const held: number = parserWithIds.bufferedBytes;
new SseParserStream({ onError: (e: ParseError) => void [e.type, e.limit], onId: () => {}, maxEventBytes: 10 });
void [state, open, asEventSource, held];
// @ts-expect-error readyState is read-only
source.readyState = 1;
// @ts-expect-error message data is a string
source.onmessage = (e) => void (e.data satisfies number);
// @ts-expect-error withCredentials is a boolean
new EventSource("http://x/", { withCredentials: "yes" });
const typed: SseErrorEvent | undefined = undefined;
void typed;
