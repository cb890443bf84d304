// eric-sse channels over HTTP with Node's http server:
//   HUB_TOKEN=secret PORT=8000 node examples/node/server.js
// (Bun and Deno's node:http run it too: bun examples/node/server.js, deno run -A examples/node/server.js)
// (in this checkout "eric-sse" resolves to the package itself; in your project: npm i eric-sse).
import { createServer } from "node:http";
import { createHub, nodeListener } from "eric-sse";
import { examplePolicy } from "../policy.js";

const hub = createHub(examplePolicy(process.env.HUB_TOKEN));
const port = Number(process.env.PORT ?? 8000);
createServer(nodeListener(hub.fetch)).listen(port, "127.0.0.1", () => console.log(`eric-sse hub on http://127.0.0.1:${port}/`));
