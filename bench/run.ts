/**
 * `npm run bench` (full, under 10 minutes) and `npm run bench -- --quick` (about a minute; CI
 * runs it so the harness never rots, asserting nothing about speed). `--reuse-build` skips
 * `next build` of the app when .next/ holds one, and of the anchor app when bench/.anchors/ does.
 * `--only "window cost,page reads"` runs only those steps (the names its progress shows), for
 * working on one number; like `--quick`, it never rewrites bench/RESULTS.md.
 *
 * Starts the production build twice on services of its own (test/support/services.ts: a fresh
 * database, the bridge, a Redis key prefix) and the framework's anchor app (bench/anchor-app.ts),
 * seeds users, runs the scenarios in bench/scenarios and writes
 * bench/results/<timestamp>.{json,md,svg}, the targets first; a full run that finishes also
 * writes bench/RESULTS.md (bench/report.ts). Everything it started is stopped and everything it
 * wrote to Postgres and Redis is dropped, on failure and on Ctrl-C too.
 */
import { execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdirSync } from "node:fs";
import os from "node:os";
import path from "node:path";

import { Redis as IORedis } from "ioredis";
import postgres from "postgres";

import { actionTokenKey } from "../src/server/scoring/token";
import { deleteKeys, startTestServices } from "../test/support/services";
import { anchorAppBuilt, buildAnchorApp, startAnchorApp } from "./anchor-app";
import { parseOptions } from "./options";
import { Cleanups, raiseFileLimit, RESULTS_DIR, startApp } from "./harness";
import { Progress, type Step } from "./progress";
import { PUBLISHED_RESULTS, writeReport, type Machine } from "./report";
import { frameworkAnchorScenario } from "./scenarios/anchors";
import type { BenchContext, ResultRow, RunningApp } from "./scenarios/context";
import { DATABASE_ANCHOR, databaseAnchorScenario, databaseAnchorVariant } from "./scenarios/database";
import { createDrivers } from "./scenarios/drivers";
import { lowLoadLatencyScenario } from "./scenarios/latency";
import { liveScenario } from "./scenarios/live";
import { PAGE_READS_WARMUP_SECONDS, pageReadsScenario } from "./scenarios/page-reads";
import { anchorKeyPrefix, redisAnchorScenario } from "./scenarios/redis";
import { statementVsTransactionScenario } from "./scenarios/statement-vs-transaction";
import { SUBMIT, submitScenario } from "./scenarios/submit";
import { topReadsScenario } from "./scenarios/top";
import { windowCostScenario } from "./scenarios/window-cost";
import { benchUsers, seedUsers } from "./seed";
import { buildBoard, checkBoardMatchesDatabase, checkRealPaths } from "./setup";
import { evaluateTargets } from "./targets";
import { startWorker } from "./worker";
import { ensureWrk } from "./wrk";

const options = parseOptions(process.argv.slice(2));
const reuseBuild = options.reuseBuild && existsSync(".next/BUILD_ID");
const reuseAnchorBuild = (options.reuseBuild && anchorAppBuilt()) || (options.only !== null && !options.only.has("framework anchors"));
const startedAt = new Date();
const stamp = startedAt.toISOString().replace(/[:.]/g, "-");
const loadBefore = os.loadavg();
mkdirSync(RESULTS_DIR, { recursive: true });

/** A load step: warm-up, measured run, and wrk's start-up and the server's CPU samples around them. */
const loadStep = options.warmupSeconds + options.stepSeconds + 1;
const allSteps: Step[] = [
  { name: "services", expectedSeconds: reuseBuild ? 2 : 90 },
  { name: "seed and start", expectedSeconds: reuseAnchorBuild ? 10 : 40 },
  { name: "framework anchors", expectedSeconds: 2 + (1 + options.clientCounts.length) * loadStep },
  { name: "top reads, small board", expectedSeconds: 3 * loadStep },
  { name: "submit", expectedSeconds: options.clientCounts.length * loadStep },
  { name: "database anchor", expectedSeconds: options.clientCounts.length * loadStep },
  {
    name: "statement vs transaction",
    expectedSeconds: options.scoreWriteClients.length * options.scoreWriteRounds * 2 * (options.scoreWriteSeconds + 1) + 2,
  },
  { name: "window cost", expectedSeconds: options.windowCostClients.length * options.scoreWriteRounds * 2 * (options.scoreWriteSeconds + 1) + 2 },
  { name: "redis anchors", expectedSeconds: options.quick ? 4 : 30 },
  { name: "live latency, low load", expectedSeconds: options.lowLoadSubmits / options.lowLoadSubmitRate },
  {
    name: "live fan-out",
    expectedSeconds: options.liveSeconds + options.manyStreamsSeconds + (options.quick ? 4 : 8) + Math.max(...options.streamSteps) / (options.quick ? 100 : 400),
  },
  {
    name: "page reads",
    expectedSeconds: options.liveSubscribers / (options.quick ? 100 : 400) + 2 + PAGE_READS_WARMUP_SECONDS(options) + 2 + options.pageReadsRounds * 2 * (options.pageReadsSeconds + 2),
  },
  { name: "large board seed", expectedSeconds: options.quick ? 2 : 120 },
  { name: "top reads, large board", expectedSeconds: loadStep },
];
/** The set-up every run needs; with --only, the large board's seed goes with its reads. */
const SET_UP = new Set(["services", "seed and start"]);
for (const name of options.only ?? []) {
  if (!allSteps.some((step) => step.name === name) || SET_UP.has(name)) throw new Error(`--only: no step "${name}" (steps: ${allSteps.map((step) => step.name).join(", ")})`);
}
/** Whether --only keeps a step; the large board's seed goes with its reads. */
const runs = (name: string) => options.only === null || options.only.has(name === "large board seed" ? "top reads, large board" : name);
const steps = allSteps.filter((step) => SET_UP.has(step.name) || runs(step.name));
const progress = new Progress(steps);

const cleanups = new Cleanups(() => progress.log("interrupted: stopping servers, dropping the database and the Redis keys"));
const fileLimit = raiseFileLimit();
if (fileLimit < Math.max(...options.streamSteps) + 1_000) progress.log(`open-file limit ${fileLimit}: the largest live steps may fail to open`);
const results: ResultRow[] = [];
let serviceVersions: Record<string, string> = {};
let failure: string | null = null;
try {
  ensureWrk();
  progress.begin("services");
  const services = await startTestServices("bench");
  cleanups.add(() => services.stop());
  // Every subscriber connects from this machine, one client IP: the per-IP stream limit must not cap the load.
  const env = { ...services.env, NEXT_TELEMETRY_DISABLED: "1", LIVE_STREAMS_PER_IP: "1000000" };
  if (!reuseBuild) await runToEnd(path.resolve("node_modules/.bin/next"), ["build"], env);

  progress.begin("seed and start");
  const sql = postgres(services.env.DATABASE_URL, { max: 4, onnotice: () => {} });
  cleanups.add(() => sql.end());
  const redis = new IORedis(services.env.REDIS_URL);
  cleanups.add(async () => redis.disconnect());
  serviceVersions = await versions(sql, redis);
  const [apps] = await Promise.all([
    // Not captured: an instance under load writes thousands of lines a second, straight to its file.
    Promise.all([1, 2].map((instance) => startApp({ env, logFile: `${RESULTS_DIR}/${stamp}-app-${instance}.log`, capture: false }, cleanups))) as Promise<[RunningApp, RunningApp]>,
    seedUsers(sql, "board", options.boardUsers),
    seedUsers(sql, "driver", options.liveDrivers),
    seedUsers(sql, "anchor", options.anchorUsers),
    seedUsers(sql, "window", options.anchorUsers),
    reuseAnchorBuild ? null : buildAnchorApp(`${RESULTS_DIR}/${stamp}-anchor-build.log`),
  ]);
  const [boardUsers, liveDrivers] = await Promise.all([
    benchUsers("board", options.boardUsers, services.env.AUTH_SECRET),
    benchUsers("driver", options.liveDrivers, services.env.AUTH_SECRET),
  ]);
  await buildBoard(apps[0].url, services.env, redis, { clear: false });
  await checkRealPaths(apps[0].url, boardUsers[0]!);
  await checkBoardMatchesDatabase(apps[0].url, sql);

  const redisCompare = startWorker(path.resolve("bench/redis-compare.ts"));
  cleanups.add(() => redisCompare.stop());
  const subscriberWorker = startWorker(path.resolve("bench/subscribers.ts"));
  cleanups.add(() => subscriberWorker.stop());
  cleanups.add(() => deleteKeys(anchorKeyPrefix(services.env)));

  const ctx: BenchContext = {
    options,
    env: services.env,
    apps,
    sql,
    redis,
    redisCompare,
    progress,
    boardUsers,
    tokenKey: actionTokenKey({ authSecret: services.env.AUTH_SECRET, environment: "production" }),
    results,
  };

  /** One step of the run, unless --only leaves it out. */
  const step = async (name: string, work: () => Promise<void>) => {
    if (!runs(name)) return;
    progress.begin(name);
    await work();
  };
  await step("framework anchors", async () => {
    const anchorApp = await startAnchorApp(services.env, `${RESULTS_DIR}/${stamp}-anchor-app.log`, cleanups);
    await frameworkAnchorScenario(ctx, anchorApp);
    // Idle from here on, but its memory and timers are no part of what follows.
    await anchorApp.stop();
  });
  await step("top reads, small board", () => topReadsScenario(ctx, options.boardUsers, ["day", "week"]));
  await step("submit", () => submitScenario(ctx));
  await step("database anchor", async () => {
    await databaseAnchorScenario(ctx);
    notePgbenchRatios(ctx);
  });
  await step("statement vs transaction", () => statementVsTransactionScenario(ctx));
  await step("window cost", () => windowCostScenario(ctx));
  await step("redis anchors", () => redisAnchorScenario(ctx));
  const drivers = createDrivers(
    liveDrivers,
    apps.map((app) => app.url),
  );
  await step("live latency, low load", () => lowLoadLatencyScenario(ctx, drivers));
  await step("live fan-out", () => liveScenario(ctx, subscriberWorker, drivers));
  await step("page reads", () => pageReadsScenario(ctx, subscriberWorker, drivers));
  await step("large board seed", async () => {
    const extra = options.largeBoardUsers - options.boardUsers;
    await seedUsers(sql, "filler", extra, (done) => progress.detail(`${done.toLocaleString("en")} of ${extra.toLocaleString("en")} users`));
    progress.detail("the app rebuilds its Redis board");
    await buildBoard(apps[0].url, services.env, redis, { clear: true });
    await checkBoardMatchesDatabase(apps[0].url, sql);
  });
  await step("top reads, large board", () => topReadsScenario(ctx, options.largeBoardUsers));
  progress.end();
} catch (error) {
  progress.end();
  console.error(error);
  failure = (error as Error).message?.split("\n")[0] ?? String(error);
} finally {
  // What was measured is kept, also when a later step failed.
  if (results.length > 0) writeResults();
  await cleanups.run();
}
const exitCode = failure === null ? 0 : 1;
console.error(`bench ${exitCode === 0 ? "done" : "FAILED"} in ${((Date.now() - startedAt.getTime()) / 1000).toFixed(1)} s`);
process.exit(exitCode);

function writeResults() {
  const files = {
    json: `${RESULTS_DIR}/${stamp}.json`,
    markdown: `${RESULTS_DIR}/${stamp}.md`,
    svg: `${RESULTS_DIR}/${stamp}.svg`,
    published: PUBLISHED_RESULTS,
  };
  const written = writeReport(files, {
    info: {
      startedAt: startedAt.toISOString(),
      wallSeconds: (Date.now() - startedAt.getTime()) / 1000,
      quick: options.quick,
      ...(options.only === null ? {} : { only: [...options.only] }),
      machine: machine(),
      versions: serviceVersions,
      loadAverage: { before: loadBefore, after: os.loadavg() },
      commit: commit(),
      openFileLimit: fileLimit,
      ...(failure === null ? {} : { incomplete: failure }),
    },
    targets: evaluateTargets(results, options),
    rows: results,
  });
  console.error(`results: ${written.map((file) => path.relative(process.cwd(), file)).join(", ")} (.json, .svg beside the first)`);
}

/** A submit row's anchor is the framework's no-op mutation; its note adds the database's own limit at the same client count. */
function notePgbenchRatios(ctx: BenchContext) {
  for (const row of ctx.results.filter((candidate) => candidate.scenario === SUBMIT)) {
    const database = ctx.results.find((candidate) => candidate.scenario === DATABASE_ANCHOR && candidate.variant === databaseAnchorVariant(row.clients!));
    if (!database?.throughput || row.throughput === undefined) continue;
    const comparison = `${(row.throughput / database.throughput).toFixed(2)}× pgbench at ${database.clients} clients (${Math.round(database.throughput).toLocaleString("en")}/s)`;
    row.note = [row.note, comparison].filter(Boolean).join("; ");
  }
}

async function runToEnd(command: string, args: string[], env: Record<string, string>) {
  const child = spawn(command, args, { env: { ...process.env, ...env }, stdio: ["ignore", "inherit", "inherit"] });
  const [code] = (await once(child, "exit")) as [number | null];
  if (code !== 0) throw new Error(`${command} ${args.join(" ")} exited with ${code}`);
}

function machine(): Machine {
  const cpus = os.cpus();
  return { cores: cpus.length, cpu: cpus[0]?.model.trim() ?? "unknown CPU", memoryGiB: Math.round(os.totalmem() / 2 ** 30), os: `${os.type()} ${os.release()}` };
}

async function versions(sql: postgres.Sql, redis: IORedis) {
  const pg = (await sql<{ server_version: string }[]>`show server_version`)[0]!.server_version;
  const info = await redis.info("server");
  return { node: process.version, postgres: pg.split(" ")[0]!, redis: /redis_version:(\S+)/.exec(info)?.[1] ?? "?" };
}

function commit() {
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain"], { encoding: "utf8" }).trim() !== "";
    return dirty ? `${head} (with uncommitted changes)` : head;
  } catch {
    return "unknown";
  }
}
