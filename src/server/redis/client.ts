import type { Redis } from "@upstash/redis";

import { PooledRedis } from "./pooled-requester";

/**
 * An Upstash client over a connection pool (see ./pooled-requester.ts). Locally it talks to the
 * project's bridge in front of redis-server, so this exact code runs in development, tests and
 * production.
 */
export function createRedis(url: string, token: string): Redis {
  return new PooledRedis({
    url,
    token,
    // Fail fast: callers fall back to Postgres rather than wait out the default five retries.
    retries: 1,
    backoffMs: 50,
  });
}
