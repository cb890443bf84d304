// Browser-side usage: init from "eric-sse/init" (or any entry: each exports init and initSync),
// and the subpaths, whose types hold only their part of the API as values.
import { Channel, init, initSync, WorkerPool, type InitInput } from "eric-sse/init";
import { init as fromMain } from "eric-sse";
import { connect, ParseError, type SseEvent, init as initClient } from "eric-sse/client";
import { Channel as SubsetChannel, createHub } from "eric-sse/channel";

await init({ module_or_path: new URL("/assets/eric_sse_bg.wasm", location.href) });
await init("/assets/eric_sse_bg.wasm");
await init(fetch("/assets/eric_sse_bg.wasm"));
initSync({ module: new Uint8Array(8) });
initSync(new WebAssembly.Module(new Uint8Array(8)));
const input: InitInput = new Response(null);
// @ts-expect-error initSync needs the bytes or the Module
initSync();
const channel = new Channel<{ text: string }>();
channel.broadcast("note", { text: "hi" });
const pool = new WorkerPool(new URL("./tasks.js", import.meta.url));
const { port1 } = new MessageChannel();
const client = connect("/events");
const seen: SseEvent[] = [];
client.addEventListener("message", (event) => seen.push(event as unknown as SseEvent));
void new SubsetChannel<{ n: number }>().broadcast("tick", { n: 1 });
// @ts-expect-error eric-sse/channel has no hub: createHub is there as a type only
createHub();
void [fromMain, initClient, input, pool, port1, ParseError, seen];
