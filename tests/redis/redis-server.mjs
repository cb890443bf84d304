// A real redis-server for the tests, on 127.0.0.1 and a free port, in its own folder under
// test-output/. It can be stopped with its data saved (`down`), started again on the same port
// (`up`, which loads what was saved), killed with SIGKILL and started empty (`lose`).
import { spawn } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { connect } from "node:net";
import { join } from "node:path";
import { root } from "../../scripts/lib.mjs";
import { freePort } from "../../scripts/workerd.mjs";

export const REDIS_SERVER = "/usr/bin/redis-server";

/** Sends one inline command and resolves to the first reply line (null when nobody answers). */
function ask(port, line) {
  return new Promise((resolve) => {
    const socket = connect({ host: "127.0.0.1", port });
    let text = "";
    const done = (value) => { socket.destroy(); resolve(value); };
    socket.setTimeout(2000, () => done(null));
    socket.on("error", () => done(null));
    socket.on("close", () => done(text ? text.split("\r\n")[0] : null));
    socket.on("data", (d) => {
      text += d;
      if (text.includes("\r\n")) done(text.split("\r\n")[0]);
    });
    socket.on("connect", () => socket.write(`${line}\r\n`));
  });
}

/** @param {string} [name] its folder under test-output/ @param {number} [port] default: a free one */
export async function startRedis(name = "redis", port) {
  port ??= await freePort();
  const dir = join(root, "test-output", name);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  /** @type {import("node:child_process").ChildProcess | null} */
  let child = null;
  let log = "";

  async function start() {
    const proc = spawn(REDIS_SERVER, ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
      "--dir", dir, "--dbfilename", "dump.rdb", "--protected-mode", "no"], { stdio: ["ignore", "pipe", "pipe"] });
    proc.stdout.on("data", (d) => { log = (log + d).slice(-4000); });
    proc.stderr.on("data", (d) => { log = (log + d).slice(-4000); });
    child = proc;
    for (let i = 0; i < 200; i += 1) {
      if (proc.exitCode !== null) throw new Error(`redis-server exited with ${proc.exitCode}: ${log}`);
      if ((await ask(port, "PING")) === "+PONG") return;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error(`redis-server did not answer on ${port}: ${log}`);
  }

  /** Stops the process (SIGKILL by default) and waits for its exit. */
  async function kill(signal = "SIGKILL") {
    const proc = child;
    child = null;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise((resolve) => proc.once("exit", resolve));
    proc.kill(signal);
    await exited;
  }

  await start();
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    ask: (line) => ask(port, line),
    /** Saves the data and stops: an outage that loses nothing. */
    async down() {
      const proc = child;
      child = null;
      if (!proc) return;
      const exited = new Promise((resolve) => proc.once("exit", resolve));
      await ask(port, "SHUTDOWN SAVE");
      await exited;
    },
    /** Starts again on the same port, with what `down` saved. */
    up: start,
    /** SIGKILL, then a start with nothing: Redis restarted without persistence. */
    async lose() {
      await kill("SIGKILL");
      rmSync(join(dir, "dump.rdb"), { force: true });
      await start();
    },
    kill,
    get running() {
      return child !== null;
    },
    async stop() {
      await kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
