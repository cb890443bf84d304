// Large payloads (issue 15 item 2): the time to get a payload of 1 KiB, 64 KiB and 1 MiB from
// `broadcast` to the bytes a reader takes off the listener's stream, and from `dispatch` to
// `deliverNext`, beside `JSON.stringify` of the same value (the floor of any JSON-over-SSE
// server: the payload must be serialized once), and beside the naive server's whole path
// (stringify, frame, TextEncoder, enqueue into a bare ReadableStream, read), and beside the floor
// of any Web-stream path (stringify, then enqueue a ready frame and read it). The value is an
// array of small records (numbers,
// short ASCII strings, a two-byte UTF-8 word), the shape of a typical JSON API payload.
//
// `node --expose-gc bench/payload.mjs` prints the figures; `npm run bench` puts them in its table.
import { Channel } from "eric-sse";
import { sideBySide } from "./lib.mjs";

export const PAYLOAD_SIZES = [1024, 64 * 1024, 1024 * 1024];

/** An array of records whose JSON is about `bytes` long. */
export function payloadOf(bytes) {
  const records = [];
  let length = 2;
  for (let i = 0; length < bytes; i += 1) {
    const record = { id: i, name: `item ${i}`, price: i * 1.25, tags: ["a", "bb"], note: "déjà vu" };
    records.push(record);
    length += JSON.stringify(record).length + 1;
  }
  return records;
}

/** Messages per round: about 32 MiB of payload for each size. */
const countFor = (bytes) => Math.max(16, Math.round((32 * 1024 * 1024) / bytes));

async function broadcastToBytes(value, count) {
  const channel = new Channel({ keepAliveMs: 0, historySize: 0, maxQueueBytes: Infinity, maxMessageBytes: 64 * 1024 * 1024 });
  const reader = channel.stream(channel.addListener().id).getReader();
  let bytes = 0;
  await reader.read(); // the opening `retry:` line
  for (let i = 0; i < count; i += 1) {
    channel.broadcast("tick", value);
    const { value: chunk } = await reader.read();
    bytes += chunk.byteLength;
  }
  await reader.cancel();
  return bytes > 0 ? count : -1;
}

/** The naive server's path for the same message: stringify, frame, encode, enqueue, read. */
function naiveToBytes(value, count) {
  const encoder = new TextEncoder();
  return enqueueAndRead(count, (i) => encoder.encode(`id: ${i + 1}\nevent: tick\ndata: ${JSON.stringify(value)}\n\n`));
}

/** The floor of any Web-stream path: serialize the value, then enqueue a frame of the same size
 * (made once, so nothing is framed or encoded) and read it. */
function floorToBytes(value, count) {
  const frame = new TextEncoder().encode(`id: 1\nevent: tick\ndata: ${JSON.stringify(value)}\n\n`);
  const none = new Uint8Array(0);
  // The serialization's result decides what is sent, so it cannot be optimized away.
  return enqueueAndRead(count, () => (JSON.stringify(value).length > 0 ? frame : none));
}

/** `count` times: enqueue `frameOf(i)` into a bare ReadableStream and read it back. */
async function enqueueAndRead(count, frameOf) {
  let controller;
  const reader = new ReadableStream({ start: (c) => { controller = c; } }).getReader();
  let bytes = 0;
  for (let i = 0; i < count; i += 1) {
    controller.enqueue(frameOf(i));
    const { value: chunk } = await reader.read();
    bytes += chunk.byteLength;
  }
  return bytes > 0 ? count : -1;
}

function dispatchToDeliverNext(value, count) {
  const channel = new Channel({ keepAliveMs: 0, historySize: 0, maxQueueBytes: Infinity, maxMessageBytes: 64 * 1024 * 1024 });
  const id = channel.addListener().id;
  let got = 0;
  for (let i = 0; i < count; i += 1) {
    channel.dispatch(id, "tick", value);
    got += channel.deliverNext(id).payload.length === value.length ? 1 : 0;
  }
  return got;
}

function stringify(value, count) {
  let length = 0;
  for (let i = 0; i < count; i += 1) length += JSON.stringify(value).length;
  return length > 0 ? count : -1;
}

function stringifyParse(value, count) {
  let got = 0;
  for (let i = 0; i < count; i += 1) got += JSON.parse(JSON.stringify(value)).length === value.length ? 1 : 0;
  return got;
}

export async function benchPayload({ rounds = 5 } = {}) {
  const results = [];
  for (const bytes of PAYLOAD_SIZES) {
    const value = payloadOf(bytes);
    const count = countFor(bytes);
    const r = await sideBySide({
      broadcast: () => broadcastToBytes(value, count),
      naive: () => naiveToBytes(value, count),
      floor: () => floorToBytes(value, count),
      deliverNext: () => dispatchToDeliverNext(value, count),
      stringify: () => stringify(value, count),
      stringifyParse: () => stringifyParse(value, count),
    }, rounds);
    const perMessage = (name) => (r[name].ms * 1000) / count;
    results.push({
      bytes,
      jsonBytes: JSON.stringify(value).length,
      count,
      us: Object.fromEntries(Object.keys(r).map((name) => [name, perMessage(name)])),
      broadcast: r.stringify.ms / r.broadcast.ms,
      broadcastVsNaive: r.naive.ms / r.broadcast.ms,
      broadcastVsFloor: r.floor.ms / r.broadcast.ms,
      deliverNext: r.stringify.ms / r.deliverNext.ms,
      deliverNextVsRoundTrip: r.stringifyParse.ms / r.deliverNext.ms,
      same: r.broadcast.check === count && r.deliverNext.check === count,
    });
  }
  return results;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const r of await benchPayload({ rounds: Number(process.argv[2] ?? 5) })) {
    const us = Object.entries(r.us).map(([k, v]) => `${k} ${v.toFixed(1)} µs`).join(", ");
    console.log(`${r.jsonBytes} B: ${us}; broadcast→bytes ${r.broadcast.toFixed(2)}× JSON.stringify (${r.broadcastVsNaive.toFixed(2)}× naive), deliverNext ${r.deliverNext.toFixed(2)}× JSON.stringify ` +
      `(${r.deliverNextVsRoundTrip.toFixed(2)}× stringify+parse)${r.same ? "" : " CHECK FAILED"}`);
  }
}
