/** What every scenario gets from the orchestrator (bench/run.ts), and the rows they report. */
import type { Redis as IORedis } from "ioredis";
import type postgres from "postgres";

import type { TestEnv } from "../../test/support/services";
import type { BenchUser, HttpJob, LoadResult } from "../load";
import type { BenchOptions } from "../options";
import { cpuSeconds } from "../proc";
import type { Progress } from "../progress";
import type { LatencySummary } from "../stats";
import type { Worker } from "../worker";

export type RunningApp = { url: string; port: number; pid: number; stop(): Promise<void> };

export type BenchContext = {
  options: BenchOptions;
  env: TestEnv;
  /** Two instances of the production build on the same services. */
  apps: [RunningApp, RunningApp];
  sql: postgres.Sql;
  redis: IORedis;
  /** The closed-loop generator (bench/load.ts). */
  load: Worker;
  progress: Progress;
  /** Signed-in users the submit scenario drives. */
  boardUsers: BenchUser[];
  /** The key action tokens are signed with (the app's, derived from AUTH_SECRET). */
  tokenKey: Buffer;
  results: ResultRow[];
};

/** One line of the results table. */
export type ResultRow = {
  scenario: string;
  /** What varies within the scenario: client count, board size, subscriber count. */
  variant: string;
  clients?: number;
  throughput?: number;
  latency?: LatencySummary;
  errors?: Record<string, number>;
  generatorCpuPercent?: number;
  serverCpuPercent?: number;
  /** The limit this row is compared with, measured in the same run. */
  anchor?: { name: string; throughput: number };
  ratio?: number;
  rssMiB?: number[];
  note?: string;
};

/**
 * Runs a closed loop of `clients` against the first instance, with the run's warm-up and step
 * length, and reports it with the server's own CPU over the same measured window (sampled when
 * the generator says the window starts and ends).
 */
export async function runHttpLoad(ctx: BenchContext, clients: number, request: HttpJob["request"]): Promise<LoadResult & { serverCpuPercent: number }> {
  const [app] = ctx.apps;
  const job: HttpJob = {
    kind: "http",
    origin: app.url,
    concurrency: clients,
    warmupMs: ctx.options.warmupSeconds * 1000,
    durationMs: ctx.options.stepSeconds * 1000,
    request,
  };
  let cpuAtStart = 0;
  let cpuAtEnd: Promise<number> | null = null;
  ctx.load.onNotice((notice) => {
    if (notice.notice === "window-start") void cpuSeconds(app.pid).then((value) => (cpuAtStart = value));
    if (notice.notice === "window-end") cpuAtEnd = cpuSeconds(app.pid);
  });
  const result = await ctx.load.request<LoadResult>(job);
  const used = (await (cpuAtEnd ?? cpuSeconds(app.pid))) - cpuAtStart;
  return { ...result, serverCpuPercent: (used / (job.durationMs / 1000)) * 100 };
}

export function describeErrors(errors: Record<string, number> | undefined) {
  const entries = Object.entries(errors ?? {});
  return entries.length === 0 ? "" : entries.map(([name, count]) => `${count}× ${name}`).join(", ");
}

/** A measured number (NaN from an empty sample set arrives as null over IPC). */
export function isMeasured(value: number | null | undefined): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

export function formatRow(row: ResultRow) {
  const latency = isMeasured(row.latency?.p50) ? `p50 ${row.latency.p50.toFixed(1)} p99 ${row.latency.p99.toFixed(1)} ms` : "";
  const throughput = row.throughput !== undefined ? `${Math.round(row.throughput)}/s` : "";
  const errors = describeErrors(row.errors);
  return `  ${row.scenario} ${row.variant}: ${[throughput, latency, errors, row.note].filter(Boolean).join(", ")}`;
}
