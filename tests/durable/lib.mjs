// Helpers for the Durable Objects stage and bench: serve examples/cloudflare-durable with the
// real workerd (objects on local disk, any port, SIGKILL-able), and read SSE over HTTP.
import { spawn } from "node:child_process";
import { join } from "node:path";
import { bin, root } from "../../scripts/lib.mjs";

export const CONFIG = join(root, "examples", "cloudflare-durable", "config.capnp");

/**
 * Starts `workerd serve config.capnp` with its "http" socket on 127.0.0.1:`port` and the
 * objects' storage in `dir`; resolves once it answers.
 * @returns {Promise<{ url: string, child: import("node:child_process").ChildProcess, stop(): Promise<void>, kill(): Promise<void> }>}
 */
export async function serveDurable({ port, dir, env = {}, config = CONFIG }) {
  const child = spawn(bin("workerd"), ["serve", config, `--socket-addr=http=127.0.0.1:${port}`, `--directory-path=storage=${dir}`], {
    stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, ...env },
  });
  const exited = new Promise((resolve) => child.once("exit", resolve));
  const url = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 200; attempt += 1) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`workerd exited with ${child.exitCode ?? child.signalCode}`);
    try {
      await fetch(`${url}/channels`);
      const end = (signal) => async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        await exited;
      };
      return { url, child, stop: end("SIGTERM"), kill: end("SIGKILL") };
    } catch {
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  child.kill("SIGKILL");
  throw new Error("workerd did not answer within 10 s");
}

/**
 * Reads an SSE response as it comes: `events` fills with `{ id, type, data }` (comments and
 * `retry:` skipped), `wait(check)` resolves once check(events) holds (or rejects after `ms`),
 * `close()` cancels. `ended` settles when the stream ends or fails.
 * @param {Response} response
 */
export function reader(response) {
  const events = [];
  const decoder = new TextDecoder();
  let text = "";
  let raw = "";
  const waiters = new Set();
  const body = /** @type {ReadableStream<Uint8Array>} */ (response.body).getReader();
  let failure = null;
  let done = false;
  const wake = () => { for (const w of waiters) w(); };
  const ended = (async () => {
    try {
      for (;;) {
        const step = await body.read();
        if (step.done) break;
        const chunk = decoder.decode(step.value, { stream: true });
        raw += chunk;
        text += chunk;
        let at;
        while ((at = text.indexOf("\n\n")) >= 0) {
          const block = text.slice(0, at);
          text = text.slice(at + 2);
          const event = { id: null, type: "message", data: "" };
          let has = false;
          for (const line of block.split("\n")) {
            const colon = line.indexOf(":");
            if (colon === 0) continue;
            const field = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
            if (field === "id") event.id = value;
            else if (field === "event") event.type = value;
            else if (field === "data") { event.data = event.data ? `${event.data}\n${value}` : value; has = true; }
          }
          if (has) events.push(event);
        }
        wake();
      }
    } catch (error) {
      failure = error;
    } finally {
      done = true;
      wake();
    }
  })();
  return {
    events,
    ended,
    get raw() { return raw; },
    get done() { return done; },
    get failure() { return failure; },
    /** Resolves once `check(events)` holds; rejects after `ms` or when the stream ends first. */
    wait(check, what, ms = 5000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => { waiters.delete(test); reject(new Error(`timed out waiting for ${what}; got ${events.length} events`)); }, ms);
        const test = () => {
          if (check(events)) { clearTimeout(timer); waiters.delete(test); resolve(events); }
          else if (done) { clearTimeout(timer); waiters.delete(test); reject(new Error(`the stream ended before ${what}: ${failure ?? "clean end"}`)); }
        };
        waiters.add(test);
        test();
      });
    },
    close: () => body.cancel().catch(() => {}),
  };
}

/** `<epoch>-<seq>` → [epoch, seq]. @param {string} id */
export const parts = (id) => id.split("-").map(Number);
