/**
 * The board's Postgres reads (the top and one user's standing). Each test starts from an empty
 * board in this file's own database and compares whole boards exactly.
 */
import { randomBytes, randomUUID } from "node:crypto";

import { eq, sql } from "drizzle-orm";
import { beforeEach, describe, expect, it } from "vitest";

import { ALL_TIME } from "~/server/board/types";
import { services } from "~/server/composition-root";
import { scores, users, windowScores } from "~/server/db/schema";
import { readStandingFromDatabase, readTopFromDatabase } from "./board-queries";

const { db } = services;

const T0 = new Date("2024-01-01T00:00:00.000Z");
const at = (seconds: number) => new Date(T0.getTime() + seconds * 1000);

type Seed = { score: number; reachedAt?: Date; hidden?: boolean; banned?: boolean };
type Seeded = { id: string; username: string; displayName: string };

const uniqueName = (prefix = "b") => `${prefix}_${randomBytes(6).toString("hex")}`;

// No test here writes audit rows, so the users of earlier tests can go.
beforeEach(async () => {
  await db.delete(windowScores);
  await db.delete(scores);
  await db.delete(users);
});

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

/** The board entries `users` should make, in this order, with these scores. */
const entriesOf = (users: Seeded[], scoresInOrder: number[]) =>
  users.map((user, index) => ({ rank: index + 1, userId: user.id, displayName: user.displayName, score: scoresInOrder[index] }));

describe("readTopFromDatabase", () => {
  it("orders by score desc, then earlier reached_at, then larger user id, with consecutive ranks from 1", async () => {
    const [a, lateB, earlyB, tie1, tie2, low] = await seed(
      { score: 300, reachedAt: at(50) },
      { score: 200, reachedAt: at(20) },
      { score: 200, reachedAt: at(10) },
      { score: 100, reachedAt: at(5) },
      { score: 100, reachedAt: at(5) },
      { score: 1, reachedAt: at(0) },
    );
    // Full ties go to the larger user id (the Redis member order; see src/server/redis/board-store.ts).
    const [firstTie, secondTie] = [tie1!, tie2!].sort((x, y) => (x.id > y.id ? -1 : 1));

    const board = await readTopFromDatabase(db, ALL_TIME, 100);
    expect(board.entries).toEqual(entriesOf([a!, earlyB!, lateB!, firstTie!, secondTie!, low!], [300, 200, 200, 100, 100, 1]));
    expect(typeof board.version).toBe("number");
    expect(board.generatedAt).toBeInstanceOf(Date);
    // The all-time board has no period and never resets.
    expect(board).toMatchObject({ window: "all", period: null, resetsAt: null });
  });

  it("excludes hidden and banned users, even with the highest scores", async () => {
    const [, , visible] = await seed({ score: 30, hidden: true }, { score: 20, banned: true }, { score: 10 });
    expect((await readTopFromDatabase(db, ALL_TIME, 100)).entries).toEqual(entriesOf([visible!], [10]));
  });

  it("drops a user from the board when they are banned or hide themselves", async () => {
    const [first, second, third] = await seed({ score: 3 }, { score: 2 }, { score: 1 });
    expect((await readTopFromDatabase(db, ALL_TIME, 100)).entries).toEqual(entriesOf([first!, second!, third!], [3, 2, 1]));

    await db.update(users).set({ banned: true }).where(eq(users.id, first!.id));
    await db.update(users).set({ hidden: true }).where(eq(users.id, third!.id));
    expect((await readTopFromDatabase(db, ALL_TIME, 100)).entries).toEqual(entriesOf([second!], [2]));
  });

  it("respects the limit", async () => {
    const seeded = await seed(...[6, 5, 4, 3, 2, 1].map((score) => ({ score })));
    for (const limit of [1, 2, 5]) {
      expect((await readTopFromDatabase(db, ALL_TIME, limit)).entries, `limit ${limit}`).toEqual(entriesOf(seeded.slice(0, limit), [6, 5, 4, 3, 2]));
    }
  });

  it("reports the newest row version as the board version, growing with every change", async () => {
    const [user] = await seed({ score: 0 });
    const before = await readTopFromDatabase(db, ALL_TIME, 1);

    // What the score service does on a change: a new value of the board version sequence.
    const [row] = await db
      .update(scores)
      .set({ score: 10, version: sql`nextval('board_version_seq')` })
      .where(eq(scores.userId, user!.id))
      .returning({ version: scores.version });
    const after = await readTopFromDatabase(db, ALL_TIME, 1);

    expect(after.version).toBeGreaterThan(before.version);
    expect(after.version).toBe(row!.version);
  });
});

describe("readStandingFromDatabase", () => {
  it("ranks by better visible users + 1, breaking ties by reached_at, consistent with the board", async () => {
    const [leader, early, late] = await seed(
      { score: 50, reachedAt: at(100) },
      { score: 10, reachedAt: at(1) },
      { score: 10, reachedAt: at(2) },
    );
    const standings = await Promise.all([leader!, early!, late!].map((user) => readStandingFromDatabase(db, ALL_TIME, user.id)));
    expect(standings).toEqual(
      entriesOf([leader!, early!, late!], [50, 10, 10]).map(({ userId, displayName, score, rank }) => ({
        userId,
        displayName,
        score,
        rank,
        hidden: false,
        total: 3,
        // The share of the 3 players at or above: a third, two thirds, all, rounded up.
        percentile: [34, 67, 100][rank - 1],
      })),
    );
    // The same ranks the board shows.
    const board = await readTopFromDatabase(db, ALL_TIME, 100);
    expect(board.entries.map((entry) => [entry.userId, entry.rank])).toEqual(standings.map((standing) => [standing!.userId, standing!.rank]));
  });

  it("breaks a full tie (same score, same reached_at) by the larger user id, as the Redis board does", async () => {
    const pair = await seed({ score: 7, reachedAt: at(3) }, { score: 7, reachedAt: at(3) });
    const [first, second] = [...pair].sort((x, y) => (x.id > y.id ? -1 : 1));
    expect((await readStandingFromDatabase(db, ALL_TIME, first!.id))!.rank).toBe(1);
    expect((await readStandingFromDatabase(db, ALL_TIME, second!.id))!.rank).toBe(2);
    expect((await readTopFromDatabase(db, ALL_TIME, 100)).entries).toEqual(entriesOf([first!, second!], [7, 7]));
  });

  it("does not count hidden or banned users ahead of you", async () => {
    const [hiddenAbove, bannedAbove, visibleAbove, me] = await seed({ score: 40, hidden: true }, { score: 30, banned: true }, { score: 20 }, { score: 10 });
    expect((await readStandingFromDatabase(db, ALL_TIME, visibleAbove!.id))!.rank).toBe(1);
    expect((await readStandingFromDatabase(db, ALL_TIME, me!.id))!.rank).toBe(2);

    // Unhiding the hidden user puts one more user ahead of both.
    await db.update(users).set({ hidden: false }).where(eq(users.id, hiddenAbove!.id));
    expect((await readStandingFromDatabase(db, ALL_TIME, hiddenAbove!.id))!.rank).toBe(1);
    expect((await readStandingFromDatabase(db, ALL_TIME, visibleAbove!.id))!.rank).toBe(2);
    expect((await readStandingFromDatabase(db, ALL_TIME, me!.id))!.rank).toBe(3);
    expect((await readStandingFromDatabase(db, ALL_TIME, bannedAbove!.id))!.rank).toBeNull();
  });

  it("gives a hidden user rank null and hidden true, keeping their score", async () => {
    const [user] = await seed({ score: 5, hidden: true });
    expect(await readStandingFromDatabase(db, ALL_TIME, user!.id)).toEqual({
      userId: user!.id,
      displayName: user!.displayName,
      score: 5,
      rank: null,
      hidden: true,
      total: 0,
      percentile: null,
    });
  });

  it("gives a banned user rank null, keeping their score", async () => {
    const [user] = await seed({ score: 5, banned: true });
    expect(await readStandingFromDatabase(db, ALL_TIME, user!.id)).toEqual({
      userId: user!.id,
      displayName: user!.displayName,
      score: 5,
      rank: null,
      hidden: false,
      total: 0,
      percentile: null,
    });
  });

  it("returns null for an unknown user id", async () => {
    expect(await readStandingFromDatabase(db, ALL_TIME, randomUUID())).toBeNull();
  });
});
