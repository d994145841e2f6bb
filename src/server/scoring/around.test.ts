/**
 * Where I stand: a player's neighbourhood on a board (`around`), the number of players on it and
 * their percentile, by rank arithmetic in Redis and counted in Postgres when Redis cannot answer —
 * the same answers both ways, for all time and for a day.
 */
import { sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";

import { env } from "~/env.js";
import { periodAt } from "~/lib/board-windows";
import { percentileOf } from "~/lib/percentile";
import { ALL_TIME, type BoardScope } from "~/server/board/types";
import { services } from "~/server/composition-root";
import { createBoardStore } from "~/server/redis/board-store";
import { redisKeys } from "~/server/redis/keys";
import { readAroundFromDatabase, readStandingFromDatabase } from "./board-queries";
import { createLeaderboard } from "./leaderboard";
import { unreachableRedis } from "../../../test/support/broken-redis";
import { adjust, createPlayer, ownBoards, type Boards } from "../../../test/support/own-boards";

const { db } = services;

/** A day of the test's own (tests share the file's database): each test takes the next. */
let daysTaken = 0;
const ownDay = () => new Date(Date.parse("2031-06-02T12:00:00Z") + daysTaken++ * 86_400_000).toISOString();

/** Seven players on `day`'s board with scores 70, 60, … 10 (the actor who adjusts them scores nothing). */
async function sevenPlayers(boards: Boards) {
  const actor = await createPlayer();
  const players = [];
  for (let i = 0; i < 7; i++) {
    const player = await createPlayer();
    await adjust(boards, actor, player, 70 - i * 10);
    players.push(player);
  }
  await boards.settled();
  return { actor, players };
}

const dayOf = (iso: string): BoardScope => ({ window: "day", period: periodAt("day", Date.parse(iso)) });

describe("leaderboard.around and the player count", () => {
  it("answers each player's neighbourhood by rank in Redis exactly as Postgres counts it, clamped at the top and bottom", async () => {
    const day = ownDay();
    const boards = ownBoards(day);
    const { players } = await sevenPlayers(boards);
    for (const [index, player] of players.entries()) {
      const around = await boards.leaderboard.around(player.id, "day", 2);
      expect(around).toEqual(await readAroundFromDatabase(db, dayOf(day), player.id, 2));
      const rank = index + 1;
      expect(around!.total).toBe(7);
      expect(around!.entries.map((entry) => entry.rank)).toEqual([rank - 2, rank - 1, rank, rank + 1, rank + 2].filter((r) => r >= 1 && r <= 7));
      expect(around!.entries.find((entry) => entry.userId === player.id)).toMatchObject({ rank, score: 70 - index * 10, displayName: player.name });
    }
    // The widest radius around the middle shows the whole board.
    expect((await boards.leaderboard.around(players[3]!.id, "day", 10))!.entries.map((entry) => entry.score)).toEqual([70, 60, 50, 40, 30, 20, 10]);
  });

  it("gives my rank of the players on the board and the share of them at or above me, the same from Redis and Postgres", async () => {
    const day = ownDay();
    const boards = ownBoards(day);
    const { players } = await sevenPlayers(boards);
    const third = await boards.leaderboard.standing(players[2]!.id, "day");
    expect(third).toMatchObject({ rank: 3, total: 7, percentile: 43 });
    expect(await readStandingFromDatabase(db, dayOf(day), players[2]!.id)).toEqual(third);
    expect(await boards.leaderboard.standing(players[0]!.id, "day")).toMatchObject({ rank: 1, percentile: 15 });
    expect(await boards.leaderboard.standing(players[6]!.id, "day")).toMatchObject({ rank: 7, percentile: 100 });
    // All time counts every visible player in the database, Redis and Postgres alike.
    const allTime = await boards.leaderboard.standing(players[2]!.id, "all");
    expect(allTime).toEqual(await readStandingFromDatabase(db, ALL_TIME, players[2]!.id));
    expect(allTime!.total).toBeGreaterThanOrEqual(8);
  });

  it("leaves a hidden player out of every count and neighbourhood, and tells them they have no rank", async () => {
    const day = ownDay();
    const boards = ownBoards(day);
    const { players } = await sevenPlayers(boards);
    const hidden = players[1]!;
    await db.execute(sql`update users set hidden = true where id = ${hidden.id}`);
    await db.execute(sql`update scores set version = nextval('board_version_seq') where user_id = ${hidden.id}`);
    await boards.leaderboard.refresh([hidden.id]);
    expect(await boards.leaderboard.standing(hidden.id, "day")).toMatchObject({ hidden: true, rank: null, percentile: null, total: 6, score: 60 });
    expect(await boards.leaderboard.around(hidden.id, "day", 2)).toEqual({ entries: [], total: 6 });
    const first = await boards.leaderboard.around(players[0]!.id, "day", 2);
    expect(first!.entries.map((entry) => [entry.rank, entry.score])).toEqual([
      [1, 70],
      [2, 50],
      [3, 40],
    ]);
  });

  it("has no rank and no neighbourhood for a player who has not scored in the period, with the period's player count", async () => {
    const day = ownDay();
    const boards = ownBoards(day);
    const { actor } = await sevenPlayers(boards);
    expect(await boards.leaderboard.standing(actor.id, "day")).toMatchObject({ score: 0, rank: null, percentile: null, total: 7 });
    expect(await boards.leaderboard.around(actor.id, "day", 3)).toEqual({ entries: [], total: 7 });
  });

  it("answers from Postgres when Redis cannot", async () => {
    const day = ownDay();
    const boards = ownBoards(day);
    const { players } = await sevenPlayers(boards);
    const failures: string[] = [];
    const offline = createLeaderboard({
      db,
      store: createBoardStore(await unreachableRedis(), redisKeys(`${env.REDIS_KEY_PREFIX}offline:`).board),
      now: boards.clock.now,
      onRedisError: (operation) => failures.push(operation),
    });
    expect(await offline.around(players[4]!.id, "day", 1)).toEqual(await boards.leaderboard.around(players[4]!.id, "day", 1));
    expect(await offline.standing(players[4]!.id, "day")).toEqual(await boards.leaderboard.standing(players[4]!.id, "day"));
    expect(failures).toEqual(["around", "rank"]);
  });
});

describe("percentileOf", () => {
  it.each([
    [1, 1, 100],
    [1, 2_104, 1],
    [153, 2_104, 8],
    [2_104, 2_104, 100],
    [null, 10, null],
    [1, 0, null],
  ])("rank %s of %s is the top %s %%", (rank, total, percentile) => {
    expect(percentileOf(rank, total)).toBe(percentile);
  });
});
