// The backplane contract (tests/behaviour/backplane.js) against sqliteBackplane over a real
// Durable Object's SQLite storage in workerd. GET /contract runs it inside one object and
// returns the results. "Down" is a storage whose every statement fails (what a full or broken
// disk looks like to the engine); the contract's `lose` does not apply: an object's log is not
// lost while the object runs (a wiped object starts a new epoch, as a restart shows).
import * as lib from "../../dist/workerd.js";
import { backplaneTests } from "../behaviour/backplane.js";

const WINDOW = 5;

export class ContractObject {
  constructor(ctx) {
    this.sql = ctx.storage.sql;
    storage = this.sql;
  }

  async fetch() {
    const failing = new WeakMap();
    const ctx = {
      window: WINDOW,
      make: () => {
        const switchable = { down: false };
        const sql = {
          exec: (query, ...bindings) => {
            if (switchable.down) throw new Error("SQLITE_IOERR: disk I/O error (simulated)");
            return this.sql.exec(query, ...bindings);
          },
        };
        const backplane = lib.sqliteBackplane(sql, { maxLen: WINDOW });
        failing.set(backplane, switchable);
        return backplane;
      },
      down: (backplane) => { failing.get(backplane).down = true; },
      up: (backplane) => { failing.get(backplane).down = false; },
    };
    const results = [];
    for (const { name, fn } of [...backplaneTests, ...extras]) {
      try {
        await fn(lib, ctx);
        results.push({ name, ok: true });
      } catch (error) {
        results.push({ name, ok: false, error: `${error?.name}: ${error?.message}` });
      }
    }
    return Response.json(results);
  }
}

/** What the contract does not cover: the engine's own promises. */
const extras = [];
const extra = (name, fn) => extras.push({ name, fn });
let unique = 0;
const fresh = () => `extra-${Date.now().toString(36)}-${(unique += 1)}`;
const check = (ok, message) => { if (!ok) throw new Error(message); };
const refused = async (promise, Class) => {
  try {
    await promise;
  } catch (error) {
    check(error instanceof Class, `${Class.name} expected, got ${error?.name}: ${error?.message}`);
    return;
  }
  throw new Error(`${Class.name} expected`);
};

extra("a second engine on the same storage (a restarted object) continues the ids and reads the log from disk", async (lib, ctx) => {
  const first = ctx.make();
  const c = fresh();
  await first.create(c);
  const a = await first.append(c, { type: "n", payload: "1" });
  const b = await first.append(c, { type: "n", payload: "2", target: "l1", sender: "s1" });
  const again = ctx.make();
  check(await again.exists(c), "the channel exists after the restart");
  check((await again.tail(c)) === b.id, `tail ${await again.tail(c)} is ${b.id}`);
  const { entries, tail } = await again.read(c, a.id);
  check(JSON.stringify(entries) === JSON.stringify([b]) && tail === b.id, `read after ${a.id}: ${JSON.stringify(entries)}`);
  const c3 = await again.append(c, { type: "n", payload: "3" });
  const [epoch, seq] = b.id.split("-").map(Number);
  check(c3.id === `${epoch}-${seq + 1}` && c3.prev === b.id, `next id ${c3.id} prev ${c3.prev}`);
  check((await again.read(c, null)).entries.length === 3, "everything kept is read");
});

extra("the log is capped at maxLen on disk; reads from before the window or another lifetime return the window", async (lib, ctx) => {
  const engine = ctx.make();
  const c = fresh();
  await engine.create(c);
  const ids = [];
  for (let n = 0; n < ctx.window + 3; n += 1) ids.push((await engine.append(c, { type: "n", payload: String(n) })).id);
  const rows = storage.exec("SELECT COUNT(*) AS k FROM eric_log WHERE channel = ?", c).toArray()[0].k;
  check(rows === ctx.window, `${rows} rows kept`);
  const old = await engine.read(c, ids[0]);
  check(JSON.stringify(old.entries.map((e) => e.id)) === JSON.stringify(ids.slice(-ctx.window)), "the window after an old id");
  const other = await engine.read(c, "1-5");
  check(other.entries.length === ctx.window, "an id of an earlier lifetime reads the window");
  const future = await engine.read(c, "99999999999999-1");
  check(future.entries.length === 0 && future.tail === ids.at(-1), "an id from the future reads nothing");
  const bad = await engine.read(c, "x");
  check(bad.entries.length === ctx.window, "a malformed id reads the window");
});

extra("a re-created channel takes a later epoch; removal keeps nothing but the epoch", async (lib, ctx) => {
  const engine = ctx.make();
  const c = fresh();
  await engine.create(c);
  const old = await engine.append(c, { type: "n", payload: "1" });
  check(await engine.remove(c), "removed");
  check(!(await engine.exists(c)) && (await engine.remove(c)) === false, "gone");
  check(storage.exec("SELECT COUNT(*) AS k FROM eric_log WHERE channel = ?", c).toArray()[0].k === 0, "no rows left");
  await refused(engine.append(c, { type: "n", payload: "2" }), lib.InvalidChannelError);
  check(await engine.create(c), "created again");
  const next = await engine.append(c, { type: "n", payload: "2" });
  check(Number(next.id.split("-")[0]) > Number(old.id.split("-")[0]) && next.prev === null, `${next.id} after ${old.id}`);
});

extra("refusals: an unknown target (isListener), a row over 2 MB, an unknown channel", async (lib) => {
  const engine = lib.sqliteBackplane(storage, { isListener: (channel, id) => id === "known" });
  const c = fresh();
  await engine.create(c);
  await refused(engine.append(c, { type: "n", payload: "1", target: "stranger" }), lib.InvalidListenerError);
  await engine.append(c, { type: "n", payload: "1", target: "known" });
  await refused(engine.append(c, { type: "n", payload: JSON.stringify("x".repeat(2_000_000)) }), lib.PayloadTooLargeError);
  await refused(engine.append(fresh(), { type: "n", payload: "1" }), lib.InvalidChannelError);
  check((await engine.tail(c)).endsWith("-1"), "nothing refused was stored");
});

/** The object's SQL storage, for the checks that look at the rows. */
let storage;

export default {
  fetch(request, env) {
    const namespace = env.CONTRACT;
    return namespace.get(namespace.idFromName("contract")).fetch(request);
  },
};
