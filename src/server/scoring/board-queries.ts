/**
 * The board in Postgres: the top and one user's standing, read straight from the tables (the
 * fallback whenever Redis cannot answer), and the users' state the Redis board is built from.
 */
import { and, asc, desc, eq, gt, inArray, max, sql } from "drizzle-orm";

import type { Board, BoardWrite, MyStanding } from "~/server/board/types";
import type { Database } from "~/server/db";
import { scores, users } from "~/server/db/schema";

const onBoard = and(eq(users.hidden, false), eq(users.banned, false));

/**
 * The board's order, the same in Postgres and Redis (see src/server/redis/board-store.ts):
 * higher score first, then whoever reached that score first, then the larger user id.
 */
const boardOrder = [desc(scores.score), asc(scores.reachedAt), desc(scores.userId)];

/** The top of the board straight from Postgres. `version` is the newest row version, as in Redis. */
export async function readTopFromDatabase(db: Database, limit: number, now = new Date()): Promise<Board> {
  const [rows, [latest]] = await Promise.all([
    db
      .select({ userId: scores.userId, displayName: users.displayName, score: scores.score })
      .from(scores)
      .innerJoin(users, eq(users.id, scores.userId))
      .where(onBoard)
      .orderBy(...boardOrder)
      .limit(limit),
    db.select({ version: max(scores.version) }).from(scores),
  ]);
  return {
    entries: rows.map((row, index) => ({ rank: index + 1, ...row })),
    version: latest?.version ?? 0,
    generatedAt: now,
  };
}

/** One user's score and 1-based rank (null while hidden or banned), counted in SQL. */
export async function readStandingFromDatabase(db: Database, userId: string): Promise<MyStanding | null> {
  const [row] = await db
    .select({
      userId: users.id,
      displayName: users.displayName,
      score: scores.score,
      hidden: users.hidden,
      rank: sql<number | null>`case when ${users.hidden} or ${users.banned} then null else (
        select count(*)::int + 1 from ${scores} better
        join ${users} better_user on better_user.id = better.user_id
        where not better_user.hidden and not better_user.banned
          and (better.score > ${scores.score}
            or (better.score = ${scores.score} and (better.reached_at < ${scores.reachedAt}
              or (better.reached_at = ${scores.reachedAt} and better.user_id > ${scores.userId}))))
      ) end`,
    })
    .from(users)
    .innerJoin(scores, eq(scores.userId, users.id))
    .where(eq(users.id, userId));
  return row ?? null;
}

/** One user's standing with the rank Redis counted, which a hidden or banned user does not get. */
export async function readStandingWithRank(db: Database, userId: string, rank: number | null): Promise<MyStanding | null> {
  const [row] = await db
    .select({ userId: users.id, displayName: users.displayName, score: scores.score, hidden: users.hidden, banned: users.banned })
    .from(users)
    .innerJoin(scores, eq(scores.userId, users.id))
    .where(eq(users.id, userId));
  if (!row) return null;
  const { banned, ...standing } = row;
  return { ...standing, rank: standing.hidden || banned ? null : rank };
}

/** What the Redis board needs to know of a user. */
const boardStateColumns = {
  userId: users.id,
  displayName: users.displayName,
  hidden: users.hidden,
  banned: users.banned,
  score: scores.score,
  version: scores.version,
  reachedMicros: sql<string>`(extract(epoch from ${scores.reachedAt}) * 1000000)::bigint::text`,
};

type BoardState = { userId: string; displayName: string; hidden: boolean; banned: boolean; score: number; version: number; reachedMicros: string };

function toBoardWrite(state: BoardState): BoardWrite {
  return {
    userId: state.userId,
    version: state.version,
    score: state.score,
    reachedMicros: state.reachedMicros,
    displayName: state.displayName,
    visible: !state.hidden && !state.banned,
  };
}

/** Users' state as the Redis board holds it, read from Postgres. */
function selectBoardStates(db: Database) {
  return db.select(boardStateColumns).from(users).innerJoin(scores, eq(scores.userId, users.id));
}

/** The board writes of every user, `limit` at a time in user id order after `afterUserId` (rebuild batches). */
export async function readBoardWritesAfter(db: Database, afterUserId: string, limit: number): Promise<BoardWrite[]> {
  const rows = await selectBoardStates(db).where(gt(users.id, afterUserId)).orderBy(asc(users.id)).limit(limit);
  return rows.map(toBoardWrite);
}

/** The board writes of these users as Postgres has them now. */
export async function readBoardWrites(db: Database, userIds: string[]): Promise<BoardWrite[]> {
  const rows = await selectBoardStates(db).where(inArray(users.id, userIds));
  return rows.map(toBoardWrite);
}
