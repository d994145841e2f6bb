/**
 * The leaderboard: reads and writes the board, Redis first, Postgres whenever Redis cannot
 * answer. Redis is a cache of Postgres here — anything lost there (a failed write, a flush, a
 * restart) is rebuilt or repaired from the database (./board-recovery.ts), never the other way round.
 */
import type { Board, BoardWrite, MyStanding } from "~/server/board/types";
import { readStandingFromDatabase, readStandingWithRank, readTopFromDatabase } from "./board-queries";
import { createBoardRecovery, type BoardRecoveryDeps } from "./board-recovery";

export type Leaderboard = ReturnType<typeof createLeaderboard>;

export function createLeaderboard(
  deps: BoardRecoveryDeps & {
    /** Called after every published change, whether or not Redis took it (live updates). */
    onPublished?: () => void;
  },
) {
  const { db, store, onRedisError } = deps;
  const recovery = createBoardRecovery(deps);

  return {
    async top(limit: number): Promise<Board> {
      try {
        const board = await store.top(limit);
        if (board) return { ...board, generatedAt: new Date() };
        recovery.scheduleRebuild();
      } catch (error) {
        onRedisError("top", error);
      }
      return readTopFromDatabase(db, limit);
    },

    async standing(userId: string): Promise<MyStanding | null> {
      const rank = await store.rank(userId).catch((error: unknown) => {
        onRedisError("rank", error);
        return "unreachable" as const;
      });
      if (rank === "unbuilt") recovery.scheduleRebuild();
      if (rank === "missing") recovery.queueRepair([userId]);
      if (typeof rank === "string") return readStandingFromDatabase(db, userId);
      return readStandingWithRank(db, userId, rank);
    },

    /**
     * Publishes committed changes to Redis in one request and returns each user's rank, or
     * null when Redis cannot tell (then ask `standing`). Never throws: when Redis is
     * unreachable the users are queued for repair from Postgres.
     */
    async publish(writes: BoardWrite[]): Promise<(number | null)[] | null> {
      try {
        const { ready, ranks } = await store.apply(writes);
        if (ready) return ranks;
        // A fresh or flushed Redis: the write is in, but ranks need the rest of the board.
        recovery.scheduleRebuild();
        return null;
      } catch (error) {
        onRedisError("publish", error);
        recovery.queueRepair(writes.map((write) => write.userId));
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
