// Every entry's declarations load without the DOM lib, init.d.ts included.
import * as main from "eric-sse";
import * as manual from "eric-sse/init";

const bytes: Uint8Array = new Uint8Array(8);
manual.initSync({ module: bytes });
await manual.init(new URL("file:///app/node_modules/eric-sse/pkg/eric_sse_bg.wasm"));
const parser = main.createParser({ onEvent: (e) => console.log(e.type, e.data) });
parser.feed(bytes);
const client = main.connect("http://127.0.0.1:8080/events", { headers: { authorization: "x" } });
client.addEventListener("message", (event) => console.log(event.data));

// Node's own request and response fit what nodeListener and pipe ask of them.
import { createServer } from "node:http";
createServer(main.nodeListener(main.createHub().fetch, { onError: (error) => console.error(error) }));
createServer((req, res) => {
  const channel = new main.Channel();
  channel.pipe(channel.addListener().id, res, { request: req });
});
