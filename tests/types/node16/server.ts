// Server-side usage with Node's own types: no DOM lib, no skipLibCheck.
import { createServer } from "node:http";
import { Channel, createHub, type Hub } from "eric-sse";
import { init, initSync } from "eric-sse/init";

const channel = new Channel<{ at: Date }>();
const hub: Hub = createHub({ onError: (error, request) => console.error(request?.url, error) });
createServer(async (req, res) => {
  const listener = channel.addListener();
  for await (const chunk of channel.stream(listener.id, { lastEventId: req.headers["last-event-id"] as string | undefined })) {
    res.write(chunk);
  }
  res.end();
});
channel.broadcast("tick", { at: new Date() });
await init(new URL("./eric_sse_bg.wasm", import.meta.url));
initSync({ module: new Uint8Array(8) });
const { port1 } = new MessageChannel();
hub.connectPort(port1);
