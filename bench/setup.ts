/**
 * Before measuring, prove the harness speaks to the real product: a few users sign up through
 * next-auth (the scrypt path the bulk-loaded users skip), one starts and submits an action
 * through the API, a minted session cookie is accepted, and the Redis boards the app built
 * from the seeded database (all time, today, this week) match Postgres.
 */
import { randomBytes } from "node:crypto";

import type { Redis as IORedis } from "ioredis";
import type postgres from "postgres";

import { BOARD_WINDOWS, parsePeriod, type BoardWindow } from "../src/lib/board-windows";
import { scopeAt } from "../src/server/board/types";
import { rankingOf } from "../src/server/redis/board-store";
import { redisKeys } from "../src/server/redis/keys";
import { ScoreboardClient } from "../test/support/client";
import { deleteKeys, type TestEnv } from "../test/support/services";
import type { BenchUser } from "./seed";

const SIGN_UPS = 3;
const BOARD_BUILD_TIMEOUT_MS = 10 * 60 * 1000;
const BOARD_READY_POLL_MS = 250;

export async function checkRealPaths(origin: string, mintedUser: BenchUser) {
  for (let i = 0; i < SIGN_UPS; i++) {
    const client = new ScoreboardClient(origin);
    const username = `bench_signup_${randomBytes(4).toString("hex")}`;
    await client.signIn({ username, password: randomBytes(12).toString("base64url"), intent: "signup" });
    if (i > 0) continue;
    // DAILY_BONUS may be submitted at once (no minimum time), through the real start → submit path.
    const action = await client.mutate("action.start", { actionType: "DAILY_BONUS" });
    const result = await client.mutate("score.submit", { actionId: action.actionId, token: action.token });
    if (result.delta !== 50 || result.replayed) throw new Error(`submit through the API: unexpected ${JSON.stringify(result)}`);
  }
  const minted = new ScoreboardClient(origin, { headers: { cookie: mintedUser.cookie } });
  const me = await minted.query("leaderboard.me");
  if (me.userId !== mintedUser.id) throw new Error(`a minted session cookie was not accepted: ${JSON.stringify(me)}`);
}

/**
 * Has the app (re)build its Redis boards from Postgres — its own recovery path: a read finds a
 * board not built and starts a rebuild — and waits until each window's current board (all time,
 * today, this week) is ready. `clear` first deletes every key of the boards (all time's and every
 * period's, by SCAN on their common prefix), as a Redis flush would, so rows bulk-loaded since the
 * last build are picked up. (Deleting only the ready marks is not enough: the instances answer
 * reads from memory while a board's version stays the same, and a flush is what changes it.)
 */
export async function buildBoard(origin: string, env: TestEnv, redis: IORedis, options: { clear: boolean }) {
  const keys = redisKeys(env.REDIS_KEY_PREFIX).board;
  // `<prefix>board:v2:names` → `<prefix>board:v2:`, the prefix of every board key.
  if (options.clear) await deleteKeys(keys.names.slice(0, keys.names.lastIndexOf(":") + 1));
  for (const window of BOARD_WINDOWS) await waitForBoard(origin, redis, window, () => rankingOf(keys, scopeAt(window, Date.now())).keys.ready);
}

async function waitForBoard(origin: string, redis: IORedis, window: BoardWindow, readyKey: () => string) {
  const client = new ScoreboardClient(origin);
  const deadline = Date.now() + BOARD_BUILD_TIMEOUT_MS;
  // A read starts a rebuild unless one runs (and another if one failed, e.g. on a lock). It is
  // not waited for: while a large board is rebuilt it may not answer before its timeout (each
  // batch the rebuild writes is a change the instance reads again before answering), so one is
  // sent whenever none is out, and a failed one only noted.
  let trigger: Promise<void> | null = null;
  let lastFailure: string | null = null;
  while ((await redis.exists(readyKey())) === 0) {
    if (Date.now() > deadline) throw new Error(`the app did not build its Redis board (${window}) in time${lastFailure ? ` (the last read: ${lastFailure})` : ""}`);
    trigger ??= client
      .query("leaderboard.top", { limit: 10, window })
      .then(
        () => {},
        (error: Error) => void (lastFailure = error.message),
      )
      .finally(() => (trigger = null));
    // Nothing announces the ready mark (no keyspace events on a shared Redis): it is polled.
    await new Promise((resolve) => setTimeout(resolve, BOARD_READY_POLL_MS));
  }
  await trigger;
}

/** Each window's top 10 from the app (Redis) must equal Postgres's, in the spec's order. */
export async function checkBoardMatchesDatabase(origin: string, sql: postgres.Sql) {
  for (const window of BOARD_WINDOWS) {
    const board = await new ScoreboardClient(origin).query("leaderboard.top", { limit: 10, window });
    // The period the app answered for (a day, or an ISO week from its Monday).
    const periodStart = window === "all" ? null : parsePeriod(window, board.period!)!.startsAt.toISOString().slice(0, 10);
    const rows =
      window === "all"
        ? await sql<{ user_id: string; score: string }[]>`
            select s.user_id, s.score from scores s join users u on u.id = s.user_id
            where not u.hidden and not u.banned
            order by s.score desc, s.reached_at asc, s.user_id desc limit 10`
        : await sql<{ user_id: string; score: string }[]>`
            select w.user_id, w.score from window_scores w join users u on u.id = w.user_id
            where w.board_window = ${window} and w.period_start = ${periodStart}::date
              and not u.hidden and not u.banned
            order by w.score desc, w.reached_at asc, w.user_id desc limit 10`;
    const fromRedis = board.entries.map((entry) => `${entry.userId}:${entry.score}`).join(",");
    const fromDatabase = rows.map((row) => `${row.user_id}:${row.score}`).join(",");
    if (fromRedis !== fromDatabase) throw new Error(`the Redis board (${window}) differs from Postgres:\n  redis: ${fromRedis}\n  pg:    ${fromDatabase}`);
    if (board.entries.length === 0) throw new Error(`the board (${window}) is empty: the bench seeds every window`);
  }
}
