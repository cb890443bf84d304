// The shipped .wasm (after wasm-opt) has two parser paths, SIMD128 and scalar
// (src/sse/transcode.rs): on random SSE-shaped streams, in random chunkings and under random
// limits, both must write the same UTF-16 text and index for every chunk, and createParser must
// give the events the byte-level rules give (checked by the shared suite). Run under Node 20 and 24.
import assert from "node:assert/strict";
import { test } from "node:test";
// The source entry, not the package: this test reads the glue's RawParser, which dist/ bundles.
import "../../js/entry-node.js";
import { RawParser } from "../../pkg/eric_sse_parser.js";
import { coreMemory } from "../../js/wasm.js";

const PIECES = ["data:", "data: ", "id: ", "event: ", "retry: 12", ": ", "\n", "\r", "\r\n", "\n\n", "x",
  "hello world, a longer run of ascii text", "é€😀日本", "καλημέρα", [0xe2, 0x82], [0xf0, 0x9f], [0xff], [0xc3], "\0", ":", " ",
  "data: " + "y".repeat(40) + "\n", "\uFEFF",
  // Whole blocks of two-byte text (decoded sixteen bytes at a time), three-byte runs (decoded
  // inline) and the sequences those paths must leave to the general decoder.
  "привет мир данные ", "ÄÖÜäöüß", "日本語のテキスト", [0xed, 0xa0, 0x80], [0xe0, 0x80, 0x80], [0xc0, 0xaf], [0xc1], [0xe1, 0x80]];
const encoder = new TextEncoder();
const pieces = PIECES.map((p) => (typeof p === "string" ? encoder.encode(p) : Uint8Array.from(p)));

function lcg(seed) {
  let state = seed;
  return (n) => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state % n;
  };
}

/** Everything one chunk gives: the text's units and the index words. */
function feed(raw, chunk) {
  const address = raw.input(chunk.length);
  new Uint8Array(coreMemory().buffer).set(chunk, address);
  const words = raw.feed(chunk.length);
  const view = new Uint32Array(coreMemory().buffer);
  const head = raw.header() >>> 2;
  const text = Array.from(new Uint16Array(coreMemory().buffer, view[head], view[head + 1]));
  const index = Array.from(view.subarray(view[head + 2] >>> 2, (view[head + 2] >>> 2) + words));
  return { text, index };
}

test("parser: the SIMD128 and scalar paths of the shipped wasm agree on random streams", () => {
  const rand = lcg(11);
  let items = 0;
  for (let round = 0; round < 600; round += 1) {
    const parts = Array.from({ length: rand(80) }, () => pieces[rand(pieces.length)]);
    const input = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    parts.reduce((at, p) => (input.set(p, at), at + p.length), 0);
    const [line, event] = [[0, 1 + rand(40), 0][round % 3], [0, 0, 1 + rand(80)][round % 3]];
    const simd = new RawParser(line, event);
    const scalar = new RawParser(line, event);
    scalar.setScalar(true);
    for (let at = 0; at < input.length;) {
      const end = Math.min(input.length, at + 1 + rand(40));
      const chunk = input.subarray(at, end);
      const a = feed(simd, chunk);
      const b = feed(scalar, chunk);
      assert.deepEqual(a, b, `round ${round}, bytes ${at}..${end}`);
      items += a.index.length;
      at = end;
    }
    assert.equal(simd.lastEventId, scalar.lastEventId);
    assert.equal(simd.bufferedBytes, scalar.bufferedBytes);
    simd.free();
    scalar.free();
  }
  assert.ok(items > 1000, `the streams made items (${items} index words)`);
});
