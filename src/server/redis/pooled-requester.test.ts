/**
 * The app's Upstash client over a connection pool (./pooled-requester.ts) against the real bridge
 * and redis-server: what the app relies on from @upstash/redis must behave the same.
 */
import { randomBytes } from "node:crypto";

import { errors } from "@upstash/redis";
import { describe, expect, it } from "vitest";

import { env } from "~/env.js";
import { freePort } from "../../../test/support/ports";
import { PooledRedis } from "./pooled-requester";

const redis = new PooledRedis({ url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN, retries: 1, backoffMs: 10 });
const key = (name: string) => `${env.REDIS_KEY_PREFIX}pooled:${randomBytes(4).toString("hex")}:${name}`;

describe("PooledRedis", () => {
  it("returns values as Redis sent them: a name like \"123\" or \"true\" stays a string", async () => {
    const name = key("name");
    await redis.set(name, "123");
    expect(await redis.get(name)).toBe("123");
    await redis.hset(name + "h", { a: "true", b: "zoë 💥" });
    expect(await redis.hmget(name + "h", "a", "b")).toEqual(["true", "zoë 💥"]);
  });

  it("runs scripts (loading them on first use) and batches concurrent commands into pipelines", async () => {
    const script = redis.createScript<number>(`return redis.call('INCRBY', KEYS[1], ARGV[1])`);
    const counter = key("counter");
    const results = await Promise.all(Array.from({ length: 20 }, () => script.exec([counter], ["2"])));
    expect(results.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => 2 * (i + 1)));
    const pipeline = redis.pipeline();
    pipeline.get(counter);
    pipeline.incr(counter);
    expect(await pipeline.exec()).toEqual(["40", 41]);
  });

  it("reports a command Redis refuses as an UpstashError", async () => {
    const text = key("text");
    await redis.set(text, "not a number");
    await expect(redis.incr(text)).rejects.toBeInstanceOf(errors.UpstashError);
  });

  it("delivers pub/sub messages to a subscriber", async () => {
    const channel = key("channel");
    const subscriber = redis.subscribe<string>([channel]);
    const ready = new Promise<void>((resolve) => subscriber.on("subscribe", () => resolve()));
    const message = new Promise<string>((resolve) => subscriber.on("message", ({ message }) => resolve(message)));
    await ready;
    await redis.publish(channel, "17");
    expect(await message).toBe("17");
    await subscriber.unsubscribe();
  });

  it("fails, after its retries, when nothing answers", async () => {
    const dead = new PooledRedis({ url: `http://127.0.0.1:${await freePort()}`, token: "t", retries: 1, backoffMs: 1 });
    await expect(dead.get("anything")).rejects.toThrow();
  });
});
