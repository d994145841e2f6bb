/**
 * Scenario 2b — the score write two ways, straight against Postgres: the single prepared statement
 * against the typed Drizzle transaction (`select … for update`, the checks, the insert, the
 * update, the window rows), the same change for the same users through the same pool, from a
 * worker process (bench/score-write-compare.ts). Rounds alternate the order (ABBA), so a drift of
 * the machine falls on both alike; each row is the median round, its note lists every round.
 */
import path from "node:path";

import type { ScoreWriteImplementation, ScoreWriteJob, ScoreWriteResult } from "../score-write-compare";
import { benchUserId } from "../seed";
import { startWorker, type Worker } from "../worker";
import { report, type BenchContext, type ResultRow } from "./context";

export const SCORE_WRITE = "score write (direct to Postgres)";
/** Unmeasured seconds before each round's measured ones. */
export const SCORE_WRITE_WARMUP_SECONDS = 1;
/** Marks the audit rows this comparison wrote. */
const USER_AGENT = "bench-score-write";

export async function statementVsTransactionScenario(ctx: BenchContext) {
  const worker = startWorker(path.resolve("bench/score-write-compare.ts"));
  try {
    for (const concurrency of ctx.options.scoreWriteClients) {
      const rounds = await alternatingRounds(ctx, worker, ["statement", "transaction"], concurrency, (implementation) => ({
        databaseUrl: ctx.env.DATABASE_URL,
        implementation,
        concurrency,
        warmupSeconds: SCORE_WRITE_WARMUP_SECONDS,
        seconds: ctx.options.scoreWriteSeconds,
        kind: "anchor",
        users: ctx.options.anchorUsers,
        userAgent: USER_AGENT,
      }));
      const statement = medianRound(rounds.get("statement")!);
      const transaction = medianRound(rounds.get("transaction")!);
      report(ctx, roundsRow(SCORE_WRITE, `statement, ${concurrency} in flight`, concurrency, statement, rounds.get("statement")!));
      const transactionRow = roundsRow(SCORE_WRITE, `transaction, ${concurrency} in flight`, concurrency, transaction, rounds.get("transaction")!);
      report(ctx, {
        ...transactionRow,
        anchor: { name: `${SCORE_WRITE}, statement, ${concurrency} in flight`, throughput: statement.throughput },
        ratio: transaction.throughput / statement.throughput,
        note: `${transactionRow.note}; ${separation(rounds, "statement", "transaction")}`,
      });
    }
  } finally {
    await worker.stop();
  }
  await checkLedger(ctx);
}

/**
 * `scoreWriteRounds` rounds of two implementations at one concurrency, alternating which goes
 * first (ABBA); every round's result per implementation.
 */
export async function alternatingRounds(
  ctx: BenchContext,
  worker: Worker,
  implementations: [ScoreWriteImplementation, ScoreWriteImplementation],
  concurrency: number,
  job: (implementation: ScoreWriteImplementation) => ScoreWriteJob,
) {
  const rounds = new Map<ScoreWriteImplementation, ScoreWriteResult[]>(implementations.map((implementation) => [implementation, []]));
  for (let round = 0; round < ctx.options.scoreWriteRounds; round++) {
    const order = round % 2 === 0 ? implementations : [...implementations].reverse();
    for (const implementation of order) {
      ctx.progress.detail(`${implementation}, ${concurrency} in flight, round ${round + 1} of ${ctx.options.scoreWriteRounds}`);
      rounds.get(implementation)!.push(await worker.request<ScoreWriteResult>(job(implementation)));
    }
  }
  return rounds;
}

/** A row of the median round, with every round in its note. */
export function roundsRow(scenario: string, variant: string, concurrency: number, median: ScoreWriteResult, all: ScoreWriteResult[]): ResultRow {
  const outcomes = Object.entries(median.outcomes)
    .filter(([outcome]) => outcome !== "applied")
    .map(([outcome, count]) => `${count}× ${outcome}`);
  const perRound = all.map((round) => `${Math.round(round.throughput).toLocaleString("en")}/s p50 ${round.latency.p50.toFixed(2)} p99 ${round.latency.p99.toFixed(2)} ms`);
  return {
    scenario,
    variant,
    clients: concurrency,
    throughput: median.throughput,
    latency: median.latency,
    errors: median.errors,
    generatorCpuPercent: median.generatorCpuPercent,
    machineCpuMsPerCall: pooledMachineCpu(all),
    note: [`rounds: ${perRound.join(" · ")}`, ...(outcomes.length > 0 ? [`not applied: ${outcomes.join(", ")}`] : [])].join("; "),
  };
}

/** The machine's CPU per call over all rounds together (each round weighted by its calls), in ms. */
export function pooledMachineCpu(rounds: ScoreWriteResult[]) {
  const calls = rounds.reduce((sum, round) => sum + round.throughput, 0);
  return rounds.reduce((sum, round) => sum + round.machineCpuMsPerCall * round.throughput, 0) / calls;
}

/** The round with the median throughput (the lower middle one for an even count). */
export function medianRound(rounds: ScoreWriteResult[]) {
  return [...rounds].sort((a, b) => a.throughput - b.throughput)[Math.floor((rounds.length - 1) / 2)]!;
}

/** Whether one implementation beat the other in every round: its slowest round above the other's fastest. */
export function separation(
  rounds: Map<ScoreWriteImplementation, ScoreWriteResult[]>,
  a: ScoreWriteImplementation,
  b: ScoreWriteImplementation,
  name: (implementation: ScoreWriteImplementation) => string = (implementation) => `the ${implementation}`,
) {
  const range = (results: ScoreWriteResult[]) => {
    const values = results.map((result) => result.throughput);
    return { low: Math.min(...values), high: Math.max(...values) };
  };
  const first = range(rounds.get(a)!);
  const second = range(rounds.get(b)!);
  if (first.low > second.high) return `${name(a)} was faster in every round (its slowest ${(first.low / second.high).toFixed(2)}× ${name(b)}'s fastest)`;
  if (second.low > first.high) return `${name(b)} was faster in every round (its slowest ${(second.low / first.high).toFixed(2)}× ${name(a)}'s fastest)`;
  return "the rounds overlap: no difference beyond run-to-run noise";
}

/**
 * Both implementations must keep the ledger: every anchor user's score is the sum of their audit
 * deltas, and so is each of their day and ISO-week scores, over that period's audit rows.
 */
async function checkLedger(ctx: BenchContext) {
  const [first, last] = [benchUserId("anchor", 1), benchUserId("anchor", ctx.options.anchorUsers)];
  const [result] = await ctx.sql<{ users: number; periods: number; written: number }[]>`
    select
      (select count(*)::int from scores s
        where s.user_id between ${first} and ${last}
          and s.score <> coalesce((select sum(delta) from score_actions a where a.user_id = s.user_id), 0)) as users,
      (select count(*)::int from (
        select p.board_window, date_trunc(p.board_window, a.created_at at time zone 'UTC')::date as period_start, a.user_id, sum(a.delta) as score
        from score_actions a cross join (values ('day'), ('week')) as p(board_window)
        where a.user_id between ${first} and ${last}
        group by 1, 2, 3) audit
        full join (select * from window_scores where user_id between ${first} and ${last}) w using (board_window, period_start, user_id)
        where w.score is distinct from audit.score) as periods,
      (select count(*)::int from score_actions where user_agent = ${USER_AGENT}) as written`;
  if (result!.users > 0) throw new Error(`${result!.users} anchor users' scores differ from the sum of their audit rows`);
  if (result!.periods > 0) throw new Error(`${result!.periods} anchor users' day or week scores differ from the sum of that period's audit rows`);
  ctx.progress.log(`  ${SCORE_WRITE}: ledger holds (${result!.written.toLocaleString("en")} audit rows written, every score and day and week score = sum of its deltas)`);
}
