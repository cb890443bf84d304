// A dedicated (module) worker that runs the client tests (tests/behaviour/client.js) with the
// package's manual-init entry, against the SSE test server that served this worker (so
// `location` is the worker's URL and relative EventSource URLs resolve against it). Posts the
// results to the page.
import * as lib from "/dist/web.js";
import { clientTests } from "/tests/behaviour/client.js";

const results = [];
try {
  await lib.init();
  const ctx = { server: location.origin, deadUrl: new URLSearchParams(location.search).get("dead") };
  for (const { name, fn } of clientTests) {
    try {
      await fn(lib, ctx);
      results.push({ name, ok: true });
    } catch (error) {
      results.push({ name, ok: false, error: `${error?.name}: ${error?.message}` });
    }
  }
} catch (error) {
  results.push({ name: "worker", ok: false, error: `${error?.name}: ${error?.message}` });
}
postMessage(results);
