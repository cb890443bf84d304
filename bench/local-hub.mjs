// The single-process comparison for bench/redis.mjs: a hub on local channels (no backplane),
// served exactly as examples/redis/server.js serves its hub.
import { createHub } from "eric-sse";
import { env, serve } from "../examples/redis/serve.js";

serve(createHub({ cors: true }).fetch, Number(env("PORT")));
