/**
 * The boards in Postgres: the top and one user's standing, read straight from the tables (the
 * fallback whenever Redis cannot answer, and the only source of a finished period's board), and
 * the users' state the Redis boards are built from. All time reads `scores`; a day or an ISO week
 * reads that period's rows of `window_scores`.
 */
import { and, asc, desc, eq, gt, inArray, max, sql, type SQL } from "drizzle-orm";

import { percentileOf } from "~/lib/percentile";
import type { Board, BoardEntry, BoardScope, BoardUpdate, BoardWrite, MyStanding, Neighbourhood } from "~/server/board/types";
import type { Database } from "~/server/db";
import { scores, users, windowScores } from "~/server/db/schema";

const onBoard = and(eq(users.hidden, false), eq(users.banned, false));

/** The first day of a period, as window_scores.period_start holds it. */
const periodStart = (scope: Extract<BoardScope, { period: object }>) => scope.period.startsAt.toISOString().slice(0, 10);

/** A period's rows of window_scores. */
function inPeriod(scope: Extract<BoardScope, { period: object }>): SQL {
  return and(eq(windowScores.boardWindow, scope.window), eq(windowScores.periodStart, periodStart(scope)))!;
}

/** What a board answer says of the board beyond its entries. */
function boardOf(scope: BoardScope, entries: Board["entries"], version: number, generatedAt: Date): Board {
  return { entries, version, generatedAt, window: scope.window, period: scope.period?.name ?? null, resetsAt: scope.period?.resetsAt ?? null };
}

/**
 * The top of a board straight from Postgres, in the board's order, the same in Postgres and
 * Redis (see src/server/redis/board-store.ts): higher score first, then whoever reached that
 * score first, then the larger user id. `version` is the newest row version of the board's
 * players, as in Redis.
 */
export async function readTopFromDatabase(db: Database, scope: BoardScope, limit: number, now = new Date()): Promise<Board> {
  const latest =
    scope.period === null
      ? db.select({ version: max(scores.version) }).from(scores)
      : db.select({ version: max(scores.version) }).from(windowScores).innerJoin(scores, eq(scores.userId, windowScores.userId)).where(inPeriod(scope));
  const [entries, [newest]] = await Promise.all([readEntries(db, scope, 0, limit), latest]);
  return boardOf(scope, entries, newest?.version ?? 0, now);
}

/** `limit` entries of a board in its order, after the first `offset`. */
async function readEntries(db: Database, scope: BoardScope, offset: number, limit: number): Promise<BoardEntry[]> {
  const rows =
    scope.period === null
      ? await db
          .select({ userId: scores.userId, displayName: users.displayName, score: scores.score })
          .from(scores)
          .innerJoin(users, eq(users.id, scores.userId))
          .where(onBoard)
          .orderBy(desc(scores.score), asc(scores.reachedAt), desc(scores.userId))
          .offset(offset)
          .limit(limit)
      : await db
          .select({ userId: windowScores.userId, displayName: users.displayName, score: windowScores.score })
          .from(windowScores)
          .innerJoin(users, eq(users.id, windowScores.userId))
          .where(and(inPeriod(scope), onBoard))
          .orderBy(desc(windowScores.score), asc(windowScores.reachedAt), desc(windowScores.userId))
          .offset(offset)
          .limit(limit);
  return rows.map((row, index) => ({ rank: offset + index + 1, ...row }));
}

/** How many players a board shows (everyone visible for all time; a period's visible players), counted in SQL. */
function playersOnBoard(scope: BoardScope): SQL<number> {
  if (scope.period === null) {
    return sql<number>`(select count(*)::int from ${scores} s join ${users} u on u.id = s.user_id where not u.hidden and not u.banned)`;
  }
  return sql<number>`(select count(*)::int from ${windowScores} w join ${users} u on u.id = w.user_id
    where w.board_window = ${scope.window} and w.period_start = ${periodStart(scope)} and not u.hidden and not u.banned)`;
}

type StandingRow = Omit<MyStanding, "percentile">;

const withPercentile = (row: StandingRow | undefined): MyStanding | null => (row ? { ...row, percentile: percentileOf(row.rank, row.total) } : null);

/**
 * One user's score and 1-based rank on a board, counted in SQL: null while hidden or banned, and
 * on a period's board while they have no score in that period (then their score there is 0).
 */
export async function readStandingFromDatabase(db: Database, scope: BoardScope, userId: string): Promise<MyStanding | null> {
  return withPercentile(await readStandingRow(db, scope, userId));
}

async function readStandingRow(db: Database, scope: BoardScope, userId: string): Promise<StandingRow | undefined> {
  if (scope.period === null) {
    const [row] = await db
      .select({
        userId: users.id,
        displayName: users.displayName,
        score: scores.score,
        hidden: users.hidden,
        total: playersOnBoard(scope),
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
    return row;
  }
  const [row] = await db
    .select({
      userId: users.id,
      displayName: users.displayName,
      score: sql<number>`coalesce(${windowScores.score}, 0)`.mapWith(Number),
      hidden: users.hidden,
      total: playersOnBoard(scope),
      rank: sql<number | null>`case when ${users.hidden} or ${users.banned} or ${windowScores.userId} is null then null else (
        select count(*)::int + 1 from ${windowScores} better
        join ${users} better_user on better_user.id = better.user_id
        where better.board_window = ${windowScores.boardWindow} and better.period_start = ${windowScores.periodStart}
          and not better_user.hidden and not better_user.banned
          and (better.score > ${windowScores.score}
            or (better.score = ${windowScores.score} and (better.reached_at < ${windowScores.reachedAt}
              or (better.reached_at = ${windowScores.reachedAt} and better.user_id > ${windowScores.userId}))))
      ) end`,
    })
    .from(users)
    .innerJoin(scores, eq(scores.userId, users.id))
    .leftJoin(windowScores, and(eq(windowScores.userId, users.id), inPeriod(scope)))
    .where(eq(users.id, userId));
  return row;
}

/**
 * The entries from `radius` above a user to `radius` below on a board, the user included (none
 * while they are not on it), and how many players it shows: the fallback of Redis's rank arithmetic.
 */
export async function readAroundFromDatabase(db: Database, scope: BoardScope, userId: string, radius: number): Promise<Neighbourhood | null> {
  const standing = await readStandingRow(db, scope, userId);
  if (!standing) return null;
  if (standing.rank === null) return { entries: [], total: standing.total };
  const first = Math.max(1, standing.rank - radius);
  return { entries: await readEntries(db, scope, first - 1, standing.rank + radius - first + 1), total: standing.total };
}

/** One user's standing on a board with the rank and player count Redis counted; a hidden or banned user gets no rank. */
export async function readStandingWithRank(db: Database, scope: BoardScope, userId: string, rank: number | null, total: number): Promise<MyStanding | null> {
  const score = scope.period === null ? scores.score : sql<number>`coalesce(${windowScores.score}, 0)`.mapWith(Number);
  const query = db
    .select({ userId: users.id, displayName: users.displayName, score, hidden: users.hidden, banned: users.banned })
    .from(users)
    .innerJoin(scores, eq(scores.userId, users.id));
  const [row] = await (scope.period === null ? query : query.leftJoin(windowScores, and(eq(windowScores.userId, users.id), inPeriod(scope)))).where(
    eq(users.id, userId),
  );
  if (!row) return null;
  const { banned, ...standing } = row;
  return withPercentile({ ...standing, rank: standing.hidden || banned ? null : rank, total });
}

/** What a Redis board needs to know of a user: on a period's board, their score in that period. */
function boardStateColumns(scope: BoardScope) {
  const inWindow = scope.period !== null;
  return {
    userId: users.id,
    displayName: users.displayName,
    hidden: users.hidden,
    banned: users.banned,
    version: scores.version,
    score: inWindow ? sql<number>`coalesce(${windowScores.score}, 0)`.mapWith(Number) : scores.score,
    scored: inWindow ? sql<boolean>`${windowScores.userId} is not null` : sql<boolean>`true`,
    reachedMicros: sql<string>`coalesce((extract(epoch from ${inWindow ? windowScores.reachedAt : scores.reachedAt}) * 1000000)::bigint, 0)::text`,
  };
}

type BoardState = { userId: string; displayName: string; hidden: boolean; banned: boolean; score: number; scored: boolean; version: number; reachedMicros: string };

function toBoardWrite(state: BoardState): BoardWrite {
  return {
    userId: state.userId,
    version: state.version,
    score: state.score,
    reachedMicros: state.reachedMicros,
    displayName: state.displayName,
    visible: state.scored && !state.hidden && !state.banned,
  };
}

/** Users' state on one board as Redis holds it, read from Postgres. */
function selectBoardStates(db: Database, scope: BoardScope) {
  const query = db.select(boardStateColumns(scope)).from(users).innerJoin(scores, eq(scores.userId, users.id));
  return scope.period === null ? query : query.leftJoin(windowScores, and(eq(windowScores.userId, users.id), inPeriod(scope)));
}

/**
 * The writes that build one board, `limit` at a time in user id order after `afterUserId`
 * (rebuild batches): every user for all time, a period's players for a period (its rows only).
 */
export async function readBoardWritesAfter(db: Database, scope: BoardScope, afterUserId: string, limit: number): Promise<BoardWrite[]> {
  if (scope.period === null) {
    const rows = await selectBoardStates(db, scope).where(gt(users.id, afterUserId)).orderBy(asc(users.id)).limit(limit);
    return rows.map(toBoardWrite);
  }
  const rows = await db
    .select(boardStateColumns(scope))
    .from(windowScores)
    .innerJoin(users, eq(users.id, windowScores.userId))
    .innerJoin(scores, eq(scores.userId, windowScores.userId))
    .where(and(inPeriod(scope), gt(windowScores.userId, afterUserId)))
    .orderBy(asc(windowScores.userId))
    .limit(limit);
  return rows.map(toBoardWrite);
}

/** These users' state on each of `scopes`' boards as Postgres has it now. */
export async function readBoardUpdates(db: Database, scopes: BoardScope[], userIds: string[]): Promise<BoardUpdate[]> {
  return Promise.all(
    scopes.map(async (scope) => ({ scope, writes: (await selectBoardStates(db, scope).where(inArray(users.id, userIds))).map(toBoardWrite) })),
  );
}
