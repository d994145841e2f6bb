import { Redis } from "@upstash/redis";

import { env } from "~/env.js";
import { processWide } from "~/server/process-wide";

/**
 * The one Upstash client. Locally it talks to the project's bridge in front of redis-server,
 * so this exact code runs in development, tests and production.
 */
export const redis = processWide(
  "redis",
  () =>
    new Redis({
      url: env.UPSTASH_REDIS_REST_URL,
      token: env.UPSTASH_REDIS_REST_TOKEN,
      // Fail fast: callers fall back to Postgres rather than wait out the default five retries.
      retry: { retries: 1, backoff: () => 50 },
      enableTelemetry: false,
      // Values come back as Redis sent them: a display name like "123" or "true" stays a string.
      automaticDeserialization: false,
    }),
);

/** The one key scheme: every key this app writes starts with REDIS_KEY_PREFIX. */
export function redisKey(...parts: string[]) {
  return env.REDIS_KEY_PREFIX + parts.join(":");
}
