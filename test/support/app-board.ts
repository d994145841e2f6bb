import { expect } from "vitest";

import { createRedisBoard } from "~/server/redis/board";
import { redis } from "~/server/redis/client";
import { boardKeys, scoreDeps } from "~/server/scoring";

/** The app's Redis board, read directly (the keys of src/server/scoring/index.ts), to show Redis agrees with Postgres. */
export const appRedisBoard = createRedisBoard(redis, boardKeys);

/** Builds the app's Redis board from the test file's database, so leaderboard reads after it are Redis's answers. */
export async function buildAppBoard() {
  // A read of an unbuilt board schedules the rebuild; settled() waits for it.
  await scoreDeps.leaderboard.top(1);
  await scoreDeps.leaderboard.settled();
  expect(await appRedisBoard.top(1), "the app's Redis board was not built").not.toBeNull();
}
