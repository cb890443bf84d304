// The load client of bench/sockets.mjs, a forked process: holds SSE connections to one server
// over raw `net` sockets (HTTP/1.1, chunked bodies decoded by hand), counts frames by scanning
// for "\n\n", and for each message frame reads "n" (its sequence number: every connection must
// see 0, 1, 2, … with none missing, repeated or out of order) and "t" (the server's send time,
// performance.timeOrigin + performance.now() there; latency = the same clock here at the read
// that completed the frame − t). Commands come over IPC; it exits when its parent goes.
import { connect } from "node:net";

const NL2 = Buffer.from("\n\n");
const NKEY = Buffer.from('"n":');
const TKEY = Buffer.from('"t":');
const now = () => performance.timeOrigin + performance.now();

// Latency histogram: log buckets of 1% (bucket i holds ~1.01^i µs), up to ~100 s.
const LOG_STEP = Math.log(1.01);
const BUCKETS = 1900;
let histogram = new Uint32Array(BUCKETS);
let negative = 0;

// Window counters (reset by "reset").
let frames = 0;
let windowStarted = performance.now();
let cpuAtReset = process.cpuUsage();

/** @type {Set<Conn>} */
const conns = new Set();

const SIZE = 0;
const DATA = 1;
const CRLF = 2;
const DONE = 3;

class Conn {
  constructor(port, onOpen, onFail) {
    this.head = null; // bytes before the end of the response head
    this.open = false;
    this.state = SIZE;
    this.size = 0;
    this.remaining = 0;
    this.skip = 0;
    this.pending = null; // the start of a frame not yet complete
    this.next = 0; // the next n this connection must see
    this.bad = 0; // gaps, repeats or reorders
    this.ended = false;
    this.socket = connect({ host: "127.0.0.1", port, noDelay: true });
    this.socket.on("connect", () => {
      this.socket.write(`GET /events HTTP/1.1\r\nhost: 127.0.0.1:${port}\r\naccept: text/event-stream\r\n\r\n`);
    });
    this.onOpen = onOpen;
    this.onFail = onFail;
    this.socket.on("data", (buf) => this.onData(buf));
    this.socket.on("error", (error) => {
      if (!this.open) onFail(error);
    });
    this.socket.on("close", () => {
      this.ended = true;
      if (!this.open) onFail(new Error("closed before the response head"));
    });
    conns.add(this);
  }

  onData(buf) {
    if (!this.open) {
      const head = this.head ? Buffer.concat([this.head, buf]) : buf;
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) {
        this.head = head;
        return;
      }
      const text = head.latin1Slice(0, end).toLowerCase();
      if (!text.startsWith("http/1.1 200") || !text.includes("transfer-encoding: chunked")) {
        this.socket.destroy();
        this.onFail(new Error(`unexpected response head: ${text}`));
        return;
      }
      this.head = null;
      this.open = true;
      this.onOpen();
      buf = head.subarray(end + 4);
    }
    const at = now();
    let i = 0;
    const length = buf.length;
    while (i < length) {
      if (this.state === DATA) {
        const take = Math.min(this.remaining, length - i);
        this.body(buf.subarray(i, i + take), at);
        i += take;
        this.remaining -= take;
        if (this.remaining === 0) {
          this.state = CRLF;
          this.skip = 2;
        }
      } else if (this.state === SIZE) {
        const c = buf[i];
        i += 1;
        if (c === 10) {
          if (this.size === 0) this.state = DONE;
          else {
            this.state = DATA;
            this.remaining = this.size;
            this.size = 0;
          }
        } else if (c !== 13) {
          this.size = this.size * 16 + (c <= 57 ? c - 48 : (c | 32) - 87);
        }
      } else if (this.state === CRLF) {
        i += 1;
        this.skip -= 1;
        if (this.skip === 0) this.state = SIZE;
      } else {
        break;
      }
    }
  }

  body(seg, at) {
    if (this.pending !== null) {
      seg = Buffer.concat([this.pending, seg]);
      this.pending = null;
    }
    let pos = 0;
    for (;;) {
      const end = seg.indexOf(NL2, pos);
      if (end < 0) break;
      this.frame(seg, pos, end, at);
      pos = end + 2;
    }
    if (pos < seg.length) this.pending = Buffer.from(seg.subarray(pos));
  }

  frame(seg, from, end, at) {
    let i = seg.indexOf(NKEY, from);
    if (i < 0 || i > end) return; // retry:, keep-alive comments
    i += 4;
    let n = 0;
    for (let c = seg[i]; c >= 48 && c <= 57; c = seg[++i]) n = n * 10 + (c - 48);
    if (n === this.next) this.next += 1;
    else {
      this.bad += 1;
      if (n > this.next) this.next = n + 1;
    }
    let j = seg.indexOf(TKEY, i);
    if (j < 0 || j > end) return;
    j += 4;
    let t = 0;
    let c = seg[j];
    for (; c >= 48 && c <= 57; c = seg[++j]) t = t * 10 + (c - 48);
    if (c === 46) {
      let scale = 0.1;
      for (c = seg[++j]; c >= 48 && c <= 57; c = seg[++j]) {
        t += (c - 48) * scale;
        scale /= 10;
      }
    }
    frames += 1;
    const us = (at - t) * 1000;
    if (us < 0) negative += 1;
    histogram[Math.min(BUCKETS - 1, us <= 1 ? 0 : Math.round(Math.log(us) / LOG_STEP))] += 1;
  }
}

/** Opens `count` connections, `parallel` at a time; resolves once every response head arrived. */
async function open(port, count, parallel = 64) {
  let started = 0;
  const worker = async () => {
    while (started < count) {
      started += 1;
      await new Promise((resolve, reject) => new Conn(port, resolve, reject));
    }
  };
  await Promise.all(Array.from({ length: Math.min(parallel, count) }, worker));
}

function snapshot() {
  const elapsedMs = performance.now() - windowStarted;
  const cpu = process.cpuUsage(cpuAtReset);
  const sparse = [];
  for (let i = 0; i < BUCKETS; i += 1) if (histogram[i] !== 0) sparse.push(i, histogram[i]);
  return { frames, elapsedMs, cpuUs: cpu.user + cpu.system, histogram: sparse, negative };
}

function reset() {
  frames = 0;
  negative = 0;
  histogram = new Uint32Array(BUCKETS);
  windowStarted = performance.now();
  cpuAtReset = process.cpuUsage();
}

/** How many connections have seen exactly 0 … expected−1, in order. */
function check(expected) {
  let complete = 0;
  let bad = 0;
  let open = 0;
  for (const c of conns) {
    if (!c.ended) open += 1;
    if (c.bad !== 0) bad += 1;
    else if (c.next === expected) complete += 1;
  }
  return { connections: conns.size, open, complete, bad };
}

process.on("disconnect", () => process.exit(0));
process.on("message", async ({ id, op, ...args }) => {
  let reply;
  try {
    if (op === "open") {
      await open(args.port, args.count);
      reply = { open: conns.size };
    } else if (op === "reset") {
      reset();
      reply = {};
    } else if (op === "snapshot") {
      reply = snapshot();
    } else if (op === "check") {
      reply = check(args.expected);
    } else if (op === "close") {
      for (const c of conns) c.socket.destroy();
      conns.clear();
      reply = {};
    }
  } catch (error) {
    reply = { error: String(error?.stack ?? error) };
  }
  process.send({ id, ...reply });
});
process.send({ ready: true });
