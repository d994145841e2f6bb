/**
 * `npm run test:faults`: the fault, race and hostile-input suite (PRODUCT.md, Invariants) against
 * real `npm start` instances over real HTTP, on services of its own that it breaks on purpose.
 *
 *   npm run test:faults                          next build, then every scenario
 *   npm run test:faults -- --reuse-build         use the build already in .next/
 *   npm run test:faults -- --only redis-down     one scenario (repeat --only for more)
 *
 * Every scenario ends with the invariant check (faults/invariants.ts). The run prints, per
 * scenario, the load held, the faults injected, the requests tried and the invariant result —
 * all time, then each day and ISO week checked (faults/window-invariants.ts) —, and exits 1 when
 * anything failed. Everything it started is stopped and removed, also on
 * failure and on Ctrl-C.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { once } from "node:events";
import path from "node:path";

import { AppInstances } from "./apps";
import { startFaultCluster, type FaultCluster } from "./cluster";
import { createHarness, type Harness, type Scenario, type ScenarioReport } from "./harness";
import { checkInvariants, type InvariantReport } from "./invariants";
import type { RequestTally } from "./ledger";
import type { WindowReport } from "./window-invariants";
import { hostileInput } from "./scenarios/hostile-input";
import { instanceKilled } from "./scenarios/instance-killed";
import { postgresDown } from "./scenarios/postgres-down";
import { races } from "./scenarios/races";
import { redisDown } from "./scenarios/redis-down";
import { redisWiped } from "./scenarios/redis-wiped";

const SCENARIOS: Scenario[] = [races, redisDown, redisWiped, postgresDown, instanceKilled, hostileInput];

const args = process.argv.slice(2);
const only = args.flatMap((arg, index) => (arg === "--only" ? [args[index + 1] ?? ""] : arg.startsWith("--only=") ? [arg.slice(7)] : []));
const unknown = only.filter((name) => !SCENARIOS.some((scenario) => scenario.name === name));
if (unknown.length > 0) {
  console.error(`unknown scenario ${unknown.join(", ")}; known: ${SCENARIOS.map((scenario) => scenario.name).join(", ")}`);
  process.exit(2);
}
const selected = only.length > 0 ? SCENARIOS.filter((scenario) => only.includes(scenario.name)) : SCENARIOS;
const reuseBuild = args.includes("--reuse-build") && existsSync(".next/BUILD_ID");

type Outcome = { scenario: Scenario; seconds: number; report: ScenarioReport | null; tally: RequestTally; invariants: InvariantReport | null; error: string | null; passed: boolean };

const started = performance.now();
const logDir = mkdtempSync("/tmp/faults-logs-");
let cluster: FaultCluster | null = null;
let apps: AppInstances | null = null;
let harness: (Harness & { close(): Promise<void> }) | null = null;
let tornDown: Promise<void> | null = null;

/** Stops every app, the bridge, redis-server and the cluster, and removes their files. Idempotent. */
function tearDown() {
  tornDown ??= (async () => {
    await apps?.stopAll();
    await harness?.close().catch(() => {});
    await cluster?.destroy();
  })();
  return tornDown;
}
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: tearing down (app logs kept in ${logDir})`);
    void tearDown().finally(() => process.exit(130));
  });
}

const outcomes: Outcome[] = [];
let code = 1;
try {
  if (reuseBuild) console.log("--- faults: reusing the build in .next/");
  else {
    console.log("--- faults: next build");
    await run(path.resolve("node_modules/.bin/next"), ["build"]);
  }
  console.log("--- faults: services (own PostgreSQL cluster, redis-server, Upstash bridge)");
  cluster = await startFaultCluster();
  console.log(`    postgres :${cluster.postgres.port}, redis :${cluster.redis.port}, bridge ${cluster.bridge.url}; app logs in ${logDir}`);
  apps = new AppInstances(cluster, logDir);
  harness = createHarness(cluster, apps);

  for (const scenario of selected) {
    console.log(`--- ${scenario.name}: ${scenario.title}`);
    outcomes.push(await runScenario(harness, scenario));
    printOutcome(outcomes.at(-1)!);
  }
  code = outcomes.every((outcome) => outcome.passed) ? 0 : 1;
} catch (error) {
  console.error("✗ the fault suite could not run:", error);
} finally {
  await tearDown();
}

printSummary();
if (code === 0) rmSync(logDir, { recursive: true, force: true });
else console.log(`app logs kept in ${logDir}`);
console.log(`--- faults: ${code === 0 ? "passed" : "FAILED"} in ${((performance.now() - started) / 1000).toFixed(1)} s`);
process.exit(code);

async function runScenario(harness: Harness, scenario: Scenario): Promise<Outcome> {
  const scenarioStarted = performance.now();
  harness.ledger.resetTally();
  let report: ScenarioReport | null = null;
  let invariants: InvariantReport | null = null;
  let error: string | null = null;
  try {
    report = await scenario.run(harness);
  } catch (caught) {
    error = caught instanceof Error ? (caught.stack ?? caught.message) : String(caught);
  }
  const tally = harness.ledger.resetTally();
  try {
    invariants = await checkInvariants(harness);
  } catch (caught) {
    error ??= `invariant check failed to run: ${caught instanceof Error ? caught.message : String(caught)}`;
  }
  const transportOk = tally.serverErrors === 0 && (report?.allowUnavailable || tally.unavailable === 0) && (report?.allowUnanswered || tally.unanswered === 0);
  const passed = error === null && report !== null && report.failures.length === 0 && invariants?.ok === true && transportOk;
  return { scenario, seconds: (performance.now() - scenarioStarted) / 1000, report, tally, invariants, error, passed };
}

function invariantLine(invariants: InvariantReport, tally: RequestTally) {
  const counts = [
    `${invariants.lost.length} lost`,
    `${invariants.doubled.length} doubled`,
    `${invariants.unexplained.length} let in`,
    `${tally.serverErrors} 5xx`,
    `${invariants.phantoms.length} uncommitted scores shown`,
    `${invariants.scoreMismatches.length} score ≠ audit sum`,
    `${invariants.redisDrift.length} Redis drift`,
  ];
  return `${counts.join(", ")}; ${invariants.users} users, ${invariants.auditRows} audit rows, ${invariants.acknowledged} actions acknowledged`;
}

/** One board's line: all time (the ledger's lost and doubled), or a day's or a week's (window score against its audit sum). */
function windowLine(invariants: InvariantReport, window: WindowReport | null) {
  if (!window) {
    const counts = [`${invariants.lost.length} lost`, `${invariants.doubled.length} doubled`, `${invariants.scoreMismatches.length} score ≠ audit sum`, `${invariants.redisDrift.length} Redis drift`];
    return `all: ${counts.join(", ")}; ${invariants.users} users, ${invariants.auditRows} audit rows`;
  }
  const name = `${window.window} ${window.period} (${window.current ? "current" : "finished"})`;
  const counts = [
    `${window.lost.length} lost`,
    `${window.doubled.length} doubled`,
    `${window.scoreMismatches.length} window_scores ≠ audit sum`,
    window.notChecked ? `Redis not checked: ${window.notChecked}` : `${window.redisDrift.length} Redis drift`,
  ];
  return `${name}: ${counts.join(", ")}; ${window.players} players, ${window.auditRows} audit rows, ${window.points} points`;
}

/** A day's or a week's cell of the summary. */
function windowSummary(window: WindowReport) {
  const drift = `${window.scoreMismatches.length + window.redisDrift.length} drift${window.notChecked ? " (Redis not checked)" : ""}`;
  return `${window.window} ${window.period}${window.current ? "" : " (finished)"}: ${window.lost.length} lost, ${window.doubled.length} doubled, ${drift}`;
}

function printOutcome({ scenario, seconds, report, tally, invariants, error, passed }: Outcome) {
  console.log(`${passed ? "✓" : "✗"} ${scenario.name} (${seconds.toFixed(1)} s)`);
  if (report) {
    console.log(`    load held       ${report.load}`);
    console.log(`    faults injected ${report.faults}`);
  }
  console.log(`    requests tried  ${tally.total}: ${tally.describe() || "none"}`);
  if (tally.unavailable > 0) console.log(`                    ${tally.unavailable} × 503 DB_UNAVAILABLE (${report?.allowUnavailable ? "expected: the database was down" : "NOT expected"})`);
  if (tally.unanswered > 0) console.log(`                    ${tally.unanswered} without an answer (${report?.allowUnanswered ? "expected: an instance was killed" : "NOT expected"})`);
  for (const example of tally.examples) console.log(`                    e.g. ${example}`);
  if (invariants) {
    console.log(`    invariants      ${invariants.ok ? "hold" : "BROKEN"}: ${invariantLine(invariants, tally)}`);
    for (const window of [null, ...invariants.windows]) console.log(`    window          ${windowLine(invariants, window)}`);
  }
  for (const note of report?.notes ?? []) console.log(`    note            ${note}`);
  for (const failure of report?.failures ?? []) console.log(`    ✗ ${failure}`);
  if (invariants) {
    for (const [name, list] of Object.entries({ lost: invariants.lost, doubled: invariants.doubled, "let in": invariants.unexplained, "wrong delta": invariants.wrongDelta, "score ≠ audit sum": invariants.scoreMismatches, "uncommitted score shown": invariants.phantoms, "Redis drift": invariants.redisDrift })) {
      for (const line of list.slice(0, 5)) console.log(`    ✗ ${name}: ${line}`);
      if (list.length > 5) console.log(`    ✗ ${name}: … and ${list.length - 5} more`);
    }
    // Lost and doubled per window are among these two lists (sorted by direction), so these say it all.
    for (const window of invariants.windows) {
      for (const [name, list] of Object.entries({ "window_scores ≠ audit sum": window.scoreMismatches, "Redis drift": window.redisDrift })) {
        for (const line of list.slice(0, 5)) console.log(`    ✗ ${window.window} ${window.period} ${name}: ${line}`);
        if (list.length > 5) console.log(`    ✗ ${window.window} ${window.period} ${name}: … and ${list.length - 5} more`);
      }
    }
  }
  if (error) console.log(`    ✗ ${error.split("\n").slice(0, 8).join("\n      ")}`);
  if (!passed && apps) for (const name of ["primary", "secondary", "strict"]) printLogTail(path.join(logDir, `${name}.log`));
}

function printLogTail(file: string) {
  if (!existsSync(file)) return;
  const lines = readFileSync(file, "utf8").trimEnd().split("\n").filter((line) => !/"level":30/.test(line)).slice(-8);
  if (lines.length === 0) return;
  console.log(`    last lines of ${path.basename(file)}:`);
  for (const line of lines) console.log(`      ${line.slice(0, 300)}`);
}

function printSummary() {
  if (outcomes.length === 0) return;
  console.log("\n--- faults: summary");
  const rows = outcomes.map(({ scenario, seconds, tally, invariants, passed }) => [
    passed ? "✓" : "✗",
    scenario.name,
    `${seconds.toFixed(0)} s`,
    `${tally.total} requests`,
    invariants ? `all: ${invariants.lost.length} lost, ${invariants.doubled.length} doubled, ${invariants.unexplained.length} let in, ${tally.serverErrors} 5xx, ${invariants.redisDrift.length} drift` : "not checked",
    invariants ? invariants.windows.map(windowSummary).join("; ") : "",
  ]);
  const widths = rows[0]!.map((_, column) => Math.max(...rows.map((row) => row[column]!.length)));
  for (const row of rows) console.log(`  ${row.map((cell, column) => cell.padEnd(widths[column]!)).join("  ")}`);
}

async function run(command: string, commandArgs: string[]) {
  const child = spawn(command, commandArgs, { env: { ...process.env, NEXT_TELEMETRY_DISABLED: "1" }, stdio: ["ignore", "inherit", "inherit"] });
  const [exitCode] = (await once(child, "exit")) as [number | null];
  if (exitCode !== 0) throw new Error(`${command} ${commandArgs.join(" ")} exited with ${exitCode}`);
}
