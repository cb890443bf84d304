// eric-sse channels over HTTP with Deno.serve:
//   HUB_TOKEN=secret PORT=8000 deno run --allow-net --allow-env --allow-read examples/deno/server.js
// (deno.json maps "eric-sse" to this checkout; in your project use "npm:eric-sse").
import { createHub } from "eric-sse";
import { examplePolicy } from "../policy.js";

const hub = createHub(examplePolicy(Deno.env.get("HUB_TOKEN")));
Deno.serve({
  hostname: "127.0.0.1",
  port: Number(Deno.env.get("PORT") ?? 8000),
  onListen: ({ hostname, port }) => console.log(`eric-sse hub on http://${hostname}:${port}/`),
}, hub.fetch);
