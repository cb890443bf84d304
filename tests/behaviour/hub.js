// The hub's HTTP protocol, run unchanged against hub.fetch in Node, examples/cloudflare under
// the real workerd and examples/deno under real Deno. `ctx.request(path, init)` → Response;
// the hub uses examples/policy.js with the token "test-token".

import { equal, norm, ok, seq } from "./assert.js";

export const hubTests = [];
const test = (name, fn) => hubTests.push({ name, fn });
const auth = { authorization: "Bearer test-token", "content-type": "application/json" };
let unique = 0;
const name = (prefix) => `${prefix}-${Date.now().toString(36)}-${(unique += 1)}`;

async function call(ctx, method, path, body, headers = auth) {
  const response = await ctx.request(path, {
    method, headers, body: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
  });
  const type = response.headers.get("content-type") ?? "";
  return { status: response.status, json: type.includes("json") ? await response.json() : await response.text(), response };
}

async function text(response) {
  let all = "";
  const decoder = new TextDecoder();
  for await (const chunk of response.body) all += decoder.decode(chunk, { stream: true });
  return norm(all);
}

const frame = (id, type, data) => `id: ${id}\nevent: ${type}\ndata: ${data}\n\n`;
const CLOSED = "event: _eric_channel_closed\ndata: null\n\n";

test("routes and /command create, dispatch, broadcast and stream exactly", async (ctx) => {
  const c = name("room");
  equal((await call(ctx, "POST", "/channels", { id: c })).json, { id: c });
  const a = (await call(ctx, "POST", `/channels/${c}/listeners`)).json.id;
  const created = await call(ctx, "POST", "/command", { v: "r", c });
  equal(created.status, 201);
  const b = created.json.r;
  ok(typeof a === "string" && typeof b === "string" && a !== b, "two listener ids");
  const streamA = await ctx.request(`/channels/${c}/listeners/${a}/events`);
  const streamB = await ctx.request(`/channels/${c}/listeners/${b}/events`);
  equal([streamA.status, streamA.headers.get("content-type")], [200, "text/event-stream"]);
  const ids = (json) => ({ ...json, id: seq(json.id) });
  equal(ids((await call(ctx, "POST", `/channels/${c}/listeners/${a}/messages`, { type: "hi", payload: { to: "a" } })).json), { id: 1 });
  equal(ids((await call(ctx, "POST", "/command", { v: "d", c, r: b, t: "hi", p: { to: "b" } })).json), { ack: true, id: 2 });
  equal(ids((await call(ctx, "POST", `/channels/${c}/messages`, { type: "all", payload: 1 })).json), { id: 3 });
  equal(ids((await call(ctx, "POST", "/command", { v: "b", c, t: "all", p: [2] })).json), { ack: true, id: 4 });
  equal((await call(ctx, "POST", "/command", { v: "rc", c })).json, { ack: true });
  equal(await text(streamA), `retry: 5000\n\n${frame(1, "hi", '{"to":"a"}')}${frame(3, "all", "1")}${frame(4, "all", "[2]")}${CLOSED}`);
  equal(await text(streamB), `retry: 5000\n\n${frame(2, "hi", '{"to":"b"}')}${frame(3, "all", "1")}${frame(4, "all", "[2]")}${CLOSED}`);
  equal((await call(ctx, "GET", "/channels")).json.channels.includes(c), false, "rc removed the channel:");
});

test("watch (GET /channels/:c/events and verb w) opens a new listener with its stream", async (ctx) => {
  const c = (await call(ctx, "POST", "/command", { v: "c" })).json.c;
  const watch = await ctx.request(`/channels/${c}/events`);
  const viaCommand = await ctx.request("/command", { method: "POST", headers: auth, body: JSON.stringify({ v: "w", c }) });
  ok(watch.headers.get("x-listener-id") && viaCommand.headers.get("x-listener-id"), "listener ids in x-listener-id");
  await call(ctx, "POST", `/channels/${c}/messages`, { type: "news", payload: "x" });
  await call(ctx, "DELETE", `/channels/${c}`);
  const expected = `retry: 5000\n\n${frame(1, "news", '"x"')}${CLOSED}`;
  equal([await text(watch), await text(viaCommand)], [expected, expected]);
});

test("verb l streams an existing listener; a reconnection with Last-Event-ID resumes it", async (ctx) => {
  const c = (await call(ctx, "POST", "/channels", {})).json.id;
  const l = (await call(ctx, "POST", "/command", { v: "r", c })).json.r;
  const one = (await call(ctx, "POST", `/channels/${c}/messages`, { type: "n", payload: 1 })).json.id;
  const first = await ctx.request("/command", { method: "POST", headers: auth, body: JSON.stringify({ v: "l", c, r: l }) });
  const reader = first.body.getReader();
  const head = new TextDecoder().decode((await reader.read()).value);
  ok(norm(head).includes(frame(1, "n", "1")), head);
  await reader.cancel();
  await call(ctx, "POST", `/channels/${c}/messages`, { type: "n", payload: 2 });
  await call(ctx, "POST", `/channels/${c}/messages`, { type: "n", payload: 3 });
  const again = await ctx.request(`/channels/${c}/listeners/${l}/events?lastEventId=${one}`);
  await call(ctx, "DELETE", `/channels/${c}`);
  equal(await text(again), `retry: 5000\n\n${frame(2, "n", "2")}${frame(3, "n", "3")}${CLOSED}`);
});

test("listeners are removed by DELETE and by verb rl", async (ctx) => {
  const c = (await call(ctx, "POST", "/channels", {})).json.id;
  const a = (await call(ctx, "POST", `/channels/${c}/listeners`)).json.id;
  const b = (await call(ctx, "POST", `/channels/${c}/listeners`)).json.id;
  equal((await call(ctx, "DELETE", `/channels/${c}/listeners/${a}`)).json, { ack: true });
  equal((await call(ctx, "POST", "/command", { v: "rl", c, r: b })).json, { ack: true });
  for (const l of [a, b]) {
    equal((await call(ctx, "POST", `/channels/${c}/listeners/${l}/messages`, { type: "t" })).status, 404);
  }
  await call(ctx, "DELETE", `/channels/${c}`);
});

/** The error table: each refusal has its status and JSON error, and changes no state. */
test("refusals answer JSON errors with the right status and change nothing", async (ctx) => {
  const c = (await call(ctx, "POST", "/channels", {})).json.id;
  const l = (await call(ctx, "POST", `/channels/${c}/listeners`)).json.id;
  const before = (await call(ctx, "GET", "/channels")).json.channels.length;
  const cases = [
    ["malformed JSON", "POST", "/command", "{nope", auth, 400, "InvalidMessageFormatError"],
    ["missing key r", "POST", "/command", { v: "d", c, t: "x" }, auth, 400, "InvalidMessageFormatError"],
    ["missing key t", "POST", "/command", { v: "b", c }, auth, 400, "InvalidMessageFormatError"],
    ["unknown verb", "POST", "/command", { v: "zz", c }, auth, 400, "InvalidMessageFormatError"],
    ["bad type", "POST", `/channels/${c}/messages`, { type: "_eric_channel_closed" }, auth, 400, "InvalidMessageFormatError"],
    ["unknown channel", "POST", "/channels/nope/messages", { type: "t" }, auth, 404, "InvalidChannelError"],
    ["unknown channel (b)", "POST", "/command", { v: "b", c: "nope", t: "t" }, auth, 404, "InvalidChannelError"],
    ["unknown listener", "POST", `/channels/${c}/listeners/nope/messages`, { type: "t" }, auth, 404, "InvalidListenerError"],
    ["unknown listener (d)", "POST", "/command", { v: "d", c, r: "nope", t: "t" }, auth, 404, "InvalidListenerError"],
    ["unknown route", "GET", "/elsewhere", undefined, auth, 404, "NotFoundError"],
    ["wrong method", "PUT", `/channels/${c}`, undefined, auth, 405, "MethodNotAllowedError"],
    ["body over maxBodyBytes", "POST", `/channels/${c}/messages`, { type: "t", payload: "x".repeat(70_000) }, auth, 413, "PayloadTooLargeError"],
    ["no credentials", "POST", `/channels/${c}/messages`, { type: "t" }, { "content-type": "application/json" }, 401, "UnauthorizedError"],
    ["wrong credentials", "POST", "/command", { v: "b", c, t: "t" }, { authorization: "Bearer nope", "content-type": "application/json" }, 403, "ForbiddenError"],
    ["a body that is not JSON (a cross-site form post)", "POST", "/command", `{"v":"rc","c":"${c}","x":"="}\r\n`, { authorization: "Bearer test-token", "content-type": "text/plain" }, 415, "UnsupportedMediaTypeError"],
    ["no Content-Type", "POST", `/channels/${c}/messages`, { type: "t" }, { authorization: "Bearer test-token" }, 415, "UnsupportedMediaTypeError"],
    ["a number out of range", "POST", `/channels/${c}/messages`, `{"type":"t","payload":{"big":1e400}}`, auth, 400, "InvalidMessageFormatError"],
    ["a channel id of dots", "POST", "/channels", { id: ".." }, auth, 400, "InvalidMessageFormatError"],
    ["duplicate channel id", "POST", "/channels", { id: c }, auth, 409, "ChannelExistsError"],
  ];
  for (const [what, method, path, body, headers, status, errorName] of cases) {
    const got = await call(ctx, method, path, body, headers);
    equal([got.status, got.json?.error?.name, typeof got.json?.error?.message], [status, errorName, "string"], `${what}:`);
  }
  equal((await call(ctx, "GET", "/channels")).json.channels.length, before, "no channel was added or removed:");
  equal(seq((await call(ctx, "POST", `/channels/${c}/messages`, { type: "t" })).json.id), 1, "no message was sent before:");
  equal(seq((await call(ctx, "POST", `/channels/${c}/listeners/${l}/messages`, { type: "t" })).json.id), 2);
  await call(ctx, "DELETE", `/channels/${c}`);
});

test("limits on listeners and channels answer 429 and change nothing", async (ctx) => {
  const c = (await call(ctx, "POST", "/channels", {})).json.id;
  for (let i = 0; i < 20; i += 1) equal((await call(ctx, "POST", `/channels/${c}/listeners`)).status, 201);
  const refused = await call(ctx, "POST", "/command", { v: "r", c });
  equal([refused.status, refused.json.error.name], [429, "LimitExceededError"]);
  equal(seq((await call(ctx, "POST", `/channels/${c}/messages`, { type: "t" })).json.id), 1);
  await call(ctx, "DELETE", `/channels/${c}`);
  const made = [];
  for (;;) {
    const got = await call(ctx, "POST", "/channels", {});
    if (got.status !== 201) {
      equal([got.status, got.json.error.name], [429, "LimitExceededError"]);
      break;
    }
    made.push(got.json.id);
    ok(made.length <= 100, "stops at maxChannels");
  }
  equal((await call(ctx, "GET", "/channels")).json.channels.length, 100);
  for (const id of made) await call(ctx, "DELETE", `/channels/${id}`);
});

test("CORS: preflight and headers", async (ctx) => {
  const pre = await ctx.request("/channels", { method: "OPTIONS", headers: { origin: "http://app.test", "access-control-request-method": "POST" } });
  equal([pre.status, pre.headers.get("access-control-allow-origin")], [204, "*"]);
  ok(/last-event-id/.test(pre.headers.get("access-control-allow-headers")), "Last-Event-ID is allowed");
  const listed = await ctx.request("/channels");
  equal(listed.headers.get("access-control-allow-origin"), "*");
});
