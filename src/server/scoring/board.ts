import { randomBytes } from "node:crypto";

import { and, asc, desc, eq, gt, inArray, max, sql } from "drizzle-orm";

import type { Database } from "~/server/db";
import { scores, users } from "~/server/db/schema";
import type { BoardWrite, RedisBoard } from "~/server/redis/board";

export type BoardEntry = { rank: number; userId: string; displayName: string; score: number };
export type Board = { entries: BoardEntry[]; version: number; generatedAt: Date };
export type MyStanding = { userId: string; displayName: string; score: number; rank: number | null; hidden: boolean };

const onBoard = and(eq(users.hidden, false), eq(users.banned, false));

/**
 * The board's order, the same in Postgres and Redis (see src/server/redis/board.ts):
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

/** What the Redis board needs to know of users, read from Postgres. */
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

export function toBoardWrite(state: BoardState): BoardWrite {
  return {
    userId: state.userId,
    version: state.version,
    score: state.score,
    reachedMicros: state.reachedMicros,
    displayName: state.displayName,
    visible: !state.hidden && !state.banned,
  };
}

const REBUILD_BATCH = 5_000;
const REBUILD_LOCK_MS = 60_000;
/** The repair loop's backoff: the wait before each attempt, the last one repeating. */
const REPAIR_DELAYS_MS: readonly number[] = [250, 500, 1_000, 2_000, 5_000];

export type Leaderboard = ReturnType<typeof createLeaderboard>;

/**
 * Reads and writes the board: Redis first, Postgres whenever Redis cannot answer. Redis is
 * a cache of Postgres here — anything lost there (a failed write, a flush, a restart) is
 * rebuilt or repaired from the database, never the other way round.
 */
export function createLeaderboard(deps: {
  db: Database;
  redisBoard: RedisBoard;
  onRedisError: (operation: string, error: unknown) => void;
  /** Called after every published change, whether or not Redis took it (live updates). */
  onPublished?: () => void;
  /**
   * Background work (a rebuild, the repair loop) started while serving a request is handed
   * here, so a serverless platform keeps the invocation alive until it settles instead of
   * freezing the instance mid-way (Next.js `after`, i.e. Vercel's waitUntil). Default: nothing.
   */
  keepAlive?: (task: Promise<unknown>) => void;
  /** Default REPAIR_DELAYS_MS; tests shorten them rather than wait them out. */
  repairDelaysMs?: readonly number[];
}) {
  const { db, redisBoard, onRedisError } = deps;
  const repairDelaysMs = deps.repairDelaysMs ?? REPAIR_DELAYS_MS;
  const keepAlive = deps.keepAlive ?? (() => {});
  let rebuilding: Promise<void> | null = null;
  /** Users whose last board write failed, with a count of failures so a newer one is never lost. */
  const awaitingRepair = new Map<string, number>();
  let repairing: Promise<void> | null = null;

  async function rebuild() {
    const lock = randomBytes(8).toString("hex");
    if (!(await redisBoard.tryLockRebuild(lock, REBUILD_LOCK_MS))) return;
    let completed = false;
    try {
      let after = "00000000-0000-0000-0000-000000000000";
      for (;;) {
        const rows = await db
          .select(boardStateColumns)
          .from(users)
          .innerJoin(scores, eq(scores.userId, users.id))
          .where(gt(users.id, after))
          .orderBy(asc(users.id))
          .limit(REBUILD_BATCH);
        if (rows.length > 0) await redisBoard.apply(rows.map(toBoardWrite));
        if (rows.length < REBUILD_BATCH) break;
        after = rows.at(-1)!.userId;
        // A million users take minutes: keep the lock, or stop when it is gone (a flush), since
        // finishRebuild would then refuse to mark the board ready anyway.
        if (!(await redisBoard.renewRebuildLock(lock, REBUILD_LOCK_MS))) return;
      }
      completed = true;
    } finally {
      await redisBoard.finishRebuild(lock, completed);
    }
  }

  /** Starts a rebuild unless one is running here; the Redis lock keeps other instances out. */
  function scheduleRebuild() {
    rebuilding ??= rebuild()
      .catch((error: unknown) => onRedisError("rebuild", error))
      .finally(() => {
        rebuilding = null;
      });
    keepAlive(rebuilding);
  }

  /** Writes the users' current state from Postgres to Redis. */
  async function copyToRedis(userIds: string[]) {
    const rows = await db
      .select(boardStateColumns)
      .from(users)
      .innerJoin(scores, eq(scores.userId, users.id))
      .where(inArray(users.id, userIds));
    await redisBoard.apply(rows.map(toBoardWrite));
  }

  /** Queues users for repair; one loop per process retries with backoff until Redis takes them. */
  function queueRepair(userIds: string[]) {
    for (const userId of userIds) awaitingRepair.set(userId, (awaitingRepair.get(userId) ?? 0) + 1);
    // Every request that queues a repair keeps its own invocation alive until the loop ends.
    keepAlive(startRepairs());
  }

  function startRepairs(): Promise<void> {
    repairing ??= repairUntilDone().finally(() => {
      repairing = null;
      // Queued between the loop's last check and now: go again.
      if (awaitingRepair.size > 0) void startRepairs();
    });
    return repairing;
  }

  async function repairUntilDone() {
    let attempt = 0;
    while (awaitingRepair.size > 0) {
      await sleep(repairDelaysMs[Math.min(attempt, repairDelaysMs.length - 1)]!);
      const pending = new Map(awaitingRepair);
      try {
        await copyToRedis([...pending.keys()]);
        // A write that failed while we were reading is newer than what we applied: keep it queued.
        for (const [userId, failures] of pending) if (awaitingRepair.get(userId) === failures) awaitingRepair.delete(userId);
        attempt = 0;
      } catch (error) {
        onRedisError("repair", error);
        attempt += 1;
      }
    }
  }

  return {
    async top(limit: number): Promise<Board> {
      try {
        const board = await redisBoard.top(limit);
        if (board) return { ...board, generatedAt: new Date() };
        scheduleRebuild();
      } catch (error) {
        onRedisError("top", error);
      }
      return readTopFromDatabase(db, limit);
    },

    async standing(userId: string): Promise<MyStanding | null> {
      const rank = await redisBoard.rank(userId).catch((error: unknown) => {
        onRedisError("rank", error);
        return "unreachable" as const;
      });
      if (rank === "unbuilt") scheduleRebuild();
      if (rank === "missing") queueRepair([userId]);
      if (typeof rank === "string") return readStandingFromDatabase(db, userId);
      const [row] = await db
        .select({ userId: users.id, displayName: users.displayName, score: scores.score, hidden: users.hidden, banned: users.banned })
        .from(users)
        .innerJoin(scores, eq(scores.userId, users.id))
        .where(eq(users.id, userId));
      if (!row) return null;
      const { banned, ...standing } = row;
      return { ...standing, rank: standing.hidden || banned ? null : rank };
    },

    /**
     * Publishes committed changes to Redis in one request and returns each user's rank, or
     * null when Redis cannot tell (then ask `standing`). Never throws: when Redis is
     * unreachable the users are queued for repair from Postgres.
     */
    async publish(writes: BoardWrite[]): Promise<(number | null)[] | null> {
      try {
        const { ready, ranks } = await redisBoard.apply(writes);
        if (ready) return ranks;
        // A fresh or flushed Redis: the write is in, but ranks need the rest of the board.
        scheduleRebuild();
        return null;
      } catch (error) {
        onRedisError("publish", error);
        queueRepair(writes.map((write) => write.userId));
        return null;
      } finally {
        deps.onPublished?.();
      }
    },

    /**
     * Re-reads users from Postgres and publishes them: for changes made outside the score
     * service (a new account, and later bans, hiding, renames). Never throws.
     */
    async refresh(userIds: string[]) {
      try {
        await copyToRedis(userIds);
      } catch (error) {
        onRedisError("refresh", error);
        queueRepair(userIds);
      } finally {
        deps.onPublished?.();
      }
    },

    /** Resolves when no rebuild is running in this process (tests and shutdown). */
    async settled() {
      await rebuilding;
    },
  };
}

/** A delay that does not keep the process alive by itself. */
function sleep(ms: number) {
  return new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
}
