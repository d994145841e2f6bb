import { randomBytes, randomUUID } from "node:crypto";

import { eq, inArray, max, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";

import { db } from "~/server/db";
import { scores, users } from "~/server/db/schema";
import type { RedisBoard } from "~/server/redis/board";
import { createLeaderboard, readStandingFromDatabase, readTopFromDatabase, type Board } from "./board";

const HUGE = 10 ** 12;
const T0 = new Date("2024-01-01T00:00:00.000Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

type Seed = { score: number; reachedAt?: Date; hidden?: boolean; banned?: boolean };
type Seeded = { id: string; username: string; displayName: string };

const uniqueName = (prefix = "b") => `${prefix}_${randomBytes(6).toString("hex")}`;

/**
 * A score base above every score in the shared database, so this test's users hold the
 * top places (other test files never use scores this large).
 */
async function scoreBase() {
  const [row] = await db.select({ top: max(scores.score) }).from(scores);
  return Math.max(HUGE, (row?.top ?? 0) + 1) + 1_000_000;
}

async function seed(...entries: Seed[]): Promise<Seeded[]> {
  const created: Seeded[] = [];
  for (const entry of entries) {
    const username = uniqueName();
    const displayName = `Player ${username}`;
    const [user] = await db
      .insert(users)
      .values({ username, displayName, hidden: entry.hidden ?? false, banned: entry.banned ?? false })
      .returning({ id: users.id });
    await db.insert(scores).values({ userId: user!.id, score: entry.score, reachedAt: entry.reachedAt ?? T0 });
    created.push({ id: user!.id, username, displayName });
  }
  return created;
}

const mine = (board: Board, seeded: Seeded[]) => {
  const ids = new Set(seeded.map((user) => user.id));
  return board.entries.filter((entry) => ids.has(entry.userId));
};

describe("readTopFromDatabase", () => {
  it("orders by score desc, then earlier reached_at, then larger user id, with consecutive ranks from 1", async () => {
    const base = await scoreBase();
    const [a, lateB, earlyB, tie1, tie2, low] = await seed(
      { score: base + 300, reachedAt: at(50) },
      { score: base + 200, reachedAt: at(20) },
      { score: base + 200, reachedAt: at(10) },
      { score: base + 100, reachedAt: at(5) },
      { score: base + 100, reachedAt: at(5) },
      { score: base + 1, reachedAt: at(0) },
    );
    // Full ties go to the larger user id (the Redis member order; see src/server/redis/board.ts).
    const [firstTie, secondTie] = [tie1!, tie2!].sort((x, y) => (x.id > y.id ? -1 : 1));

    const board = await readTopFromDatabase(db, 100);
    const expected = [a!, earlyB!, lateB!, firstTie!, secondTie!, low!];
    // Our users hold the first six places, in exactly this order.
    expect(board.entries.slice(0, 6)).toEqual(
      expected.map((user, index) => ({
        rank: index + 1,
        userId: user.id,
        displayName: user.displayName,
        score: [base + 300, base + 200, base + 200, base + 100, base + 100, base + 1][index],
      })),
    );
    expect(board.entries.map((entry) => entry.rank)).toEqual(board.entries.map((_, index) => index + 1));
    for (let i = 1; i < board.entries.length; i++) {
      expect(board.entries[i - 1]!.score).toBeGreaterThanOrEqual(board.entries[i]!.score);
    }
    expect(typeof board.version).toBe("number");
    expect(board.generatedAt).toBeInstanceOf(Date);
  });

  it("excludes hidden and banned users, even with the highest scores", async () => {
    const base = await scoreBase();
    const [hidden, banned, visible] = await seed(
      { score: base + 30, hidden: true },
      { score: base + 20, banned: true },
      { score: base + 10 },
    );
    const board = await readTopFromDatabase(db, 100);
    const ids = board.entries.map((entry) => entry.userId);
    expect(ids).not.toContain(hidden!.id);
    expect(ids).not.toContain(banned!.id);
    expect(board.entries[0]).toMatchObject({ rank: 1, userId: visible!.id, score: base + 10 });

    // Nobody on the returned board is hidden or banned.
    const flags = await db
      .select({ hidden: users.hidden, banned: users.banned })
      .from(users)
      .where(inArray(users.id, ids));
    expect(flags.filter((flag) => flag.hidden || flag.banned)).toEqual([]);
  });

  it("drops a user from the board when they are banned or hide themselves", async () => {
    const base = await scoreBase();
    const [first, second, third] = await seed({ score: base + 3 }, { score: base + 2 }, { score: base + 1 });
    expect(mine(await readTopFromDatabase(db, 100), [first!, second!, third!]).map((entry) => entry.rank)).toEqual([1, 2, 3]);

    await db.update(users).set({ banned: true }).where(eq(users.id, first!.id));
    await db.update(users).set({ hidden: true }).where(eq(users.id, third!.id));
    const board = await readTopFromDatabase(db, 100);
    expect(mine(board, [first!, second!, third!])).toEqual([
      { rank: 1, userId: second!.id, displayName: second!.displayName, score: base + 2 },
    ]);
  });

  it("respects the limit", async () => {
    const base = await scoreBase();
    const seeded = await seed(...[6, 5, 4, 3, 2, 1].map((n) => ({ score: base + n })));
    const ids = seeded.map((user) => user.id);
    for (const limit of [1, 2, 5]) {
      const board = await readTopFromDatabase(db, limit);
      expect(board.entries.map((entry) => entry.userId), `limit ${limit}`).toEqual(ids.slice(0, limit));
      expect(board.entries.map((entry) => entry.rank)).toEqual(ids.slice(0, limit).map((_, index) => index + 1));
    }
  });

  it("reports the newest row version as the board version, growing with every change", async () => {
    const [user] = await seed({ score: 0 });
    const before = await readTopFromDatabase(db, 1);

    // What the score service does on a change: a new value of the board version sequence.
    const [row] = await db
      .update(scores)
      .set({ score: 10, version: sql`nextval('board_version_seq')` })
      .where(eq(scores.userId, user!.id))
      .returning({ version: scores.version });
    const after = await readTopFromDatabase(db, 1);
    const [latest] = await db.select({ version: max(scores.version) }).from(scores);

    expect(typeof after.version).toBe("number");
    expect(after.version).toBeGreaterThan(before.version);
    // Other test files may change scores concurrently: ours is included, nothing newer than the max is invented.
    expect(after.version).toBeGreaterThanOrEqual(row!.version);
    expect(after.version).toBeLessThanOrEqual(latest!.version!);
  });
});

describe("readStandingFromDatabase", () => {
  it("ranks by better visible users + 1, breaking ties by reached_at, consistent with the board", async () => {
    const base = await scoreBase();
    const [leader, early, late] = await seed(
      { score: base + 50, reachedAt: at(100) },
      { score: base + 10, reachedAt: at(1) },
      { score: base + 10, reachedAt: at(2) },
    );
    const [leaderStanding, earlyStanding, lateStanding] = await Promise.all(
      [leader!, early!, late!].map((user) => readStandingFromDatabase(db, user.id)),
    );
    expect(earlyStanding).toEqual({
      userId: early!.id,
      displayName: early!.displayName,
      score: base + 10,
      rank: expect.any(Number),
      hidden: false,
    });
    expect(earlyStanding!.rank).toBe(leaderStanding!.rank! + 1);
    expect(lateStanding!.rank).toBe(earlyStanding!.rank! + 1);

    // The same ranks the board shows.
    const board = await readTopFromDatabase(db, 100);
    for (const standing of [leaderStanding!, earlyStanding!, lateStanding!]) {
      expect(board.entries.find((entry) => entry.userId === standing.userId)?.rank).toBe(standing.rank);
    }
  });

  it("breaks a full tie (same score, same reached_at) by the larger user id, as the Redis board does", async () => {
    const base = await scoreBase();
    const pair = await seed({ score: base + 7, reachedAt: at(3) }, { score: base + 7, reachedAt: at(3) });
    const [first, second] = [...pair].sort((x, y) => (x.id > y.id ? -1 : 1));
    const firstRank = (await readStandingFromDatabase(db, first!.id))!.rank!;
    const secondRank = (await readStandingFromDatabase(db, second!.id))!.rank!;
    expect(secondRank).toBe(firstRank + 1);
    const ranksOnBoard = mine(await readTopFromDatabase(db, 100), pair);
    expect(ranksOnBoard.map((entry) => [entry.userId, entry.rank])).toEqual([
      [first!.id, firstRank],
      [second!.id, secondRank],
    ]);
  });

  it("does not count hidden or banned users ahead of you", async () => {
    const base = await scoreBase();
    const [hiddenAbove, bannedAbove, visibleAbove, me] = await seed(
      { score: base + 40, hidden: true },
      { score: base + 30, banned: true },
      { score: base + 20 },
      { score: base + 10 },
    );
    const above = (await readStandingFromDatabase(db, visibleAbove!.id))!.rank!;
    expect((await readStandingFromDatabase(db, me!.id))!.rank).toBe(above + 1);

    // Unhiding the hidden user puts one more user ahead of both.
    await db.update(users).set({ hidden: false }).where(eq(users.id, hiddenAbove!.id));
    expect((await readStandingFromDatabase(db, visibleAbove!.id))!.rank).toBe(above + 1);
    expect((await readStandingFromDatabase(db, me!.id))!.rank).toBe(above + 2);
    expect((await readStandingFromDatabase(db, bannedAbove!.id))!.rank).toBeNull();
  });

  it("gives a hidden user rank null and hidden true, keeping their score", async () => {
    const base = await scoreBase();
    const [user] = await seed({ score: base + 5, hidden: true });
    expect(await readStandingFromDatabase(db, user!.id)).toEqual({
      userId: user!.id,
      displayName: user!.displayName,
      score: base + 5,
      rank: null,
      hidden: true,
    });
  });

  it("gives a banned user rank null, keeping their score", async () => {
    const base = await scoreBase();
    const [user] = await seed({ score: base + 5, banned: true });
    expect(await readStandingFromDatabase(db, user!.id)).toEqual({
      userId: user!.id,
      displayName: user!.displayName,
      score: base + 5,
      rank: null,
      hidden: false,
    });
  });

  it("returns null for an unknown user id", async () => {
    expect(await readStandingFromDatabase(db, randomUUID())).toBeNull();
  });
});

describe("createLeaderboard on a serverless platform", () => {
  /** A Redis board that refuses the first `failures` writes, then takes them; nothing is ever built. */
  function flakyRedisBoard(failures: number) {
    const applied: string[][] = [];
    let refusals = 0;
    const board = {
      async apply(writes: { userId: string }[]) {
        if (refusals < failures) {
          refusals += 1;
          throw new Error("redis unreachable");
        }
        applied.push(writes.map((write) => write.userId));
        return { version: 1, ready: true, ranks: writes.map(() => 1) };
      },
      async top() {
        return null;
      },
      async tryLockRebuild() {
        return false;
      },
    } as unknown as RedisBoard;
    return { board, applied };
  }

  it("hands the repair loop to keepAlive, which settles only once Redis has taken the write", async () => {
    const [user] = await seed({ score: 5 });
    const { board, applied } = flakyRedisBoard(3);
    const kept: Promise<unknown>[] = [];
    const leaderboard = createLeaderboard({ db, redisBoard: board, onRedisError: () => {}, keepAlive: (task) => kept.push(task) });

    await leaderboard.refresh([user!.id]); // fails, queues a repair; the next two attempts fail too
    expect(kept).toHaveLength(1);
    expect(applied).toEqual([]);
    await kept[0];
    expect(applied).toEqual([[user!.id]]);
  });

  it("hands a rebuild started by a read to keepAlive", async () => {
    const { board } = flakyRedisBoard(0);
    const kept: Promise<unknown>[] = [];
    const leaderboard = createLeaderboard({ db, redisBoard: board, onRedisError: () => {}, keepAlive: (task) => kept.push(task) });
    await leaderboard.top(10); // an unbuilt board: served from Postgres, rebuild scheduled
    expect(kept).toHaveLength(1);
    await expect(kept[0]).resolves.toBeUndefined();
  });
});

