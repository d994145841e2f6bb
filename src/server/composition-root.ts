/**
 * The composition root: the one module that wires this process's services to env, Postgres and
 * Redis. Each service is made on first use, once per process (processWide: every bundle of the
 * process shares it), so importing this module builds nothing and a route builds what it uses.
 * The board's HTTP answers, made of API-layer parts, are wired the same way in ~/server/api/board.
 */
import type { Redis } from "@upstash/redis";
import type { NextAuthOptions } from "next-auth";
import { after } from "next/server";

import { env } from "~/env.js";
import { BOARD_WINDOWS, type BoardWindow } from "~/lib/board-windows";
import { scopeAt } from "~/server/board/types";
import { createAuthOptions } from "~/server/auth/config";
import { createDatabase, type Database } from "~/server/db";
import { describeError, logger, metrics } from "~/server/observability";
import { processWide } from "~/server/process-wide";
import { createBoardChangeFeed } from "~/server/redis/board-changes";
import { createBoardStore } from "~/server/redis/board-store";
import { createRedis } from "~/server/redis/client";
import { redisKeys } from "~/server/redis/keys";
import { createRateLimits, type RateLimitEvent, type RateLimits } from "~/server/redis/rate-limit";
import { createStreamSlots, type StreamSlotEvent, type StreamSlots } from "~/server/redis/stream-slots";
import { createLeaderboard, type Leaderboard } from "~/server/scoring/leaderboard";
import { createLiveBoard, LIVE_BOARD_SIZE, type LiveBoards } from "~/server/scoring/live-board";
import type { ScoreDeps } from "~/server/scoring/score-service";
import { actionTokenKey } from "~/server/scoring/token";

/** A failed Redis operation that Postgres covered: counted, and logged without payloads. */
function redisFailed(operation: string, error: unknown) {
  metrics.redisFallbacks.inc({ operation });
  logger.warn({ operation, error: describeError(error) }, "redis operation failed");
}

/** `warn`, at most once per 10 s: a dead Redis must not flood the log. */
function throttled<A extends unknown[]>(warn: (...args: A) => void) {
  let lastAt = -Infinity;
  return (...args: A) => {
    const now = Date.now();
    if (now - lastAt < 10_000) return;
    lastAt = now;
    warn(...args);
  };
}

const warnLimitSkipped = throttled((event: Extract<RateLimitEvent, { cause: unknown }>) => {
  const what = event.outcome === "in_memory" ? "counted in this instance's memory" : "not applied, failing open";
  logger.warn({ limit: event.limit, cause: event.cause }, `rate limit ${what}: Redis unavailable`);
});

/** Refusals are counted; checks Redis could not answer counted and logged (never an identifier). */
function rateLimitEvent(event: RateLimitEvent) {
  if (event.outcome === "refused") {
    metrics.rateLimitRefusals.inc({ limit: event.limit });
    return;
  }
  metrics.redisFallbacks.inc({ operation: `ratelimit:${event.limit}` });
  warnLimitSkipped(event);
}

const warnSlotsUncounted = throttled((event: Extract<StreamSlotEvent, { cause: unknown }>) => {
  logger.warn({ operation: event.operation, cause: event.cause }, "live stream slots: Redis unavailable, streams admitted without a count");
});

/** Refusals are counted; Redis failures counted and logged. */
function streamSlotEvent(event: StreamSlotEvent) {
  if (event.outcome === "refused") {
    metrics.rateLimitRefusals.inc({ limit: "liveStreams" });
    return;
  }
  metrics.redisFallbacks.inc({ operation: `live-streams:${event.operation}` });
  warnSlotsUncounted(event);
}

/**
 * Keeps the current invocation alive until `task` settles (Next.js `after`: on Vercel the
 * platform's waitUntil, on `next start` nothing to do). Outside a request — tests, scripts, a
 * timer — there is no invocation to extend, and `after` throws: nothing to do either.
 */
function keepAlive(task: Promise<unknown>) {
  try {
    after(task);
  } catch {
    // not inside a request
  }
}

export const services = {
  /** Every Redis key the app uses, under REDIS_KEY_PREFIX. */
  keys: redisKeys(env.REDIS_KEY_PREFIX),

  get db(): Database {
    return processWide("database", () => createDatabase(env.DATABASE_URL).db);
  },

  get redis(): Redis {
    return processWide("redis", () => createRedis(env.UPSTASH_REDIS_REST_URL, env.UPSTASH_REDIS_REST_TOKEN));
  },

  get leaderboard(): Leaderboard {
    return processWide("leaderboard", () =>
      createLeaderboard({
        db: services.db,
        store: createBoardStore(services.redis, services.keys.board),
        onRedisError: redisFailed,
        // A change made here reaches this process's live boards at once (a no-op while nobody watches).
        onPublished: () => BOARD_WINDOWS.forEach((window) => services.liveBoards[window].notify()),
        keepAlive,
      }),
    );
  },

  /** One live board per window; each follows its window's current period. */
  get liveBoards(): LiveBoards {
    return processWide("live-boards", () => {
      const liveBoard = (window: BoardWindow) =>
        createLiveBoard({
          readBoard: () => services.leaderboard.top(window, LIVE_BOARD_SIZE),
          changeFeed: createBoardChangeFeed(services.redis, services.keys.board, () => scopeAt(window, Date.now()), redisFailed),
          onError: redisFailed,
        });
      return { all: liveBoard("all"), week: liveBoard("week"), day: liveBoard("day") };
    });
  },

  get scoreDeps(): ScoreDeps {
    return processWide("score-deps", () => ({
      db: services.db,
      leaderboard: services.leaderboard,
      tokenKey: actionTokenKey({
        actionTokenSecret: env.ACTION_TOKEN_SECRET,
        authSecret: env.AUTH_SECRET,
        environment: env.DEPLOYMENT_ENVIRONMENT,
      }),
      now: Date.now,
      onSubmitted: (actionType, outcome) => metrics.scoreActions.inc({ action_type: actionType, outcome }),
    }));
  },

  /** RATE_LIMIT_USER, RATE_LIMIT_AUTH, RATE_LIMIT_SIGNIN_USER, RATE_LIMIT_DISABLED. */
  get rateLimits(): RateLimits {
    return processWide("rate-limits", () =>
      createRateLimits({
        redis: services.redis,
        prefix: services.keys.rateLimit,
        user: env.RATE_LIMIT_USER,
        auth: env.RATE_LIMIT_AUTH,
        signInUser: env.RATE_LIMIT_SIGNIN_USER,
        disabled: env.RATE_LIMIT_DISABLED,
        onEvent: rateLimitEvent,
      }),
    );
  },

  /** LIVE_STREAMS_PER_IP; one renewal timer per process. */
  get liveStreamSlots(): StreamSlots {
    return processWide("live-stream-slots", () =>
      createStreamSlots({ redis: services.redis, prefix: services.keys.liveStreams, limit: env.LIVE_STREAMS_PER_IP, onEvent: streamSlotEvent }),
    );
  },

  get authOptions(): NextAuthOptions {
    return processWide("auth-options", () => {
      const showOnBoard = (userId: string) => services.leaderboard.refresh([userId]);
      return createAuthOptions({
        db: services.db,
        rateLimits: services.rateLimits,
        logger,
        // A new player is on the board at once, at 0; a GitHub name change shows there too.
        onSignedUp: showOnBoard,
        onGithubLinked: showOnBoard,
      });
    });
  },
};
