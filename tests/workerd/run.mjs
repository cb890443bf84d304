// workerd stage: serves tests/workerd/worker.js with the real workerd on 127.0.0.1, runs the
// shared suite inside it, and reads its SSE responses over HTTP.
import { modulesUnder, packageModules, serveWorker } from "../../scripts/workerd.mjs";
import { norm } from "../behaviour/assert.js";

export async function runWorkerd(report) {
  const modules = [
    "tests/workerd/worker.js", ...modulesUnder("tests/behaviour"), "tests/workers/tasks.js", ...packageModules(),
  ];
  const worker = await serveWorker("suite", modules);
  try {
    const results = await (await fetch(`${worker.url}/suite`)).json();
    for (const r of results) report(`workerd: ${r.name}`, r.ok, r.error);
    report("workerd: the suite ran in full", results.length > 30, `${results.length} results`);

    const live = await fetch(`${worker.url}/live?n=3`);
    const frame = (n) => `id: ${n + 1}\nevent: tick\ndata: {"n":${n},"runtime":"workerd"}\n\n`;
    const liveBody = norm(await live.text());
    report("workerd: a live SSE response over HTTP carries each broadcast, then the end notice",
      live.headers.get("content-type") === "text/event-stream"
        && liveBody === `retry: 5000\n\n${frame(0)}${frame(1)}${frame(2)}event: _eric_channel_closed\ndata: null\n\n`,
      JSON.stringify(liveBody));

    const replay = await fetch(`${worker.url}/replay`);
    const replayBody = norm(await replay.text());
    report("workerd: Last-Event-ID on the request replays the history after it",
      replayBody === "retry: 5000\n\nid: 2\nevent: n\ndata: 2\n\nid: 3\nevent: n\ndata: 3\n\n"
        + "event: _eric_channel_closed\ndata: null\n\n",
      JSON.stringify(replayBody));
  } finally {
    await worker.stop();
  }
}
