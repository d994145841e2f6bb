import { and, asc, desc, eq, max, sql } from "drizzle-orm";

import type { Database } from "~/server/db";
import { scoreActions, scores, users } from "~/server/db/schema";

export type BoardEntry = { rank: number; userId: string; displayName: string; score: number };
export type Board = { entries: BoardEntry[]; version: number; generatedAt: Date };
export type MyStanding = { userId: string; displayName: string; score: number; rank: number | null; hidden: boolean };

const onBoard = and(eq(users.hidden, false), eq(users.banned, false));

/**
 * The top of the board straight from Postgres, in the board's order: higher score first,
 * then whoever reached that score first, then user id so the order is total.
 * `version` is the newest audit row id, which grows with every score change.
 */
export async function readTopFromDatabase(db: Database, limit: number, now = new Date()): Promise<Board> {
  const [rows, [latest]] = await Promise.all([
    db
      .select({ userId: scores.userId, displayName: users.displayName, score: scores.score })
      .from(scores)
      .innerJoin(users, eq(users.id, scores.userId))
      .where(onBoard)
      .orderBy(desc(scores.score), asc(scores.reachedAt), asc(scores.userId))
      .limit(limit),
    db.select({ version: max(scoreActions.id) }).from(scoreActions),
  ]);
  return {
    entries: rows.map((row, index) => ({ rank: index + 1, ...row })),
    version: latest?.version ?? 0,
    generatedAt: now,
  };
}

/** One user's score and 1-based rank (null while hidden or banned), in one query. */
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
            or (better.score = ${scores.score} and (better.reached_at, better.user_id) < (${scores.reachedAt}, ${scores.userId})))
      ) end`,
    })
    .from(users)
    .innerJoin(scores, eq(scores.userId, users.id))
    .where(eq(users.id, userId));
  return row ?? null;
}
