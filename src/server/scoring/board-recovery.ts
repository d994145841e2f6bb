/**
 * Rebuild and repair: how the Redis boards get back to Postgres's state after they lost writes.
 * A board that is not built (fresh or flushed Redis, a period that just began) is rebuilt whole,
 * in batches, by one instance at a time; users whose write failed are re-read and re-written on
 * every current board, with backoff, until Redis takes them.
 */
import { randomBytes } from "node:crypto";

import { scopeName, scopesAt, type BoardScope } from "~/server/board/types";
import type { Database } from "~/server/db";
import type { BoardStore } from "~/server/redis/board-store";
import { readBoardUpdates, readBoardWritesAfter } from "./board-queries";

const REBUILD_BATCH = 5_000;
const REBUILD_LOCK_MS = 60_000;
/** The repair loop's backoff: the wait before each attempt, the last one repeating. */
const REPAIR_DELAYS_MS: readonly number[] = [250, 500, 1_000, 2_000, 5_000];

export type BoardRecoveryDeps = {
  db: Database;
  store: BoardStore;
  onRedisError: (operation: string, error: unknown) => void;
  /**
   * Background work (a rebuild, the repair loop) started while serving a request is handed
   * here, so a serverless platform keeps the invocation alive until it settles instead of
   * freezing the instance mid-way (Next.js `after`, i.e. Vercel's waitUntil). Default: nothing.
   */
  keepAlive?: (task: Promise<unknown>) => void;
  /** Default REPAIR_DELAYS_MS; tests shorten them rather than wait them out. */
  repairDelaysMs?: readonly number[];
  /** This process's clock, which says which day and week are current (tests move it). Default Date.now. */
  now?: () => number;
};

export function createBoardRecovery(deps: BoardRecoveryDeps) {
  const { db, store, onRedisError } = deps;
  const repairDelaysMs = deps.repairDelaysMs ?? REPAIR_DELAYS_MS;
  const keepAlive = deps.keepAlive ?? (() => {});
  const now = deps.now ?? Date.now;
  /** The rebuilds running in this process, by board. */
  const rebuilding = new Map<string, Promise<void>>();
  /** Users whose last board write failed, with a count of failures so a newer one is never lost. */
  const awaitingRepair = new Map<string, number>();
  let repairing: Promise<void> | null = null;

  async function rebuild(scope: BoardScope) {
    const lock = randomBytes(8).toString("hex");
    if (!(await store.tryLockRebuild(scope, lock, REBUILD_LOCK_MS))) return;
    let completed = false;
    try {
      let after = "00000000-0000-0000-0000-000000000000";
      for (;;) {
        const writes = await readBoardWritesAfter(db, scope, after, REBUILD_BATCH);
        if (writes.length > 0) await store.apply([{ scope, writes }]);
        if (writes.length < REBUILD_BATCH) break;
        after = writes.at(-1)!.userId;
        // A large board outlasts one lock period: keep the lock, or stop when it is gone (a
        // flush), since finishRebuild would then refuse to mark the board ready anyway.
        if (!(await store.renewRebuildLock(scope, lock, REBUILD_LOCK_MS))) return;
      }
      completed = true;
    } finally {
      await store.finishRebuild(scope, lock, completed);
    }
  }

  /** Writes the users' current state from Postgres to every current board in Redis. */
  async function copyToRedis(userIds: string[]) {
    await store.apply(await readBoardUpdates(db, scopesAt(now()), userIds));
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
    /** Starts a rebuild of a board unless one is running here; the Redis lock keeps other instances out. */
    scheduleRebuild(scope: BoardScope) {
      const name = scopeName(scope);
      let running = rebuilding.get(name);
      if (!running) {
        running = rebuild(scope)
          .catch((error: unknown) => onRedisError("rebuild", error))
          .finally(() => rebuilding.delete(name));
        rebuilding.set(name, running);
      }
      keepAlive(running);
    },

    copyToRedis,

    /** Queues users for repair; one loop per process retries with backoff until Redis takes them. */
    queueRepair(userIds: string[]) {
      for (const userId of userIds) awaitingRepair.set(userId, (awaitingRepair.get(userId) ?? 0) + 1);
      // Every request that queues a repair keeps its own invocation alive until the loop ends.
      keepAlive(startRepairs());
    },

    /** Resolves when no rebuild is running in this process (tests and shutdown). */
    async settled() {
      while (rebuilding.size > 0) await Promise.all(rebuilding.values());
    },
  };
}

/** A delay that does not keep the process alive by itself. */
function sleep(ms: number) {
  return new Promise<void>((resolve) => setTimeout(resolve, ms).unref());
}
