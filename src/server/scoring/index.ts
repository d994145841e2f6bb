/** The score service and leaderboard wired to this process's database, Redis and configuration. */
import { after } from "next/server";

import { env } from "~/env.js";
import { db } from "~/server/db";
import { createRedisBoard, createRemoteChanges } from "~/server/redis/board";
import { redis, redisKey } from "~/server/redis/client";
import { createLeaderboard } from "./board";
import { createLiveBoard, LIVE_BOARD_SIZE } from "./live";
import type { ScoreDeps } from "./score-service";
import { actionTokenKey } from "./token";

const boardKeys = {
  board: redisKey("board"),
  entries: redisKey("board", "entries"),
  names: redisKey("board", "names"),
  version: redisKey("board", "version"),
  ready: redisKey("board", "ready"),
  rebuildLock: redisKey("board", "rebuilding"),
  changes: redisKey("board", "changes"),
};

function warn(operation: string, error: unknown) {
  console.warn(`board ${operation} failed: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
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

export const leaderboard = createLeaderboard({
  db,
  redisBoard: createRedisBoard(redis, boardKeys),
  onRedisError: warn,
  onPublished: () => liveBoard.notify(),
  keepAlive,
});

export const liveBoard = createLiveBoard({
  readBoard: () => leaderboard.top(LIVE_BOARD_SIZE),
  remote: createRemoteChanges(redis, boardKeys, warn),
  onError: warn,
});

export const scoreDeps: ScoreDeps = {
  db,
  leaderboard,
  tokenKey: actionTokenKey({ actionTokenSecret: env.ACTION_TOKEN_SECRET, authSecret: env.AUTH_SECRET }),
  now: Date.now,
};
