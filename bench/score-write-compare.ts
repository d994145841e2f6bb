/**
 * The score write's implementations, driven straight against Postgres by a worker process (see
 * worker.ts): `concurrency` submitters in a closed loop, each recording a COMPLETE_TASK for the
 * next user of a kind in turn, through a pool configured as the app's
 * (src/server/db/connection.ts). With `publish`, each applied change is then written to Redis as
 * the app publishes it after commit (one APPLY script through @upstash/redis and the bridge, to a
 * board of the job's own): the submit's whole write path, each part timed.
 * See scenarios/statement-vs-transaction.ts and scenarios/window-cost.ts.
 */
import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";

import { Redis as UpstashRedis } from "@upstash/redis";
import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";

import type { Database } from "../src/server/db";
import { databaseClientConfig } from "../src/server/db/connection";
import * as schema from "../src/server/db/schema";
import { createBoardStore, type BoardStore } from "../src/server/redis/board-store";
import { redisKeys } from "../src/server/redis/keys";
import { ACTION_RULES } from "../src/server/scoring/rules";
import { recordScoreChange, type RecordedChange, type ScoreChange } from "../src/server/scoring/score-service";
import { recordAllTimeOnly } from "./all-time-baseline";
import { benchUserId, type UserKind } from "./seed";
import { machineBusySeconds } from "./proc";
import { countError, cpuPercent, Samples, type LatencySummary, type LoadResult } from "./stats";
import { recordByTransaction } from "./transaction-baseline";
import { serveRequests } from "./worker";

/**
 * The app's single statement; the transaction it was chosen over (transaction-baseline.ts); and
 * the statement as it was with the all-time board only (all-time-baseline.ts).
 */
const SCORE_WRITES = {
  statement: recordScoreChange,
  transaction: recordByTransaction,
  "all time only": recordAllTimeOnly,
} satisfies Record<string, (db: Database, change: ScoreChange) => Promise<RecordedChange>>;
export type ScoreWriteImplementation = keyof typeof SCORE_WRITES;

export type ScoreWriteJob = {
  databaseUrl: string;
  implementation: ScoreWriteImplementation;
  concurrency: number;
  warmupSeconds: number;
  seconds: number;
  /** Users 1..users of this kind take the writes in turn. */
  kind: UserKind;
  users: number;
  /** Marks the audit rows written. */
  userAgent: string;
  /** Publish each applied change to Redis after commit, through the bridge, under this key prefix. */
  publish?: { bridgeUrl: string; bridgeToken: string; keyPrefix: string };
};

export type ScoreWriteResult = LoadResult & {
  /** How the measured calls came out (`applied`, `cap-reached`, …). */
  outcomes: Record<string, number>;
  /** With `publish`: each part of the measured calls, the Postgres write and the Redis script. */
  parts?: { database: LatencySummary; redis: LatencySummary };
  /** CPU the whole machine spent per measured call, in ms (Postgres, Redis, the bridge, this worker: all of the write path's cost). */
  machineCpuMsPerCall: number;
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

/** The job's Redis board, one per key prefix (the script is loaded once per store). */
const stores = new Map<string, BoardStore>();

function boardStore(publish: NonNullable<ScoreWriteJob["publish"]>) {
  let store = stores.get(publish.keyPrefix);
  if (!store) {
    const upstash = new UpstashRedis({ url: publish.bridgeUrl, token: publish.bridgeToken, enableTelemetry: false, automaticDeserialization: false });
    stores.set(publish.keyPrefix, (store = createBoardStore(upstash, redisKeys(publish.keyPrefix).board)));
  }
  return store;
}

let nextUser = 0;

async function runScoreWrites(job: ScoreWriteJob): Promise<ScoreWriteResult> {
  const db = database(job.databaseUrl);
  const record = SCORE_WRITES[job.implementation];
  const store = job.publish ? boardStore(job.publish) : null;
  const samples = new Samples();
  const databaseSamples = new Samples();
  const redisSamples = new Samples();
  const errors: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  const started = performance.now();
  const measureFrom = started + job.warmupSeconds * 1000;
  const measureUntil = measureFrom + job.seconds * 1000;
  let cpuBefore: NodeJS.CpuUsage | null = null;
  // The machine's CPU over the measured window: read when it opens and when it closes.
  const machineAtStart = sleep(measureFrom - performance.now()).then(machineBusySeconds);
  const machineAtEnd = sleep(measureUntil - performance.now()).then(machineBusySeconds);
  await Promise.all(
    Array.from({ length: job.concurrency }, async () => {
      for (let sent = performance.now(); sent < measureUntil; sent = performance.now()) {
        cpuBefore ??= sent >= measureFrom ? process.cpuUsage() : null;
        nextUser = (nextUser % job.users) + 1;
        const change = {
          userId: benchUserId(job.kind, nextUser),
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
        let committed = sent;
        try {
          const recorded = await record(db, change);
          outcome = recorded.kind;
          committed = performance.now();
          if (store && recorded.kind === "applied") {
            // The bench users are hidden (off the app's boards); on this board of the job's own
            // they are written as the visible players whose submits this stands for.
            await store.apply(recorded.updates.map((update) => ({ ...update, writes: update.writes.map((write) => ({ ...write, visible: true })) })));
          }
        } catch (error) {
          outcome = "error";
          countError(errors, error);
        }
        // Like pgbench's window: the calls that completed in it.
        const done = performance.now();
        if (done < measureFrom || done > measureUntil) continue;
        outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        if (outcome === "error") continue;
        samples.add(done - sent);
        databaseSamples.add(committed - sent);
        if (store) redisSamples.add(done - committed);
      }
    }),
  );
  const cpu = process.cpuUsage(cpuBefore ?? undefined);
  const machineCpuSeconds = (await machineAtEnd) - (await machineAtStart);
  return {
    throughput: samples.count / job.seconds,
    machineCpuMsPerCall: samples.count > 0 ? (machineCpuSeconds * 1000) / samples.count : NaN,
    latency: samples.summary(),
    errors,
    outcomes,
    generatorCpuPercent: cpuPercent(cpu, job.seconds * 1000),
    ...(store ? { parts: { database: databaseSamples.summary(), redis: redisSamples.summary() } } : {}),
  };
}

serveRequests(runScoreWrites);
