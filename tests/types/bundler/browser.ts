// Browser-side usage: init comes from "eric-sse/init" only.
import { Channel, init, initSync, WorkerPool, type InitInput } from "eric-sse/init";
// @ts-expect-error init is not exported by "eric-sse" (Node, Deno and workerd load the .wasm on import)
import { init as notHere } from "eric-sse";

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
void [notHere, input, pool, port1];
