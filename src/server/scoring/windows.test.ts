/**
 * The day and week boards against real services (Postgres, and Redis through the Upstash
 * bridge): each change lands in the day and ISO week of its audit row's database time, in Redis
 * and in Postgres alike; ties go to whoever reached the window score first; each current board
 * is rebuilt after its keys are lost; finished periods are read from Postgres; period keys
 * expire; and a live board moves to the next period by itself at the boundary.
 *
 * Both clocks are moved, not waited for: the process's (`now`, which says what is current) and
 * the database's (`databaseTime`, which times audit rows). The boundary used — Sunday 2030-12-29
 * to Monday 2030-12-30 — ends a day, an ISO week (2030-W52 → 2031-W01) and a week-year at once.
 */
import { readFileSync } from "node:fs";

import { sql } from "drizzle-orm";
import { Redis as IORedis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";

import { env } from "~/env.js";
import { parsePeriod, periodAt, type BoardWindow, type PeriodWindow } from "~/lib/board-windows";
import { ALL_TIME, scopeAt, type Board, type BoardScope } from "~/server/board/types";
import { services } from "~/server/composition-root";
import { createBoardChangeFeed } from "~/server/redis/board-changes";
import { PERIOD_KEYS_GRACE_MS, rankingOf } from "~/server/redis/board-store";
import { readStandingFromDatabase, readTopFromDatabase } from "./board-queries";
import { createLiveBoard } from "./live-board";
import { adjust, createPlayer, ownBoards, type Boards } from "../../../test/support/own-boards";

const { db, redis } = services;

/**
 * A week of the test's own (tests share the file's database, so each takes other periods): the
 * last second of a Sunday and the Monday midnight after it, the first in 2030-12-29/30.
 */
let weeksTaken = 0;
function ownWeek() {
  // Two weeks apart, so no test's Sunday shares an ISO week with another's Monday.
  const monday = Date.parse("2030-12-30T00:00:00.000Z") + weeksTaken++ * 14 * 86_400_000;
  return { SUNDAY_LATE: new Date(monday - 1_000).toISOString(), MONDAY: new Date(monday).toISOString() };
}

/** Raw access to the run's redis-server, to inspect expiry and lose keys on purpose. */
const raw = new IORedis(env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
beforeAll(() => raw.connect());
afterAll(() => raw.disconnect());

const periodScope = (window: PeriodWindow, iso: string): BoardScope => ({ window, period: periodAt(window, Date.parse(iso)) });

/** name → score, in board order. */
const standings = (board: { entries: { displayName: string; score: number }[] }) => board.entries.map((entry) => [entry.displayName, entry.score]);

/** The board in Redis (built) and in Postgres, which must agree entry for entry. */
async function bothWays(boards: Boards, scope: BoardScope) {
  await boards.settled();
  const inRedis = await boards.store.top(scope, 100);
  const inPostgres = await readTopFromDatabase(db, scope, 100);
  expect(inRedis, `Redis board ${scope.period?.name ?? "all"} built`).not.toBeNull();
  expect(inRedis!.entries).toEqual(inPostgres.entries);
  return standings(inPostgres);
}

describe("each change in the day and week of its database time", () => {
  it("files a change just before midnight UTC on Sunday in that day and week, and one just after in Monday's and the next week's, in Redis and Postgres alike", async () => {
    const { SUNDAY_LATE, MONDAY } = ownWeek();
    const boards = ownBoards(SUNDAY_LATE);
    const [actor, ada, bob] = [await createPlayer(), await createPlayer(), await createPlayer()];
    await adjust(boards, actor, ada, 30);
    await adjust(boards, actor, bob, 10);
    boards.clock.set(MONDAY);
    await adjust(boards, actor, bob, 5);
    const filed = await db.execute<{ created_at: string }>(sql`select created_at::text from score_actions where user_id = ${bob.id} order by id`);
    expect(filed.map((row) => row.created_at.slice(0, 10))).toEqual(["2030-12-29", "2030-12-30"]);

    expect(await bothWays(boards, periodScope("day", SUNDAY_LATE))).toEqual([[ada.name, 30], [bob.name, 10]]);
    expect(await bothWays(boards, periodScope("week", SUNDAY_LATE))).toEqual([[ada.name, 30], [bob.name, 10]]);
    expect(await bothWays(boards, periodScope("day", MONDAY))).toEqual([[bob.name, 5]]);
    expect(await bothWays(boards, periodScope("week", MONDAY))).toEqual([[bob.name, 5]]);
    expect([periodScope("week", SUNDAY_LATE).period?.name, periodScope("week", MONDAY).period?.name]).toEqual(["2030-W52", "2031-W01"]);
    const allTime = await bothWays(boards, ALL_TIME);
    expect(allTime).toContainEqual([ada.name, 30]);
    expect(allTime).toContainEqual([bob.name, 15]);
  });

  it("writes the all-time, day and week boards in one request per change", async () => {
    const { MONDAY } = ownWeek();
    const boards = ownBoards(MONDAY);
    const [actor, ada] = [await createPlayer(), await createPlayer()];
    await adjust(boards, actor, ada, 7);
    // Rebuilds of the new boards write one board per call; the change itself is one call.
    const publishes = boards.applied.filter((updates) => updates.length > 1);
    expect(publishes).toHaveLength(1);
    expect(publishes[0]!.map((update) => [update.scope.window, update.scope.period?.name ?? null, update.writes[0]!.score])).toEqual([
      ["all", null, 7],
      ["day", MONDAY.slice(0, 10), 7],
      ["week", periodAt("week", Date.parse(MONDAY)).name, 7],
    ]);
  });

  it("answers top, standing and the board's period and reset for each window through the leaderboard", async () => {
    const { MONDAY } = ownWeek();
    const boards = ownBoards(MONDAY);
    const [actor, ada] = [await createPlayer(), await createPlayer()];
    await adjust(boards, actor, ada, 12);
    await boards.settled();
    for (const window of ["day", "week"] as const) {
      const board = await boards.leaderboard.top(window, 10);
      const period = periodAt(window, Date.parse(MONDAY));
      expect(board).toMatchObject({ window, period: period.name, resetsAt: period.resetsAt });
      expect(standings(board)).toEqual([[ada.name, 12]]);
      expect(await boards.leaderboard.standing(ada.id, window)).toMatchObject({ score: 12, rank: 1, hidden: false });
      // Someone who has not scored in the period: 0 and no rank there.
      expect(await boards.leaderboard.standing(actor.id, window)).toMatchObject({ score: 0, rank: null });
    }
    expect(await boards.leaderboard.top("all", 1)).toMatchObject({ window: "all", period: null, resetsAt: null });
  });
});

describe("window scores are exact", () => {
  it("ranks equal window scores by who reached them first, in Redis and Postgres alike, whatever the all-time order", async () => {
    const { SUNDAY_LATE, MONDAY } = ownWeek();
    const boards = ownBoards(SUNDAY_LATE);
    const [actor, ada, bob] = [await createPlayer(), await createPlayer(), await createPlayer()];
    // Ada leads all time from Sunday; on Monday Bob reaches 10 first, then Ada.
    await adjust(boards, actor, ada, 100);
    boards.clock.set(MONDAY);
    await adjust(boards, actor, bob, 10);
    await adjust(boards, actor, ada, 4);
    await adjust(boards, actor, ada, 6);
    expect(await bothWays(boards, periodScope("day", MONDAY))).toEqual([[bob.name, 10], [ada.name, 10]]);
    const allTime = await bothWays(boards, ALL_TIME);
    expect(allTime.filter(([name]) => name === ada.name || name === bob.name)).toEqual([[ada.name, 110], [bob.name, 10]]);
    // Standing counts the same order in Redis and in SQL.
    expect(await boards.leaderboard.standing(ada.id, "day")).toMatchObject({ score: 10, rank: 2 });
    expect(await readStandingFromDatabase(db, periodScope("day", MONDAY), ada.id)).toMatchObject({ score: 10, rank: 2 });
  });

  it("counts negative adjustments, and keeps a player whose deltas in the period sum to 0 on that period's board", async () => {
    const { MONDAY } = ownWeek();
    const boards = ownBoards(MONDAY);
    const [actor, ada] = [await createPlayer(), await createPlayer()];
    await adjust(boards, actor, ada, 25);
    await adjust(boards, actor, ada, -25);
    expect(await bothWays(boards, periodScope("day", MONDAY))).toEqual([[ada.name, 0]]);
    const sums = await db.execute<{ sum: string }>(sql`select sum(delta)::text as sum from score_actions where user_id = ${ada.id}`);
    expect(sums[0]!.sum).toBe("0");
  });

  it("takes banned and hidden players off every window's board, and brings them back", async () => {
    const { MONDAY } = ownWeek();
    const boards = ownBoards(MONDAY);
    const [actor, ada, bob] = [await createPlayer(), await createPlayer(), await createPlayer()];
    await adjust(boards, actor, ada, 20);
    await adjust(boards, actor, bob, 10);
    await db.execute(sql`update users set banned = true where id = ${ada.id}`);
    await db.execute(sql`update scores set version = nextval('board_version_seq') where user_id = ${ada.id}`);
    await boards.leaderboard.refresh([ada.id]);
    for (const scope of [ALL_TIME, periodScope("day", MONDAY), periodScope("week", MONDAY)]) {
      expect((await bothWays(boards, scope)).map(([name]) => name)).not.toContain(ada.name);
    }
    await db.execute(sql`update users set banned = false where id = ${ada.id}`);
    await db.execute(sql`update scores set version = nextval('board_version_seq') where user_id = ${ada.id}`);
    await boards.leaderboard.refresh([ada.id]);
    expect(await bothWays(boards, periodScope("day", MONDAY))).toEqual([[ada.name, 20], [bob.name, 10]]);
  });
});

describe("rebuild, fallback and finished periods", () => {
  it.each(["all", "week", "day"] as const)("rebuilds the current %s board from Postgres after its keys are lost, answering from Postgres meanwhile", async (window: BoardWindow) => {
    const { MONDAY } = ownWeek();
    const boards = ownBoards(MONDAY);
    const [actor, ada, bob] = [await createPlayer(), await createPlayer(), await createPlayer()];
    await adjust(boards, actor, ada, 15);
    await adjust(boards, actor, bob, 40);
    const scope = scopeAt(window, boards.clock.now());
    const before = await bothWays(boards, scope);
    const ranking = rankingOf(boards.keys, scope).keys;
    await raw.del(ranking.ranking, ranking.applied, ranking.version, ranking.ready);
    expect(await boards.store.top(scope, 10)).toBeNull();
    // The read answers from Postgres and starts the rebuild.
    expect(standings(await boards.leaderboard.top(window, 100))).toEqual(before);
    expect(await bothWays(boards, scope)).toEqual(before);
  });

  it("reads a finished period from Postgres, by name, once the next one has begun", async () => {
    const { SUNDAY_LATE, MONDAY } = ownWeek();
    const boards = ownBoards(SUNDAY_LATE);
    const [actor, ada] = [await createPlayer(), await createPlayer()];
    await adjust(boards, actor, ada, 50);
    boards.clock.set(MONDAY);
    await boards.settled();
    expect(standings(await boards.leaderboard.top("day", 10))).toEqual([]);
    const sunday = SUNDAY_LATE.slice(0, 10);
    const yesterday = await boards.leaderboard.top("day", 10, parsePeriod("day", sunday)!);
    expect(yesterday).toMatchObject({ window: "day", period: sunday, resetsAt: new Date(MONDAY) });
    expect(standings(yesterday)).toEqual([[ada.name, 50]]);
    const lastWeekName = periodAt("week", Date.parse(SUNDAY_LATE)).name;
    const lastWeek = await boards.leaderboard.top("week", 10, parsePeriod("week", lastWeekName)!);
    expect(standings(lastWeek)).toEqual([[ada.name, 50]]);
    expect(await boards.leaderboard.standing(ada.id, "week", parsePeriod("week", lastWeekName)!)).toMatchObject({ score: 50, rank: 1 });
    // Naming the current period is the same as asking for the current board.
    expect(standings(await boards.leaderboard.top("day", 10, parsePeriod("day", MONDAY.slice(0, 10))!))).toEqual([]);
  });

  it("reads a finished period with an index scan of window_scores, not a scan of the audit table", async () => {
    const plan = await db.execute<{ "QUERY PLAN": string }>(sql`explain
      select ws.user_id from window_scores ws join users u on u.id = ws.user_id
      where ws.board_window = 'day' and ws.period_start = '2030-12-29' and not u.hidden and not u.banned
      order by ws.score desc, ws.reached_at asc, ws.user_id desc limit 10`);
    const text = plan.map((row) => row["QUERY PLAN"]).join("\n");
    expect(text).not.toMatch(/score_actions/);
    expect(text).toMatch(/window_scores_(board_idx|pkey)|Index/);
  });
});

describe("window_scores and the audit table", () => {
  it("holds what the migration's backfill computes from the audit rows: per day and ISO week, the sum of deltas and the latest time", async () => {
    const { SUNDAY_LATE, MONDAY } = ownWeek();
    const boards = ownBoards(SUNDAY_LATE);
    const [actor, ada, bob] = [await createPlayer(), await createPlayer(), await createPlayer()];
    await adjust(boards, actor, ada, 10);
    await adjust(boards, actor, bob, -3);
    boards.clock.set(MONDAY);
    await adjust(boards, actor, ada, 5);
    await adjust(boards, actor, ada, 7);
    const migration = readFileSync(new URL("../../../drizzle/0007_window_scores_backfill.sql", import.meta.url), "utf8");
    const backfill = migration.slice(migration.indexOf("SELECT")).replace(/;\s*$/, "");
    const ours = sql`(${ada.id}::uuid, ${bob.id}::uuid)`;
    const fromAudit = await db.execute(
      sql`select board_window, period_start::text, user_id, score::text, reached_at::text from (${sql.raw(backfill)}) as backfill(board_window, period_start, user_id, score, reached_at)
        where user_id in ${ours} order by 1, 2, 3`,
    );
    const kept = await db.execute(
      sql`select board_window, period_start::text, user_id, score::text, reached_at::text from window_scores where user_id in ${ours} order by 1, 2, 3`,
    );
    expect(kept).toEqual(fromAudit);
    const summary = kept.map((row) => `${String(row.board_window)} ${String(row.period_start)} ${row.user_id === ada.id ? "ada" : "bob"} ${String(row.score)}`);
    const [sunday, monday] = [SUNDAY_LATE.slice(0, 10), MONDAY.slice(0, 10)];
    const lastMonday = periodAt("week", Date.parse(SUNDAY_LATE)).startsAt.toISOString().slice(0, 10);
    expect(summary.sort()).toEqual(
      [`day ${sunday} ada 10`, `day ${sunday} bob -3`, `day ${monday} ada 12`, `week ${lastMonday} ada 10`, `week ${lastMonday} bob -3`, `week ${monday} ada 12`].sort(),
    );
  });
});

describe("period keys expire", () => {
  it("sets every key of a period's board to expire an hour after the period ends, and never the all-time board's", async () => {
    const { MONDAY } = ownWeek();
    const boards = ownBoards(MONDAY);
    const [actor, ada] = [await createPlayer(), await createPlayer()];
    await adjust(boards, actor, ada, 5);
    await boards.settled();
    for (const window of ["day", "week"] as const) {
      const { keys, expireAt } = rankingOf(boards.keys, periodScope(window, MONDAY));
      expect(expireAt).toBe(periodAt(window, Date.parse(MONDAY)).resetsAt.getTime() + PERIOD_KEYS_GRACE_MS);
      for (const key of [keys.ranking, keys.applied, keys.version, keys.ready]) expect(await raw.pexpiretime(key), key).toBe(expireAt);
    }
    expect(await raw.pexpiretime(boards.keys.ranking)).toBe(-1);
  });

  it("keeps nothing in Redis of a write to a period that ended more than an hour ago", async () => {
    const longAgo = new Date(Date.now() - 3 * 86_400_000).toISOString();
    const boards = ownBoards(longAgo);
    const [actor, ada] = [await createPlayer(), await createPlayer()];
    await adjust(boards, actor, ada, 5);
    await boards.settled();
    const day = rankingOf(boards.keys, periodScope("day", longAgo)).keys;
    expect(await raw.exists(day.ranking, day.applied, day.version, day.ready)).toBe(0);
    // Postgres still has it, for reading that day's board.
    expect(standings(await readTopFromDatabase(db, periodScope("day", longAgo), 10))).toEqual([[ada.name, 5]]);
  });
});

describe("live per window", () => {
  it("hands every listener of the day board the next day's empty board within a second of midnight, with no change announced", async () => {
    const { SUNDAY_LATE, MONDAY } = ownWeek();
    const boundary = Date.parse(MONDAY);
    const boards = ownBoards(new Date(boundary - 1_500).toISOString());
    const [actor, ada] = [await createPlayer(), await createPlayer()];
    await adjust(boards, actor, ada, 9);
    await boards.settled();
    const live = createLiveBoard({
      readBoard: () => boards.leaderboard.top("day", 100),
      changeFeed: createBoardChangeFeed(redis, boards.keys, () => scopeAt("day", boards.clock.now()), () => {}),
      onError: () => {},
      now: boards.clock.now,
    });
    const seen: { board: Board; at: number }[] = [];
    const listening = live.listen((board) => seen.push({ board, at: boards.clock.now() }));
    onTestFinished(() => listening.stop());
    const first = await listening.board();
    expect(first.period).toBe(SUNDAY_LATE.slice(0, 10));
    expect(standings(first)).toEqual([[ada.name, 9]]);
    const nextDay = MONDAY.slice(0, 10);
    await expect.poll(() => seen.find(({ board }) => board.period === nextDay), { timeout: 5_000 }).toBeDefined();
    const next = seen.find(({ board }) => board.period === nextDay)!;
    expect(next.board.entries).toEqual([]);
    expect(next.board.resetsAt).toEqual(new Date(boundary + 86_400_000));
    expect(next.at - boundary).toBeGreaterThanOrEqual(0);
    expect(next.at - boundary).toBeLessThan(1_000);
  });
});
