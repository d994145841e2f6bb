/**
 * The leaderboard: reads and writes the boards (all time, the current day's and week's), Redis
 * first, Postgres whenever Redis cannot answer. Redis is a cache of Postgres here — anything lost
 * there (a failed write, a flush, a restart, a new period) is rebuilt or repaired from the
 * database (./board-recovery.ts), never the other way round. A finished period's board is read
 * from Postgres only.
 */
import type { BoardWindow, Period } from "~/lib/board-windows";
import { percentileOf } from "~/lib/percentile";
import { scopeAt, type Board, type BoardScope, type BoardUpdate, type MyStanding, type Neighbourhood } from "~/server/board/types";
import { readAroundFromDatabase, readStandingFromDatabase, readStandingWithRank, readTopFromDatabase } from "./board-queries";
import { createBoardRecovery, type BoardRecoveryDeps } from "./board-recovery";

export type Leaderboard = ReturnType<typeof createLeaderboard>;

export function createLeaderboard(
  deps: BoardRecoveryDeps & {
    /** Called after every published change, whether or not Redis took it (live updates). */
    onPublished?: () => void;
  },
) {
  const { db, store, onRedisError } = deps;
  const now = deps.now ?? Date.now;
  const recovery = createBoardRecovery(deps);

  /**
   * A per-user answer from a current board in Redis, or null when Postgres must answer: Redis is
   * unreachable, the board is not built (a rebuild starts), or Redis has no record of the user
   * (on the all-time board, where every user belongs, a repair starts; a period's board knows
   * only that period's players).
   */
  async function fromRedis<T extends { seen: boolean }>(scope: BoardScope, userId: string, operation: string, read: () => Promise<T | "unbuilt">) {
    const answer = await read().catch((error: unknown) => {
      onRedisError(operation, error);
      return null;
    });
    if (answer === "unbuilt") recovery.scheduleRebuild(scope);
    if (answer === null || answer === "unbuilt") return null;
    if (!answer.seen && scope.period === null) {
      recovery.queueRepair([userId]);
      return null;
    }
    return answer;
  }

  /** The board asked for: a window's current one, or the period named (finished, or the current one by name). */
  function scopeOf(window: BoardWindow, period?: Period): { scope: BoardScope; current: boolean } {
    const current = scopeAt(window, now());
    if (!period || current.period?.name === period.name) return { scope: current, current: true };
    return { scope: { window: period.window, period }, current: false };
  }

  return {
    /** The top `limit` of a window's board: the current period's, or a given period's (from Postgres). */
    async top(window: BoardWindow, limit: number, period?: Period): Promise<Board> {
      const { scope, current } = scopeOf(window, period);
      if (!current) return readTopFromDatabase(db, scope, limit);
      try {
        const board = await store.top(scope, limit);
        if (board) return { ...board, generatedAt: new Date(), window, period: scope.period?.name ?? null, resetsAt: scope.period?.resetsAt ?? null };
        recovery.scheduleRebuild(scope);
      } catch (error) {
        onRedisError("top", error);
      }
      return readTopFromDatabase(db, scope, limit);
    },

    /** A user's score, rank and percentile on a window's board (current period unless one is given). */
    async standing(userId: string, window: BoardWindow = "all", period?: Period): Promise<MyStanding | null> {
      const { scope, current } = scopeOf(window, period);
      if (!current) return readStandingFromDatabase(db, scope, userId);
      const ranked = await fromRedis(scope, userId, "rank", () => store.rank(scope, userId));
      if (!ranked) return readStandingFromDatabase(db, scope, userId);
      // On the board, Redis knows it all (being on it means neither hidden nor banned): no Postgres read.
      const { entry, total } = ranked;
      if (entry) return { userId, displayName: entry.displayName, score: entry.score, rank: entry.rank, hidden: false, total, percentile: percentileOf(entry.rank, total) };
      return readStandingWithRank(db, scope, userId, null, total);
    },

    /**
     * The players from `radius` above a user to `radius` below on a window's current board, the
     * user included, and how many are on it: by rank arithmetic in Redis, else from Postgres.
     */
    async around(userId: string, window: BoardWindow, radius: number): Promise<Neighbourhood | null> {
      const { scope } = scopeOf(window);
      const around = await fromRedis(scope, userId, "around", () => store.around(scope, userId, radius));
      return around ? { entries: around.entries, total: around.total } : readAroundFromDatabase(db, scope, userId, radius);
    },

    /**
     * Publishes committed changes to Redis in one request and returns each user's all-time rank
     * (the first update's), or null when Redis cannot tell (then ask `standing`). Never throws:
     * when Redis is unreachable the users are queued for repair from Postgres.
     */
    async publish(updates: BoardUpdate[]): Promise<(number | null)[] | null> {
      try {
        const results = await store.apply(updates);
        // A fresh or flushed Redis, or a period that just began: the write is in, but the rest
        // of that board is not.
        results.forEach((result, index) => result.ready || recovery.scheduleRebuild(updates[index]!.scope));
        return results[0]!.ready ? results[0]!.ranks : null;
      } catch (error) {
        onRedisError("publish", error);
        recovery.queueRepair([...new Set(updates.flatMap((update) => update.writes.map((write) => write.userId)))]);
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
        await recovery.copyToRedis(userIds);
      } catch (error) {
        onRedisError("refresh", error);
        recovery.queueRepair(userIds);
      } finally {
        deps.onPublished?.();
      }
    },

    /** Resolves when no rebuild is running in this process (tests and shutdown). */
    settled: recovery.settled,
  };
}
