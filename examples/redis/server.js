// A hub whose channels live in Redis: run one per process, machine or region behind a load
// balancer, and every instance serves the same channels (the REST routes and POST /command of
// createHub()), with replay across instances. Same file in Node, Deno and Bun:
//   REDIS_URL=redis://127.0.0.1:6379 PORT=8080 node examples/redis/server.js
//   REDIS_URL=… PORT=8081 deno run -A examples/redis/server.js        ·  bun examples/redis/server.js
import { createHub } from "eric-sse";
import { redisBackplane } from "eric-sse/redis";
import { env, serve } from "./serve.js";

const backplane = redisBackplane({ url: env("REDIS_URL"), maxLen: Number(env("REDIS_MAXLEN") ?? 1000) });
const hub = createHub({ backplane, cors: true });
serve(hub.fetch, Number(env("PORT") ?? 8080));
