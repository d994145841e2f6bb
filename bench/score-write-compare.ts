/**
 * The score write's two implementations, driven straight against Postgres (no HTTP, no Redis) by a
 * worker process (see worker.ts): `concurrency` submitters in a closed loop, each recording a
 * COMPLETE_TASK for the next anchor user in turn, through a pool configured as the app's
 * (src/server/db/connection.ts). See scenarios/statement-vs-transaction.ts.
 */
import { randomUUID } from "node:crypto";

import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";

import type { Database } from "../src/server/db";
import { databaseClientConfig } from "../src/server/db/connection";
import * as schema from "../src/server/db/schema";
import { ACTION_RULES } from "../src/server/scoring/rules";
import { recordScoreChange, type RecordedChange, type ScoreChange } from "../src/server/scoring/score-service";
import { benchUserId } from "./seed";
import { countError, cpuPercent, Samples, type LoadResult } from "./stats";
import { recordByTransaction } from "./transaction-baseline";
import { serveRequests } from "./worker";

/** The app's single statement, and the transaction it was chosen over (transaction-baseline.ts). */
const SCORE_WRITES = {
  statement: recordScoreChange,
  transaction: recordByTransaction,
} satisfies Record<string, (db: Database, change: ScoreChange) => Promise<RecordedChange>>;
export type ScoreWriteImplementation = keyof typeof SCORE_WRITES;

export type ScoreWriteJob = {
  databaseUrl: string;
  implementation: ScoreWriteImplementation;
  concurrency: number;
  warmupSeconds: number;
  seconds: number;
  /** Anchor users 1..users take the writes in turn. */
  users: number;
  /** Marks the audit rows written. */
  userAgent: string;
};

export type ScoreWriteResult = LoadResult & {
  /** How the measured calls came out (`applied`, `cap-reached`, …). */
  outcomes: Record<string, number>;
};

const rule = ACTION_RULES.COMPLETE_TASK;

/** One pool for the worker's life, like an app instance's. */
let pool: Database | null = null;

function database(url: string) {
  if (!pool) {
    const config = databaseClientConfig(url, { serverless: false });
    pool = drizzle(postgres(config.url, config.options), { schema });
  }
  return pool;
}

let nextUser = 0;

async function runScoreWrites(job: ScoreWriteJob): Promise<ScoreWriteResult> {
  const db = database(job.databaseUrl);
  const record = SCORE_WRITES[job.implementation];
  const samples = new Samples();
  const errors: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  const started = performance.now();
  const measureFrom = started + job.warmupSeconds * 1000;
  const measureUntil = measureFrom + job.seconds * 1000;
  let cpuBefore: NodeJS.CpuUsage | null = null;
  await Promise.all(
    Array.from({ length: job.concurrency }, async () => {
      for (let sent = performance.now(); sent < measureUntil; sent = performance.now()) {
        cpuBefore ??= sent >= measureFrom ? process.cpuUsage() : null;
        nextUser = (nextUser % job.users) + 1;
        const change = {
          userId: benchUserId("anchor", nextUser),
          actionId: randomUUID(),
          actionType: "COMPLETE_TASK" as const,
          delta: rule.delta,
          cap: rule.cap,
          actorId: null,
          metadata: { issuedAt: new Date().toISOString() },
          ip: "127.0.0.1",
          userAgent: job.userAgent,
        };
        let outcome: string;
        try {
          outcome = (await record(db, change)).kind;
        } catch (error) {
          outcome = "error";
          countError(errors, error);
        }
        // Like pgbench's window: the calls that completed in it.
        const done = performance.now();
        if (done < measureFrom || done > measureUntil) continue;
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        if (outcome !== "error") samples.add(done - sent);
      }
    }),
  );
  const cpu = process.cpuUsage(cpuBefore ?? undefined);
  return {
    throughput: samples.count / job.seconds,
    latency: samples.summary(),
    errors,
    outcomes,
    generatorCpuPercent: cpuPercent(cpu, job.seconds * 1000),
  };
}

serveRequests(runScoreWrites);
