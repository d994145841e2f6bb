/**
 * What the day and week boards cost a submit (issue 17: "a submit with three windows costs at most
 * 1.1× what it cost with one"): the submit's write path — the Postgres statement, then the one
 * Redis script after commit, which are what the windows add to — the app's way (the statement
 * with its window rows, APPLY to all time, today and this week) against the same path with the
 * all-time board only (bench/all-time-baseline.ts: the statement without its window rows, APPLY
 * to all time). Same worker, pool, bridge, users and concurrency, in alternating rounds (ABBA);
 * each row is the median round. The cost ratio is the all-time-only rate ÷ the app's; beside it,
 * the ratio of the machine's CPU per call (every process: Postgres, Redis, the bridge, the worker),
 * every round pooled. That CPU difference is what the day and week boards add to one submit:
 * bench/targets.ts holds it against a whole submit's CPU (score.submit, same run).
 *
 * The writes go to hidden users only this scenario touches, and to a Redis board of its own;
 * afterwards both ledgers are checked: Postgres (every score and window score = the sum of its
 * audit deltas) and Redis (each board = Postgres).
 */
import path from "node:path";

import { periodAt, type PeriodWindow } from "../../src/lib/board-windows";
import { ALL_TIME } from "../../src/server/board/types";
import { boardMemberUserId, rankingOf } from "../../src/server/redis/board-store";
import { redisKeys } from "../../src/server/redis/keys";
import type { ScoreWriteImplementation, ScoreWriteResult } from "../score-write-compare";
import type { LatencySummary } from "../stats";
import { benchUserId } from "../seed";
import { startWorker } from "../worker";
import { report, type BenchContext, type ResultRow } from "./context";
import { anchorKeyPrefix } from "./redis";
import { alternatingRounds, medianRound, roundsRow, SCORE_WRITE_WARMUP_SECONDS, separation } from "./statement-vs-transaction";

export const WINDOW_COST = "window cost (submit write path)";
export const THREE_BOARDS = "statement" satisfies ScoreWriteImplementation;
export const ALL_TIME_ONLY = "all time only" satisfies ScoreWriteImplementation;
export const windowCostVariant = (implementation: ScoreWriteImplementation, concurrency: number) =>
  `${implementation === THREE_BOARDS ? "three boards (the app)" : "all time only (baseline)"}, ${concurrency} in flight`;

/** Marks the audit rows each side wrote (the all-time-only side writes no window rows). */
const USER_AGENTS: Record<string, string> = { [THREE_BOARDS]: "bench-window-cost-three", [ALL_TIME_ONLY]: "bench-window-cost-one" };

/** This scenario's Redis board, under the anchors' prefix (deleted at the end of the run). */
const keyPrefix = (ctx: BenchContext) => `${anchorKeyPrefix(ctx.env)}window-cost:`;

export async function windowCostScenario(ctx: BenchContext) {
  const worker = startWorker(path.resolve("bench/score-write-compare.ts"));
  try {
    for (const concurrency of ctx.options.windowCostClients) {
      const rounds = await alternatingRounds(ctx, worker, [ALL_TIME_ONLY, THREE_BOARDS], concurrency, (implementation) => ({
        databaseUrl: ctx.env.DATABASE_URL,
        implementation,
        concurrency,
        warmupSeconds: SCORE_WRITE_WARMUP_SECONDS,
        seconds: ctx.options.scoreWriteSeconds,
        kind: "window",
        users: ctx.options.anchorUsers,
        userAgent: USER_AGENTS[implementation]!,
        publish: { bridgeUrl: ctx.env.UPSTASH_REDIS_REST_URL, bridgeToken: ctx.env.UPSTASH_REDIS_REST_TOKEN, keyPrefix: keyPrefix(ctx) },
      }));
      const one = medianRound(rounds.get(ALL_TIME_ONLY)!);
      const three = medianRound(rounds.get(THREE_BOARDS)!);
      const oneRow = roundsRow(WINDOW_COST, windowCostVariant(ALL_TIME_ONLY, concurrency), concurrency, one, rounds.get(ALL_TIME_ONLY)!);
      report(ctx, { ...oneRow, note: `${cpu(oneRow)}; ${parts(one)}; ${oneRow.note}` });
      const threeRow = roundsRow(WINDOW_COST, windowCostVariant(THREE_BOARDS, concurrency), concurrency, three, rounds.get(THREE_BOARDS)!);
      const names = (implementation: ScoreWriteImplementation) => (implementation === THREE_BOARDS ? "three boards" : "all time only");
      report(ctx, {
        ...threeRow,
        anchor: { name: `${WINDOW_COST}, ${oneRow.variant}`, throughput: one.throughput },
        ratio: three.throughput / one.throughput,
        note: `cost ${(one.throughput / three.throughput).toFixed(2)}× all time only's by rate, ${(threeRow.machineCpuMsPerCall! / oneRow.machineCpuMsPerCall!).toFixed(2)}× by ${cpu(threeRow)}; ${parts(three)}; ${threeRow.note}; ${separation(rounds, ALL_TIME_ONLY, THREE_BOARDS, names)}`,
      });
    }
  } finally {
    await worker.stop();
  }
  await checkLedgers(ctx);
}

/** The machine's CPU per call, every round pooled. */
function cpu(row: ResultRow) {
  return `machine CPU ${row.machineCpuMsPerCall!.toFixed(3)} ms per call`;
}

/** Where a call's time went: the Postgres write and the Redis script (p50 and mean, ms). */
function parts(result: ScoreWriteResult) {
  if (!result.parts) return "";
  const part = (name: string, latency: LatencySummary) => `${name} p50 ${latency.p50.toFixed(2)} mean ${latency.mean.toFixed(2)} ms`;
  return `${part("Postgres", result.parts.database)}, ${part("Redis", result.parts.redis)}`;
}

/**
 * Both sides kept Postgres exact — every user's score = the sum of their audit deltas, and each
 * day and week score = the sum of that period's deltas written by the app's side (the baseline
 * writes none) — and Redis equal to Postgres: all time holds every user's score, each period's
 * board the window scores of that period.
 */
async function checkLedgers(ctx: BenchContext) {
  const [first, last] = [benchUserId("window", 1), benchUserId("window", ctx.options.anchorUsers)];
  const [ledger] = await ctx.sql<{ users: number; periods: number; written: number }[]>`
    select
      (select count(*)::int from scores s
        where s.user_id between ${first} and ${last}
          and s.score <> coalesce((select sum(delta) from score_actions a where a.user_id = s.user_id), 0)) as users,
      (select count(*)::int from (
        select p.board_window, date_trunc(p.board_window, a.created_at at time zone 'UTC')::date as period_start, a.user_id, sum(a.delta) as score
        from score_actions a cross join (values ('day'), ('week')) as p(board_window)
        where a.user_id between ${first} and ${last} and a.user_agent = ${USER_AGENTS[THREE_BOARDS]!}
        group by 1, 2, 3) audit
        full join (select * from window_scores where user_id between ${first} and ${last}) w using (board_window, period_start, user_id)
        where w.score is distinct from audit.score) as periods,
      (select count(*)::int from score_actions where user_agent in ${ctx.sql(Object.values(USER_AGENTS))}) as written`;
  if (ledger!.users > 0) throw new Error(`${WINDOW_COST}: ${ledger!.users} users' scores differ from the sum of their audit rows`);
  if (ledger!.periods > 0) throw new Error(`${WINDOW_COST}: ${ledger!.periods} users' day or week scores differ from the sum of that period's audit rows`);

  const keys = redisKeys(keyPrefix(ctx)).board;
  const allTime = await ctx.sql<{ user_id: string; score: string }[]>`
    select user_id, score::text from scores where user_id between ${first} and ${last}
      and exists (select 1 from score_actions a where a.user_id = scores.user_id)`;
  let differences = await compareRanking(ctx, rankingOf(keys, ALL_TIME).keys.ranking, allTime);
  const periods = await ctx.sql<{ board_window: PeriodWindow; period_start: string }[]>`
    select distinct board_window, period_start::text from window_scores where user_id between ${first} and ${last}`;
  for (const { board_window: window, period_start: start } of periods) {
    const period = periodAt(window, Date.parse(`${start}T00:00:00Z`));
    const rows = await ctx.sql<{ user_id: string; score: string }[]>`
      select user_id, score::text from window_scores
      where board_window = ${window} and period_start = ${start}::date and user_id between ${first} and ${last}`;
    differences += await compareRanking(ctx, rankingOf(keys, { window, period }).keys.ranking, rows);
  }
  if (differences > 0) throw new Error(`${WINDOW_COST}: ${differences} users' scores on its Redis boards differ from Postgres`);
  ctx.progress.log(
    `  ${WINDOW_COST}: ledgers hold (${ledger!.written.toLocaleString("en")} audit rows written; every score and day and week score = sum of its deltas; ${periods.length + 1} Redis boards = Postgres)`,
  );
}

/** How many users' scores on a Redis ranking differ from these rows (or are on one side only). */
async function compareRanking(ctx: BenchContext, ranking: string, rows: { user_id: string; score: string }[]) {
  const members = await ctx.redis.zrange(ranking, 0, -1, "WITHSCORES");
  const inRedis = new Map<string, string>();
  for (let i = 0; i < members.length; i += 2) inRedis.set(boardMemberUserId(members[i]!), members[i + 1]!);
  const inPostgres = new Map(rows.map((row) => [row.user_id, row.score]));
  let differences = 0;
  for (const userId of new Set([...inRedis.keys(), ...inPostgres.keys()])) if (inRedis.get(userId) !== inPostgres.get(userId)) differences++;
  return differences;
}
