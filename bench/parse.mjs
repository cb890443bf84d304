// Parse: bytes in → event objects out, eric-sse's createParser vs eventsource-parser 4.1.3, on
// three generated streams of different shapes (bench/fixtures.mjs: ours, mixed, tiny) in 16 KiB
// chunks. eventsource-parser takes strings, so its pipeline includes a streaming TextDecoder, as
// a real bytes-in consumer needs. Both must produce the same events (count and characters).
import { createParser as esParser } from "eventsource-parser";
import { createParser } from "eric-sse";
import { fixture, runOurs, runTheirs } from "./fixtures.mjs";
import { fmt, sideBySide } from "./lib.mjs";

export const SHAPES = {
  ours: "ours: ~45 B/event, LF/CRLF/CR, some multi-byte UTF-8",
  mixed: "mixed: ~157 B/event, EOL mixed per line, two-byte UTF-8 text, 2–4 data lines, comments",
  tiny: "tiny: `data: n` events, ~11 B/event",
};

export async function benchParse({ megabytes = 8, rounds = 7 } = {}) {
  const results = [];
  for (const name of Object.keys(SHAPES)) {
    const { bytes, chunks } = fixture(name, megabytes);
    const r = await sideBySide({
      "eric-sse": () => runOurs(createParser, chunks),
      "eventsource-parser": () => runTheirs(esParser, chunks),
    }, rounds);
    const mbps = (ms) => bytes.length / 1024 / 1024 / (ms / 1000);
    results.push({
      name,
      title: SHAPES[name],
      megabytes: bytes.length / 1024 / 1024,
      ours: { ms: r["eric-sse"].ms, mbps: mbps(r["eric-sse"].ms) },
      theirs: { ms: r["eventsource-parser"].ms, mbps: mbps(r["eventsource-parser"].ms) },
      ratio: r["eventsource-parser"].ms / r["eric-sse"].ms,
      same: r["eric-sse"].check === r["eventsource-parser"].check,
      check: `events/chars: ${r["eric-sse"].check} vs ${r["eventsource-parser"].check}`,
    });
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await benchParse({ rounds: Number(process.argv[2] ?? 7) })) {
    console.log(`${r.title}\n  eric-sse ${fmt(r.ours.mbps)} MB/s, eventsource-parser ${fmt(r.theirs.mbps)} MB/s → ${fmt(r.ratio, 2)}×  (${r.same ? "same events" : "EVENTS DIFFER"}: ${r.check})`);
  }
}
