/**
 * Boards of a test's own, for tests of the leaderboard against real services: own Redis keys
 * under the test file's prefix, an own leaderboard on the file's database, and both clocks — the
 * process's (`now`, which says which day and week are current) and the database's
 * (`databaseTime`, which times audit rows) — set to a moment of the test's choosing and running
 * from there, so a test moves to a period boundary instead of waiting for one.
 */
import { randomBytes } from "node:crypto";

import { sql } from "drizzle-orm";
import { expect, onTestFinished } from "vitest";

import { env } from "~/env.js";
import type { BoardUpdate } from "~/server/board/types";
import { services } from "~/server/composition-root";
import { scores, users } from "~/server/db/schema";
import { createBoardStore, type BoardStore } from "~/server/redis/board-store";
import { redisKeys, type BoardKeys } from "~/server/redis/keys";
import { createLeaderboard, type Leaderboard } from "~/server/scoring/leaderboard";
import { adjustScore, type ScoreDeps } from "~/server/scoring/score-service";

const { db, redis, scoreDeps } = services;

const hex = (bytes = 6) => randomBytes(bytes).toString("hex");

/** Both clocks, set to a moment and running from there. */
export function movableClock(iso: string) {
  let offsetMs = Date.parse(iso) - Date.now();
  return {
    now: () => Date.now() + offsetMs,
    /** The database's clock, the same offset from its own now(). */
    databaseTime: () => sql`(now() + ${offsetMs} * interval '1 millisecond')`,
    set(to: string) {
      offsetMs = Date.parse(to) - Date.now();
    },
  };
}
export type Clock = ReturnType<typeof movableClock>;

export type Boards = {
  keys: BoardKeys;
  store: BoardStore;
  leaderboard: Leaderboard;
  clock: Clock;
  /** Score deps on this board and clock (the database clock as of the call). */
  deps(): ScoreDeps;
  /** Every store.apply call's updates, in order. */
  applied: BoardUpdate[][];
  settled(): Promise<void>;
};

/** Boards of the test's own: own keys under this file's prefix, own leaderboard, both clocks at `iso`. */
export function ownBoards(iso: string): Boards {
  const keys = redisKeys(`${env.REDIS_KEY_PREFIX}win_${hex()}:`).board;
  const real = createBoardStore(redis, keys);
  const applied: BoardUpdate[][] = [];
  const store: BoardStore = { ...real, apply: (updates) => (applied.push(updates), real.apply(updates)) };
  const clock = movableClock(iso);
  const background: Promise<unknown>[] = [];
  const redisErrors: string[] = [];
  const leaderboard = createLeaderboard({
    db,
    store,
    now: clock.now,
    onRedisError: (operation, error) => redisErrors.push(`${operation}: ${String(error)}`),
    keepAlive: (task) => background.push(task),
  });
  const settled = async () => {
    while (background.length > 0) await Promise.all(background.splice(0));
    await leaderboard.settled();
  };
  onTestFinished(async () => {
    await settled();
    expect(redisErrors).toEqual([]);
  });
  return {
    keys,
    store,
    leaderboard,
    clock,
    applied,
    settled,
    deps: () => ({ db, leaderboard, tokenKey: scoreDeps.tokenKey, now: clock.now, databaseTime: clock.databaseTime() }),
  };
}

export async function createPlayer(name = `w_${hex()}`) {
  const [row] = await db.insert(users).values({ username: name, displayName: name }).returning({ id: users.id });
  await db.insert(scores).values({ userId: row!.id });
  return { id: row!.id, name };
}

/** An administrator's adjustment: any delta, audited like an action (and counted in windows like one). */
export async function adjust(boards: Boards, actor: { id: string }, user: { id: string }, delta: number) {
  const outcome = await adjustScore(boards.deps(), { actorId: actor.id, userId: user.id, delta, reason: "window test", ip: null, userAgent: null });
  if (!outcome.ok) throw new Error(`adjustment refused: ${outcome.reason}`);
  return outcome.value;
}
