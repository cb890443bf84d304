// The parser benchmarks' inputs: three SSE streams of different shapes, generated
// deterministically (a fixed-seed LCG), as bytes. Shared by bench/parse.mjs (wall clock) and
// bench/callgrind.mjs (instructions per byte).
//
// - ours:  ~45 B/event; LF, CRLF or CR per event; ASCII with some 2-, 3- and 4-byte UTF-8 words;
//          1–4 data lines, ids, two event types, a comment in one event of ten.
// - mixed: ~157 B/event; the line end drawn per line (LF, CRLF, CR mixed inside events); text
//          mostly in two-byte UTF-8 (Greek, Cyrillic, accented Latin); 2–4 data lines; ids;
//          comments in one event of four.
// - tiny:  `data: <n>` and a blank line (~11 B/event): the per-event cost.

function lcg(seed) {
  let state = seed;
  return (n) => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % n;
  };
}

function ours(targetBytes) {
  const ends = ["\n", "\r\n", "\r"];
  const words = ["alpha", "beta", "gamma", "δέλτα", "emoji 😀", "naïve", "{\"k\":1}", "x".repeat(40), "日本語"];
  const rand = lcg(1);
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
  return parts.join("");
}

function mixed(targetBytes) {
  const ends = ["\n", "\r\n", "\r"];
  const words = ["καλημέρα", "κόσμε", "привет", "мир", "данные", "événement", "déjà", "über", "größe",
    "niño", "ação", "value", "id", "ok", "42"];
  const rand = lcg(7);
  const parts = [];
  let size = 0;
  for (let n = 1; size < targetBytes; n += 1) {
    const end = () => ends[rand(3)];
    let frame = "";
    if (rand(4) === 0) frame += `: ping ${n}${end()}`;
    frame += `id: ${n}${end()}`;
    if (rand(2)) frame += `event: ${rand(2) ? "update" : "notice"}${end()}`;
    const lines = 2 + rand(3);
    for (let l = 0; l < lines; l += 1) {
      frame += `data: ${Array.from({ length: 2 + rand(5) }, () => words[rand(words.length)]).join(" ")}${end()}`;
    }
    frame += end();
    parts.push(frame);
    size += new TextEncoder().encode(frame).length;
  }
  return parts.join("");
}

function tiny(targetBytes) {
  const parts = [];
  let size = 0;
  for (let n = 1; size < targetBytes; n += 1) {
    const frame = `data: ${n}\n\n`;
    parts.push(frame);
    size += frame.length;
  }
  return parts.join("");
}

export const fixtures = { ours, mixed, tiny };

/** The fixture as UTF-8 bytes and its 16 KiB chunks. */
export function fixture(name, megabytes) {
  const bytes = new TextEncoder().encode(fixtures[name](megabytes * 1024 * 1024));
  const chunks = [];
  for (let at = 0; at < bytes.length; at += 16384) chunks.push(bytes.subarray(at, at + 16384));
  return { bytes, chunks };
}

/** Parses every chunk with eric-sse's createParser; returns "events/characters" read. */
export function runOurs(createParser, chunks) {
  let count = 0;
  let chars = 0;
  const parser = createParser({ onEvent: (e) => { count += 1; chars += e.data.length + e.type.length + e.lastEventId.length; } });
  for (const chunk of chunks) parser.feed(chunk);
  return `${count}/${chars}`;
}

/** The same with eventsource-parser behind a streaming TextDecoder (it takes strings). */
export function runTheirs(esParser, chunks) {
  let count = 0;
  let chars = 0;
  const decoder = new TextDecoder();
  const parser = esParser({ onEvent: (e) => { count += 1; chars += e.data.length + (e.event ?? "message").length + (e.id ?? "").length; } });
  for (const chunk of chunks) parser.feed(decoder.decode(chunk, { stream: true }));
  return `${count}/${chars}`;
}
