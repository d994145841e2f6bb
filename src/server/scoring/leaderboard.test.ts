/**
 * The leaderboard's background work on a serverless platform: a rebuild or repair started by a
 * request is handed to keepAlive, against a store that fails on purpose and this file's database.
 */
import { randomBytes } from "node:crypto";

import { describe, expect, it } from "vitest";

import { scopeName, scopesAt, type BoardUpdate } from "~/server/board/types";
import { services } from "~/server/composition-root";
import { scores, users } from "~/server/db/schema";
import type { BoardStore } from "~/server/redis/board-store";
import { createLeaderboard } from "./leaderboard";

const { db } = services;

/** The leaderboard's clock in these tests: a Monday noon, UTC. */
const NOW = Date.parse("2026-11-30T12:00:00Z");

/** A user with a score row, as sign-up creates. */
async function createUser() {
  const username = `l_${randomBytes(6).toString("hex")}`;
  const [user] = await db.insert(users).values({ username, displayName: `Player ${username}` }).returning({ id: users.id });
  await db.insert(scores).values({ userId: user!.id, score: 5 });
  return user!;
}

describe("createLeaderboard on a serverless platform", () => {
  /**
   * A Redis board store that refuses the first `failures` requests, then takes them; nothing is
   * ever built. `applied` holds, per request taken, the boards written and the users on each.
   */
  function flakyStore(failures: number) {
    const applied: [string, string[]][][] = [];
    let refusals = 0;
    const store = {
      async apply(updates: BoardUpdate[]) {
        if (refusals < failures) {
          refusals += 1;
          throw new Error("redis unreachable");
        }
        applied.push(updates.map((update) => [scopeName(update.scope), update.writes.map((write) => write.userId)]));
        return updates.map((update) => ({ version: 1, ready: true, ranks: update.writes.map(() => 1) }));
      },
      async top() {
        return null;
      },
      async tryLockRebuild() {
        return false;
      },
    } as unknown as BoardStore;
    return { store, applied };
  }

  it("hands the repair loop to keepAlive, which settles only once Redis has taken the write", async () => {
    const user = await createUser();
    const { store, applied } = flakyStore(3);
    const kept: Promise<unknown>[] = [];
    const failed: string[] = [];
    const leaderboard = createLeaderboard({
      db,
      store,
      onRedisError: (operation) => failed.push(operation),
      keepAlive: (task) => kept.push(task),
      repairDelaysMs: [1, 2],
      now: () => NOW,
    });

    await leaderboard.refresh([user.id]); // fails, queues a repair; the next two attempts fail too
    expect(kept).toHaveLength(1);
    expect(applied).toEqual([]);
    await kept[0];
    // One request, writing the user to every current board: all time, the day's and the week's.
    expect(applied).toEqual([scopesAt(NOW).map((scope) => [scopeName(scope), [user.id]])]);
    expect(applied[0]!.map(([board]) => board)).toEqual(["all", "day:2026-11-30", "week:2026-W49"]);
    expect(failed).toEqual(["refresh", "repair", "repair"]);
  });

  it("hands a rebuild started by a read to keepAlive", async () => {
    const { store } = flakyStore(0);
    const kept: Promise<unknown>[] = [];
    const leaderboard = createLeaderboard({ db, store, onRedisError: () => {}, keepAlive: (task) => kept.push(task) });
    await leaderboard.top("all", 10); // an unbuilt board: served from Postgres, rebuild scheduled
    expect(kept).toHaveLength(1);
    await expect(kept[0]).resolves.toBeUndefined();
  });
});
