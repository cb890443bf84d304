// Channels that outlive one isolate: the hub on Cloudflare Durable Objects. Each channel is one
// object (its single writer: ids, SQLite history, its SSE connections); this Worker's fetch
// routes every request to the channel's object, in whichever isolate it runs. Same routes and
// POST /command as createHub(). Deploy with wrangler (wrangler.toml here), or run config.capnp
// with plain workerd. Set HUB_TOKEN to require `Authorization: Bearer <token>` for writes;
// HISTORY sets how many messages each channel keeps on disk for replays (default 1000).
import { createDurableHub } from "eric-sse";
import { examplePolicy } from "../policy.js";

const hub = createDurableHub((env) => ({
  binding: "CHANNELS",
  history: env.HISTORY ? Number(env.HISTORY) : undefined,
  ...examplePolicy(env.HUB_TOKEN),
}));

// The Durable Object class the CHANNELS binding names (wrangler.toml / config.capnp).
export const ChannelObject = hub.ChannelObject;
export default { fetch: hub.fetch };
