// A Worker that runs the client tests (tests/behaviour/client.js) inside workerd, against the
// SSE test server on 127.0.0.1 whose URL the request names:
//   GET /client?server=URL&dead=URL   runs every client test; answers JSON results.
import * as lib from "../../dist/workerd.js";
import { clientTests } from "../behaviour/client.js";

export default {
  async fetch(request) {
    const url = new URL(request.url);
    if (url.pathname !== "/client") return new Response("not found", { status: 404 });
    const ctx = { server: url.searchParams.get("server"), deadUrl: url.searchParams.get("dead") };
    const results = [];
    for (const { name, fn } of clientTests) {
      try {
        await fn(lib, ctx);
        results.push({ name, ok: true });
      } catch (error) {
        results.push({ name, ok: false, error: `${error?.name}: ${error?.message}` });
      }
    }
    return Response.json(results);
  },
};
