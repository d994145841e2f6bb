/** The score service and leaderboard wired to this process's database, Redis and configuration. */
import { after } from "next/server";

import { env } from "~/env.js";
import { db } from "~/server/db";
import { describeError, logger, metrics } from "~/server/observability";
import { processWide } from "~/server/process-wide";
import { createBoardChangeFeed } from "~/server/redis/board-changes";
import { createBoardStore } from "~/server/redis/board-store";
import { appKeys, redis } from "~/server/redis/client";
import { createLeaderboard } from "./leaderboard";
import { createLiveBoard, LIVE_BOARD_SIZE } from "./live-board";
import type { ScoreDeps } from "./score-service";
import { actionTokenKey } from "./token";

/** A failed Redis operation that Postgres covered: counted, and logged without payloads. */
function redisFailed(operation: string, error: unknown) {
  metrics.redisFallbacks.inc({ operation });
  logger.warn({ operation, error: describeError(error) }, "redis operation failed");
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

/** The process's board services, shared by every bundle (see processWide). */
const services = processWide("scoring", () => {
  const leaderboard = createLeaderboard({
    db,
    store: createBoardStore(redis, appKeys.board),
    onRedisError: redisFailed,
    onPublished: () => liveBoard.notify(),
    keepAlive,
  });
  const liveBoard = createLiveBoard({
    readBoard: () => leaderboard.top(LIVE_BOARD_SIZE),
    changeFeed: createBoardChangeFeed(redis, appKeys.board, redisFailed),
    onError: redisFailed,
  });
  const scoreDeps: ScoreDeps = {
    db,
    leaderboard,
    tokenKey: actionTokenKey({
      actionTokenSecret: env.ACTION_TOKEN_SECRET,
      authSecret: env.AUTH_SECRET,
      environment: env.DEPLOYMENT_ENVIRONMENT,
    }),
    now: Date.now,
    onSubmitted: (actionType, outcome) => metrics.scoreActions.inc({ action_type: actionType, outcome }),
  };
  return { leaderboard, liveBoard, scoreDeps };
});

export const { leaderboard, liveBoard, scoreDeps } = services;
