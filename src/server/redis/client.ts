import type { Redis } from "@upstash/redis";

import { env } from "~/env.js";
import { processWide } from "~/server/process-wide";
import { redisKeys } from "./keys";
import { PooledRedis } from "./pooled-requester";

/**
 * The one Upstash client (over a connection pool: see ./pooled-requester.ts). Locally it talks to
 * the project's bridge in front of redis-server, so this exact code runs in development, tests and
 * production.
 */
export const redis: Redis = processWide(
  "redis",
  () =>
    new PooledRedis({
      url: env.UPSTASH_REDIS_REST_URL,
      token: env.UPSTASH_REDIS_REST_TOKEN,
      // Fail fast: callers fall back to Postgres rather than wait out the default five retries.
      retries: 1,
      backoffMs: 50,
    }),
);

/** The app's keys: every key it uses, under REDIS_KEY_PREFIX (see ./keys.ts). */
export const appKeys = redisKeys(env.REDIS_KEY_PREFIX);
