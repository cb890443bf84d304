// Hostile HTTP input against a hub using examples/policy.js (token "test-token"), run unchanged
// in-process under Node, against examples/cloudflare in real workerd and examples/deno in real
// Deno. Each test pins one way a client tried to lose messages, poison state or pass the policy,
// and checks that the refusal changed nothing. `ctx.request(path, init)` → Response.

import { equal, norm, ok, seq } from "./assert.js";

export const attackTests = [];
const test = (name, fn) => attackTests.push({ name, fn });
const auth = { authorization: "Bearer test-token", "content-type": "application/json" };
let unique = 0;
const fresh = (prefix) => `${prefix}-${Date.now().toString(36)}-${(unique += 1)}`;

async function call(ctx, method, path, body, headers = auth) {
  const response = await ctx.request(path, {
    method, headers, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const type = response.headers.get("content-type") ?? "";
  return { status: response.status, json: type.includes("json") ? await response.json() : null, response };
}

/** Reads an SSE response until `until(text)` holds, then cancels it. */
async function readUntil(response, until) {
  const reader = response.body.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!until(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  await reader.cancel();
  return text;
}

/** The status of adding (then removing) one listener: 201 while the channel is under its limit. */
const addStatus = async (ctx, c) => {
  const probe = await call(ctx, "POST", `/channels/${c}/listeners`);
  if (probe.status === 201) await call(ctx, "DELETE", `/channels/${c}/listeners/${probe.json.id}`);
  return probe.status;
};

/** Asks until `fn()` resolves to a response with `status` (a cancelled stream leaves the hub
 * when the runtime tells it the client went away), at most 3 s. */
async function eventually(fn, status) {
  const until = Date.now() + 3000;
  for (;;) {
    const response = await fn();
    if (response.status === status || Date.now() > until) return response;
    await response.body?.cancel();
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

test("a re-created channel's ids never match an old lifetime: resuming with an old id gets the gap, not a skip", async (ctx) => {
  const c = fresh("lifetimes");
  await call(ctx, "POST", "/channels", { id: c });
  const old = [];
  for (let n = 1; n <= 3; n += 1) old.push((await call(ctx, "POST", `/channels/${c}/messages`, { type: "n", payload: n })).json.id);
  await call(ctx, "DELETE", `/channels/${c}`);
  await call(ctx, "POST", "/channels", { id: c });
  const fresh5 = [];
  for (let n = 1; n <= 5; n += 1) fresh5.push((await call(ctx, "POST", `/channels/${c}/messages`, { type: "n", payload: 10 + n })).json.id);
  ok(old.every((id) => !fresh5.includes(id)), `ids repeat: ${old} / ${fresh5}`);
  const response = await ctx.request(`/channels/${c}/events`, { headers: { "last-event-id": old[1] } });
  const text = await readUntil(response, (t) => t.includes("data: 15\n"));
  ok(text.includes("event: _eric_replay_gap\n"), text);
  equal(text.match(/data: 1[1-5]\n/g)?.length, 5, `all five new messages replayed: ${text}`);
  await call(ctx, "DELETE", `/channels/${c}`);
});

test("prototype names are not verbs and never reach authorize as functions", async (ctx) => {
  const c = (await call(ctx, "POST", "/channels", {})).json.id;
  for (const v of ["toString", "valueOf", "constructor", "__proto__", "hasOwnProperty"]) {
    const got = await call(ctx, "POST", "/command", { v, c });
    equal([got.status, got.json?.error?.name], [400, "InvalidMessageFormatError"], `${v}:`);
  }
  await call(ctx, "DELETE", `/channels/${c}`);
});

test("empty, malformed and non-ASCII ids, bad escapes and deep payloads answer 400 and change nothing", async (ctx) => {
  const c = (await call(ctx, "POST", "/channels", {})).json.id;
  const before = (await call(ctx, "GET", "/channels")).json.channels.length;
  const deep = "[".repeat(5000) + "]".repeat(5000);
  const cases = [
    ["POST", "/channels", { id: "" }],
    ["POST", "/channels", { id: "has space" }],
    ["POST", "/channels", { id: "caf\u00e9" }],
    ["POST", "/channels", { id: 42 }],
    ["POST", "/command", { v: "c", c: "" }],
    ["POST", "/command", { v: "b", c, t: "" }],
    ["POST", "/command", { v: "d", c, r: "", t: "x" }],
    ["DELETE", "/channels/%zz", undefined],
    ["DELETE", "/channels/%", undefined],
    ["GET", `/channels/${c}/listeners/%E2%80%A6/events`, undefined],
    ["POST", `/channels/${c}/messages`, `{"type":"t","payload":${deep}}`],
    ["POST", "/command", `{"v":"b","c":"${c}","t":"t","p":${deep}}`],
  ];
  for (const [method, path, body] of cases) {
    const got = await call(ctx, method, path, body);
    equal([got.status, got.json?.error?.name], [400, "InvalidMessageFormatError"], `${method} ${path} ${typeof body === "string" ? body.slice(0, 40) : JSON.stringify(body)}:`);
  }
  equal((await call(ctx, "GET", "/channels")).json.channels.length, before, "no channel was created:");
  equal(seq((await call(ctx, "POST", `/channels/${c}/messages`, { type: "t" })).json.id), 1, "no message was sent:");
  await call(ctx, "DELETE", `/channels/${c}`);
});

test("listen cannot create a listener with a chosen id, even with Last-Event-ID", async (ctx) => {
  const c = (await call(ctx, "POST", "/channels", {})).json.id;
  for (const lastEventId of ["0", "1-1", "x"]) {
    const got = await call(ctx, "GET", `/channels/${c}/listeners/chosen-${lastEventId}/events`, undefined, { "last-event-id": lastEventId });
    equal([got.status, got.json?.error?.name], [404, "InvalidListenerError"], `Last-Event-ID ${lastEventId}:`);
  }
  const dispatch = await call(ctx, "POST", `/channels/${c}/listeners/chosen-0/messages`, { type: "t" });
  equal(dispatch.status, 404, "the refused listen registered nothing:");
  await call(ctx, "DELETE", `/channels/${c}`);
});

test("a client's listener is its own: others cannot listen to it, remove it, or revive it to read its dispatches", async (ctx) => {
  const c = (await call(ctx, "POST", "/channels", {})).json.id;
  const mine = (await call(ctx, "POST", `/channels/${c}/listeners?client=alice`)).json.id;
  await call(ctx, "POST", `/channels/${c}/listeners/${mine}/messages`, { type: "secret", payload: "for alice" });
  const spy = await call(ctx, "GET", `/channels/${c}/listeners/${mine}/events?client=mallory`);
  equal([spy.status, spy.json?.error?.name], [403, "ForbiddenError"], "listening as another client:");
  const anonymous = await call(ctx, "GET", `/channels/${c}/listeners/${mine}/events`);
  equal(anonymous.status, 403, "listening anonymously:");
  const remove = await call(ctx, "DELETE", `/channels/${c}/listeners/${mine}?client=mallory`);
  equal(remove.status, 403, "removing it as another client:");
  // Alice reads, then her stream closes: the listener leaves the hub.
  const first = await ctx.request(`/channels/${c}/listeners/${mine}/events?client=alice`);
  ok((await readUntil(first, (t) => t.includes("for alice"))).includes("event: secret"), "alice gets her dispatch");
  // Traffic on the channel: a runtime that notices a gone client only when a write fails (workerd) does now.
  await call(ctx, "POST", `/channels/${c}/messages`, { type: "nudge" });
  const revive = await call(ctx, "GET", `/channels/${c}/listeners/${mine}/events?client=mallory`, undefined, { "last-event-id": "0" });
  equal(revive.status, 403, "reviving it as another client:");
  const back = await eventually(() => ctx.request(`/channels/${c}/listeners/${mine}/events?client=alice`, { headers: { "last-event-id": "0" } }), 200);
  equal(back.status, 200, "alice resumes her own listener");
  ok((await readUntil(back, (t) => t.includes("for alice"))).includes("event: _eric_replay_gap"), "with the replay after a gap notice");
  await call(ctx, "DELETE", `/channels/${c}`);
});

test("refusals never leave a listener behind", async (ctx) => {
  const c = (await call(ctx, "POST", "/channels", {})).json.id;
  for (let i = 0; i < 30; i += 1) {
    await call(ctx, "GET", `/channels/${c}/listeners/ghost-${i}/events`, undefined, { "last-event-id": "1" });
    await call(ctx, "GET", `/channels/${c}/listeners/bad%20id/events`, undefined, { "last-event-id": "1" });
  }
  equal(await addStatus(ctx, c), 201, "the channel (limit 20 listeners) still takes new listeners:");
  await call(ctx, "DELETE", `/channels/${c}`);
});

test("a watch stream's text carries ids as <epoch>-<seq>", async (ctx) => {
  const c = (await call(ctx, "POST", "/channels", {})).json.id;
  const watch = await ctx.request(`/channels/${c}/events`);
  const sent = (await call(ctx, "POST", `/channels/${c}/messages`, { type: "n", payload: 1 })).json.id;
  const text = await readUntil(watch, (t) => t.includes("data: 1\n"));
  ok(/^\d+-1$/.test(sent) && text.includes(`id: ${sent}\n`), text);
  equal(norm(text).includes("id: 1\n"), true);
  await call(ctx, "DELETE", `/channels/${c}`);
});
