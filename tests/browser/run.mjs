// Chromium stage: serves the repository and the SSE test server's routes on 127.0.0.1, opens
// tests/browser/suite.html in headless Chromium (the shared suite and the client tests, run in
// the page with `await init()`), checks that the browser's own EventSource reads a channel,
// reconnects and resumes by Last-Event-ID (/sse/resume), runs the client tests again in a
// dedicated worker and the standard-API ones against the browser's own EventSource, then
// drives the npm start demo page.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { launchChromium } from "../../scripts/chromium.mjs";
import { root } from "../../scripts/lib.mjs";
import { serve } from "../../scripts/serve.mjs";
import { freePort } from "../../scripts/workerd.mjs";
import { sseTestRoutes } from "../sse-server.mjs";
import { startDemo } from "../../scripts/start.mjs";

export async function runBrowser(report) {
  const routes = sseTestRoutes();
  let wasmFetches = 0;
  const server = await serve({
    handle: (request) => {
      // The client tests' own worker loads the .wasm itself; pool workers must not.
      const fromClientWorker = (request.headers.get("referer") ?? "").includes("/tests/browser/client-worker.js");
      if (new URL(request.url).pathname.endsWith(".wasm") && !fromClientWorker) wasmFetches += 1;
      return routes(request);
    },
  });
  // The same routes on 127.0.0.2, same port: the second origin of the cross-origin tests.
  const cross = await serve({ handle: routes, host: "127.0.0.2", port: Number(new URL(server.url).port) });
  const deadUrl = `http://127.0.0.1:${await freePort()}/sse`;
  const context = await launchChromium();
  try {
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.goto(`${server.url}/tests/browser/suite.html?dead=${encodeURIComponent(deadUrl)}`);
    await page.waitForFunction(() => window.__results, null, { timeout: 180_000 });
    const results = await page.evaluate(() => window.__results);
    const outDir = join(root, "test-output");
    mkdirSync(outDir, { recursive: true });
    await page.screenshot({ path: join(outDir, "chromium-suite.png"), fullPage: true });
    for (const r of results) {
      if (r.name !== "EventSource") report(`chromium: ${r.name}`, r.ok, r.error);
    }
    const source = results.find((r) => r.name === "EventSource");
    const expected = [1, 2, 3, 4].map((n) => ({ data: n, lastEventId: String(n) }));
    const seen = (await (await fetch(`${server.url}/sse/info?key=eventsource`)).json()).map((r) => r.lastEventId);
    report("chromium: EventSource reads the stream, reconnects and resumes from Last-Event-ID",
      JSON.stringify(source?.events) === JSON.stringify(expected) && JSON.stringify(seen) === '[null,"2"]',
      `events ${JSON.stringify(source?.events)}, Last-Event-ID headers ${JSON.stringify(seen)}`);
    report("chromium: no uncaught page errors", errors.length === 0, errors.join("; "));
    report("chromium: the client tests ran in a dedicated worker",
      results.filter((r) => r.name.startsWith("client (dedicated worker): ")).length > 40, "too few worker results");
    report("chromium: the .wasm was fetched once; pool workers got the compiled module",
      wasmFetches === 1 && results.some((r) => r.name.startsWith("pool (Web Workers)") && r.ok), `${wasmFetches} fetches`);
    await sharedPages(context, server.url, report);
    await demoPage(context, report);
  } finally {
    await context.close();
    await cross.close();
    await server.close();
  }
}

/** shareChannel: two pages of one origin, and a page with its dedicated worker, on one channel. */
async function sharedPages(context, url, report) {
  const open = async (query = "") => {
    const page = await context.newPage();
    await page.goto(`${url}/tests/browser/share.html${query}`);
    await page.waitForFunction(() => window.__ready === true, null, { timeout: 15_000 });
    return page;
  };
  const withWorker = await open("?worker");
  const other = await open();
  await other.evaluate(() => window.__publish("tab", 1));
  await withWorker.evaluate(() => window.__publish("tab", 2));
  await withWorker.evaluate(() => window.__askWorker());
  const wait = (page, key, count) => page.waitForFunction(([k, n]) => window[k].length >= n, [key, count], { timeout: 10_000 }).catch(() => {});
  await Promise.all([wait(withWorker, "__got", 3), wait(other, "__got", 3), wait(withWorker, "__worker", 3)]);
  const [a, b, w] = [await withWorker.evaluate(() => window.__got), await other.evaluate(() => window.__got), await withWorker.evaluate(() => window.__worker)];
  const has = (list, type, payload) => list.some(([t, p]) => t === type && p === payload);
  report("chromium: shareChannel reaches another page of the origin both ways",
    has(a, "tab", 1) && has(b, "tab", 2) && has(b, "tab", 1) && has(a, "tab", 2), JSON.stringify({ a, b }));
  report("chromium: shareChannel reaches a dedicated worker and back",
    has(w, "tab", 1) && has(w, "tab", 2) && has(a, "from-worker", "hello") && has(b, "from-worker", "hello"), JSON.stringify({ a, b, w }));
  await withWorker.close();
  await other.close();
}

/** The `npm start` page: in-page panels get broadcasts and dispatches; the server stream shows
 * what the page publishes. A screenshot goes to test-output/demo.png. */
async function demoPage(context, report) {
  const demo = await startDemo({ tickMs: 60_000 });
  try {
    const page = await context.newPage();
    const errors = [];
    page.on("pageerror", (e) => errors.push(String(e)));
    await page.setViewportSize({ width: 1280, height: 720 });
    await page.goto(`${demo.url}/`);
    await page.waitForSelector("#panels .panel:nth-child(3)");
    await page.fill("#payload", "to everyone");
    await page.click("#send button");
    await page.selectOption("#target", { index: 2 });
    await page.fill("#payload", "only for the second");
    await page.click("#send button");
    await page.waitForFunction(() => document.getElementById("state").textContent === "open");
    await page.fill("#server-payload", "round trip");
    await page.click("#publish button");
    await page.waitForFunction(() => document.getElementById("server-log").textContent.includes("round trip"),
      null, { timeout: 10_000 }).catch(() => {});
    const serverLog = await page.textContent("#server-log");
    const panels = await page.$$eval("#panels .panel ol", (lists) => lists.map((l) => l.textContent));
    report("chromium: demo page panels receive broadcasts, and dispatches only where sent",
      panels.length === 3 && panels.every((t) => t.includes('"to everyone"'))
        && panels.filter((t) => t.includes('"only for the second"')).length === 1
        && panels[1].includes('"only for the second"'),
      JSON.stringify(panels));
    report("chromium: demo page's EventSource shows what it published on the server",
      /#\d+-\d+ chat: "round trip"/.test(serverLog), serverLog);
    await page.fill("#type", "");
    await page.fill("#type", "_eric_x");
    await page.click("#send button");
    const error = await page.textContent("#error");
    report("chromium: demo page shows a typed error for a refused message",
      error.startsWith("InvalidMessageFormatError"), error);
    await page.waitForFunction(() => document.getElementById("sw-state").textContent.startsWith("controlling"),
      null, { timeout: 15_000 }).catch(() => {});
    const controlled = await page.evaluate(() => Boolean(navigator.serviceWorker.controller));
    await page.fill("#sw-payload", "from the publish panel");
    await page.click("#sw-publish button");
    await page.waitForFunction(() => document.getElementById("sw-log").textContent.includes("from the publish panel"),
      null, { timeout: 10_000 }).catch(() => {});
    const swLog = await page.textContent("#sw-log");
    report("chromium: the service worker takes control and its hub feeds the page's EventSource",
      controlled && /#\d+-1 note: "from the publish panel"/.test(swLog), `controlled ${controlled}, log ${JSON.stringify(swLog)}`);
    await page.screenshot({ path: join(root, "test-output", "demo.png") });
    report("chromium: demo page has no uncaught errors", errors.length === 0, errors.join("; "));
  } finally {
    await demo.close();
  }
}
