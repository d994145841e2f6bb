/** What every scenario gets from the orchestrator (bench/run.ts), and the rows they report. */
import type { Redis as IORedis } from "ioredis";
import type postgres from "postgres";

import type { TestEnv } from "../../test/support/services";
import type { BenchOptions } from "../options";
import { cpuSeconds, machineBusySeconds } from "../proc";
import type { Progress } from "../progress";
import type { RequestSource } from "../requests";
import type { BenchUser } from "../seed";
import type { LatencySummary } from "../stats";
import type { Worker } from "../worker";
import { runWrk, type WrkResult } from "../wrk";

export type RunningApp = { url: string; port: number; pid: number; stop(): Promise<void> };

export type BenchContext = {
  options: BenchOptions;
  env: TestEnv;
  /** Two instances of the production build on the same services. */
  apps: [RunningApp, RunningApp];
  sql: postgres.Sql;
  redis: IORedis;
  /** The bridge comparison's worker (bench/redis-compare.ts). */
  redisCompare: Worker;
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
  /** CPU the whole machine spent per successful call over the measured window, in ms (every process, load generator included). */
  machineCpuMsPerCall?: number;
  /** The limit this row is compared with, measured in the same run. */
  anchor?: { name: string; throughput: number };
  ratio?: number;
  rssMiB?: number[];
  /** Live rows: the board changes made, how many of them every open stream showed, and the share of (change, stream) events that arrived. */
  changes?: { made: number; shownOnEveryStream: number; eventsArrivedPercent: number };
  /** Memory rows: the instance's RSS growth per open stream. */
  kibPerStream?: number;
  /**
   * The page's reads (scenarios/page-reads.ts): the signed-in viewers, how often each refreshed
   * (sent a GET), and how often the page's schedule started a refresh (sent or not: an answer was
   * on its way), per viewer per second.
   */
  readers?: { viewers: number; refreshesPerViewerSecond: number; startedPerViewerSecond: number };
  note?: string;
};

/** Fresh requests are prepared for the warm-up as if the server answered this many a second: more than this stack reaches here. */
const WARMUP_PREPARED_RATE = 5_000;
/** …and for the measured run, this many times the warm-up's rate, or the floor (what wrk sends beyond them is counted as repeated). */
const PREPARED_HEADROOM = 3;
const PREPARED_RATE_FLOOR = 500;

/**
 * wrk against `target` at `connections`: an unmeasured warm-up, then the measured run, with the
 * server's own CPU over it. Throughput counts the answers that were not errors; a run that was
 * mostly errors reports none (its note says why), so it cannot pass for a measurement.
 */
export async function runWrkLoad(
  target: Pick<RunningApp, "url" | "pid">,
  load: { connections: number; warmupSeconds: number; seconds: number },
  source: RequestSource,
): Promise<Partial<ResultRow>> {
  const run = (seconds: number, rate: number) =>
    runWrk({
      origin: target.url,
      connections: load.connections,
      seconds,
      requests: source.kind === "same" ? [source.request] : source.make(Math.ceil(rate * seconds) + load.connections),
    });
  const warmup = await run(load.warmupSeconds, WARMUP_PREPARED_RATE);
  const warmupRate = Object.values(warmup.answers).reduce((sum, count) => sum + count, 0) / warmup.seconds;
  const [cpuBefore, machineBefore] = await Promise.all([cpuSeconds(target.pid), machineBusySeconds()]);
  const measured = await run(load.seconds, Math.max(warmupRate, PREPARED_RATE_FLOOR) * PREPARED_HEADROOM);
  const [cpuAfter, machineAfter] = await Promise.all([cpuSeconds(target.pid), machineBusySeconds()]);
  return wrkRow(measured, cpuAfter - cpuBefore, machineAfter - machineBefore, source.kind === "fresh");
}

function wrkRow(result: WrkResult, serverCpuSeconds: number, machineCpuSeconds: number, fresh: boolean): Partial<ResultRow> {
  const errors: Record<string, number> = {};
  let succeeded = 0;
  for (const [answer, count] of Object.entries(result.answers)) {
    if (Number.parseInt(answer, 10) < 400) succeeded += count;
    else errors[answer] = count;
  }
  for (const [cause, count] of Object.entries(result.socketErrors)) errors[`socket ${cause}`] = count;
  const failed = Object.values(errors).reduce((sum, count) => sum + count, 0);
  const mostlyErrors = failed > succeeded || succeeded === 0;
  const why = failed === 0 ? "no request was answered within the run" : `${failed.toLocaleString("en")} of ${(failed + succeeded).toLocaleString("en")} requests failed`;
  const note = [
    mostlyErrors ? `NOT A THROUGHPUT: ${why}` : "",
    fresh && result.repeated > 0 ? `${result.repeated.toLocaleString("en")} requests were sent twice (too few prepared): replays are in these figures` : "",
  ].filter(Boolean);
  return {
    ...(mostlyErrors ? {} : { throughput: succeeded / result.seconds }),
    latency: result.latency,
    errors,
    generatorCpuPercent: result.generatorCpuPercent,
    serverCpuPercent: (serverCpuSeconds / result.seconds) * 100,
    ...(succeeded > 0 ? { machineCpuMsPerCall: (machineCpuSeconds * 1000) / succeeded } : {}),
    ...(note.length > 0 ? { note: note.join("; ") } : {}),
  };
}

/** The anchor and ratio fields of a row measured against `anchor` (none when either has no throughput). */
export function compareWith(anchor: ResultRow | undefined, throughput: number | undefined): Pick<ResultRow, "anchor" | "ratio"> {
  if (!anchor?.throughput || throughput === undefined) return {};
  return { anchor: { name: `${anchor.scenario}, ${anchor.variant}`, throughput: anchor.throughput }, ratio: throughput / anchor.throughput };
}

/** Adds a row to the results and prints it as it comes. */
export function report(ctx: BenchContext, row: ResultRow) {
  ctx.results.push(row);
  ctx.progress.log(formatRow(row));
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
