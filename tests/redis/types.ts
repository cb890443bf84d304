// `tsc -p tests/redis` (run by tests/redis/run.mjs): redis.d.ts declares exactly what
// js/backplane/redis.js exports, and the subpath types what users write.
import { Channel, createHub } from "eric-sse";
import { compareIds, redisBackplane, type RedisBackplane } from "eric-sse/redis";
import type * as Declared from "eric-sse/redis";
import type * as Js from "../../js/backplane/redis.js";

type Expect<T extends true> = T;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
export type Checks = [Expect<Same<keyof typeof Declared, keyof typeof Js>>];

const backplane: RedisBackplane = redisBackplane({
  url: "rediss://user:secret@redis.example:6380/0", prefix: "app:", maxLen: 500, trim: "exact",
  redis: { socket: { ca: "…", servername: "redis.example" } }, onError: (error) => console.error(error),
});
createHub({ backplane });
const channel = new Channel({ id: "news", backplane });
export const published: Promise<string> = channel.publish("tick", { at: 1 });
export const order: number = compareIds("1-2", "1-10");
export const up: boolean = backplane.up;
export const closing: Promise<void> = backplane.close();
// @ts-expect-error trim is "approximate" or "exact"
redisBackplane({ trim: "fast" });
