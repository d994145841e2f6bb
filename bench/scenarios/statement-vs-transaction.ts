/**
 * Scenario 2b — the score write two ways, straight against Postgres: the single prepared statement
 * against the typed Drizzle transaction (`select … for update`, the checks, the insert, the
 * update), the same change for the same users through the same pool, from a worker process
 * (bench/score-write-compare.ts). Rounds alternate the order (ABBA), so a drift of the machine
 * falls on both alike; each row is the median round, its note lists every round.
 */
import path from "node:path";

import type { ScoreWriteImplementation, ScoreWriteJob, ScoreWriteResult } from "../score-write-compare";
import { benchUserId } from "../seed";
import { startWorker } from "../worker";
import { report, type BenchContext, type ResultRow } from "./context";

export const SCORE_WRITE = "score write (direct to Postgres)";
const IMPLEMENTATIONS: ScoreWriteImplementation[] = ["statement", "transaction"];
const WARMUP_SECONDS = 1;
/** Marks the audit rows this comparison wrote. */
const USER_AGENT = "bench-score-write";

export async function statementVsTransactionScenario(ctx: BenchContext) {
  const worker = startWorker(path.resolve("bench/score-write-compare.ts"));
  try {
    for (const concurrency of ctx.options.scoreWriteClients) {
      const rounds: Record<ScoreWriteImplementation, ScoreWriteResult[]> = { statement: [], transaction: [] };
      for (let round = 0; round < ctx.options.scoreWriteRounds; round++) {
        const order = round % 2 === 0 ? IMPLEMENTATIONS : [...IMPLEMENTATIONS].reverse();
        for (const implementation of order) {
          ctx.progress.detail(`${implementation}, ${concurrency} in flight, round ${round + 1} of ${ctx.options.scoreWriteRounds}`);
          const job: ScoreWriteJob = {
            databaseUrl: ctx.env.DATABASE_URL,
            implementation,
            concurrency,
            warmupSeconds: WARMUP_SECONDS,
            seconds: ctx.options.scoreWriteSeconds,
            users: ctx.options.anchorUsers,
            userAgent: USER_AGENT,
          };
          rounds[implementation].push(await worker.request<ScoreWriteResult>(job));
        }
      }
      const statement = medianRound(rounds.statement);
      const transaction = medianRound(rounds.transaction);
      report(ctx, row("statement", concurrency, statement, rounds.statement));
      const transactionRow = row("transaction", concurrency, transaction, rounds.transaction);
      report(ctx, {
        ...transactionRow,
        anchor: { name: `${SCORE_WRITE}, statement, ${concurrency} in flight`, throughput: statement.throughput },
        ratio: transaction.throughput / statement.throughput,
        note: `${transactionRow.note}; ${separation(rounds)}`,
      });
    }
  } finally {
    await worker.stop();
  }
  await checkLedger(ctx);
}

function row(implementation: ScoreWriteImplementation, concurrency: number, median: ScoreWriteResult, all: ScoreWriteResult[]): ResultRow {
  const outcomes = Object.entries(median.outcomes)
    .filter(([outcome]) => outcome !== "applied")
    .map(([outcome, count]) => `${count}× ${outcome}`);
  const perRound = all.map((round) => `${Math.round(round.throughput).toLocaleString("en")}/s p50 ${round.latency.p50.toFixed(2)} p99 ${round.latency.p99.toFixed(2)} ms`);
  return {
    scenario: SCORE_WRITE,
    variant: `${implementation}, ${concurrency} in flight`,
    clients: concurrency,
    throughput: median.throughput,
    latency: median.latency,
    errors: median.errors,
    generatorCpuPercent: median.generatorCpuPercent,
    note: [`rounds: ${perRound.join(" · ")}`, ...(outcomes.length > 0 ? [`not applied: ${outcomes.join(", ")}`] : [])].join("; "),
  };
}

/** The round with the median throughput (the lower middle one for an even count). */
function medianRound(rounds: ScoreWriteResult[]) {
  return [...rounds].sort((a, b) => a.throughput - b.throughput)[Math.floor((rounds.length - 1) / 2)]!;
}

/** Whether one implementation beat the other in every round: its slowest round above the other's fastest. */
function separation(rounds: Record<ScoreWriteImplementation, ScoreWriteResult[]>) {
  const range = (results: ScoreWriteResult[]) => {
    const values = results.map((result) => result.throughput);
    return { low: Math.min(...values), high: Math.max(...values) };
  };
  const statement = range(rounds.statement);
  const transaction = range(rounds.transaction);
  if (statement.low > transaction.high) return `the statement was faster in every round (its slowest ${(statement.low / transaction.high).toFixed(2)}× the transaction's fastest)`;
  if (transaction.low > statement.high) return `the transaction was faster in every round (its slowest ${(transaction.low / statement.high).toFixed(2)}× the statement's fastest)`;
  return "the rounds overlap: no difference beyond run-to-run noise";
}

/** Both implementations must keep the ledger: every anchor user's score is the sum of their audit deltas. */
async function checkLedger(ctx: BenchContext) {
  const [first, last] = [benchUserId("anchor", 1), benchUserId("anchor", ctx.options.anchorUsers)];
  const [result] = await ctx.sql<{ users: number; written: number }[]>`
    select
      (select count(*)::int from scores s
        where s.user_id between ${first} and ${last}
          and s.score <> coalesce((select sum(delta) from score_actions a where a.user_id = s.user_id), 0)) as users,
      (select count(*)::int from score_actions where user_agent = ${USER_AGENT}) as written`;
  if (result!.users > 0) throw new Error(`${result!.users} anchor users' scores differ from the sum of their audit rows`);
  ctx.progress.log(`  ${SCORE_WRITE}: ledger holds (${result!.written.toLocaleString("en")} audit rows written, every score = sum of its deltas)`);
}
