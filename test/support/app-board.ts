import { expect } from "vitest";

import { ALL_TIME } from "~/server/board/types";
import { services } from "~/server/composition-root";
import { createBoardStore } from "~/server/redis/board-store";

const { keys, redis, scoreDeps } = services;

/** The app's Redis board, read directly under the app's own keys, to show Redis agrees with Postgres. */
export const appBoardStore = createBoardStore(redis, keys.board);

/** A user's 1-based rank on the app's all-time Redis board (null off it), or "unbuilt". */
export async function appBoardRank(userId: string) {
  const answer = await appBoardStore.rank(ALL_TIME, userId);
  return answer === "unbuilt" ? answer : (answer.entry?.rank ?? null);
}

/** Builds the app's all-time Redis board from the test file's database, so leaderboard reads after it are Redis's answers. */
export async function buildAppBoard() {
  // A read of an unbuilt board schedules the rebuild; settled() waits for it.
  await scoreDeps.leaderboard.top("all", 1);
  await scoreDeps.leaderboard.settled();
  expect(await appBoardStore.top(ALL_TIME, 1), "the app's Redis board was not built").not.toBeNull();
}
