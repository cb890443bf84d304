// Parse: bytes in → event objects out, eric-sse's createParser vs eventsource-parser, on a
// generated stream (~8 MB: LF/CRLF/CR line ends, UTF-8, multi-line data, ids, comments) in
// 16 KiB chunks. eventsource-parser takes strings, so its pipeline includes a streaming
// TextDecoder, as a real bytes-in consumer needs. Both must produce the same events.
import { createParser as esParser } from "eventsource-parser";
import { createParser } from "eric-sse";
import { fmt, sideBySide } from "./lib.mjs";

function generate(targetBytes) {
  const ends = ["\n", "\r\n", "\r"];
  const words = ["alpha", "beta", "gamma", "δέλτα", "emoji 😀", "naïve", "{\"k\":1}", "x".repeat(40), "日本語"];
  let seed = 1;
  const rand = (n) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  const parts = [];
  let size = 0;
  for (let n = 1; size < targetBytes; n += 1) {
    const end = ends[rand(3)];
    let frame = "";
    if (rand(10) === 0) frame += `: keep-alive ${n}${end}`;
    frame += `id: ${n}${end}event: ${rand(2) ? "update" : "tick"}${end}`;
    const lines = 1 + rand(4);
    for (let l = 0; l < lines; l += 1) {
      frame += `data: ${Array.from({ length: 1 + rand(8) }, () => words[rand(words.length)]).join(" ")}${end}`;
    }
    frame += end;
    parts.push(frame);
    size += frame.length;
  }
  return new TextEncoder().encode(parts.join(""));
}

export async function benchParse({ megabytes = 8, rounds = 7 } = {}) {
  const bytes = generate(megabytes * 1024 * 1024);
  const chunks = [];
  for (let at = 0; at < bytes.length; at += 16384) chunks.push(bytes.subarray(at, at + 16384));

  const ours = () => {
    let count = 0;
    let dataLength = 0;
    const parser = createParser({ onEvent: (e) => { count += 1; dataLength += e.data.length + e.type.length + e.lastEventId.length; } });
    for (const chunk of chunks) parser.feed(chunk);
    return `${count}/${dataLength}`;
  };
  const theirs = () => {
    let count = 0;
    let dataLength = 0;
    const decoder = new TextDecoder();
    const parser = esParser({ onEvent: (e) => { count += 1; dataLength += e.data.length + (e.event ?? "message").length + (e.id ?? "").length; } });
    for (const chunk of chunks) parser.feed(decoder.decode(chunk, { stream: true }));
    return `${count}/${dataLength}`;
  };
  const r = await sideBySide({ "eric-sse": ours, "eventsource-parser": theirs }, rounds);
  const mbps = (ms) => bytes.length / 1024 / 1024 / (ms / 1000);
  return {
    title: `Parse ${fmt(bytes.length / 1024 / 1024)} MB in 16 KiB chunks (bytes → events)`,
    rows: [
      ["eric-sse createParser", `${fmt(mbps(r["eric-sse"].ms))} MB/s`, `${fmt(r["eric-sse"].ms)} ms`],
      ["eventsource-parser 4.1.3 (+ TextDecoder)", `${fmt(mbps(r["eventsource-parser"].ms))} MB/s`, `${fmt(r["eventsource-parser"].ms)} ms`],
    ],
    ratio: r["eventsource-parser"].ms / r["eric-sse"].ms,
    goal: 2,
    goalText: "≥ 2× eventsource-parser",
    same: r["eric-sse"].check === r["eventsource-parser"].check,
    check: `events/chars: ${r["eric-sse"].check} vs ${r["eventsource-parser"].check}`,
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await benchParse();
  console.log(result);
}
