/**
 * Scenario 2 — the database anchor: pgbench running the score service's own statement
 * (changeStatement in src/server/scoring/score-service.ts, rendered by Drizzle's dialect, so the
 * anchor follows the product's SQL as it changes) against the same database, prepared as
 * postgres.js prepares it, at the same client counts. Its writes go to hidden anchor users that
 * only the database scenarios touch, so they never disturb the others.
 */
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { PgDialect } from "drizzle-orm/pg-core";

import { ACTION_RULES } from "../../src/server/scoring/rules";
import { changeStatement } from "../../src/server/scoring/score-service";
import { benchUserIdSql } from "../seed";
import { summarize } from "../stats";
import { report, type BenchContext } from "./context";

const SAMPLE_USER = "00000000-0000-4000-8000-00000000aaaa";
const SAMPLE_ACTION = "00000000-0000-4000-8000-00000000bbbb";
/** Marks the anchor's audit rows, to count how many of its transactions really wrote. */
const ANCHOR_USER_AGENT = "pgbench-anchor";
/** Connections kept free for the two app instances' pools (10 each), this harness and others. */
const CONNECTIONS_KEPT_FREE = 35;

export const DATABASE_ANCHOR = "database anchor (pgbench)";
/** The row's variant names the client count asked for; its `clients` says how many ran. */
export const databaseAnchorVariant = (clients: number) => `${clients} clients`;

/** The pgbench script and its -D variables: the statement's parameters stay parameters. */
export function anchorScript(anchorUsers: number) {
  const query = new PgDialect().sqlToQuery(
    changeStatement({
      userId: SAMPLE_USER,
      actionId: SAMPLE_ACTION,
      actionType: "COMPLETE_TASK",
      delta: ACTION_RULES.COMPLETE_TASK.delta,
      cap: ACTION_RULES.COMPLETE_TASK.cap,
      actorId: null,
      metadata: { issuedAt: new Date().toISOString() },
      ip: "127.0.0.1",
      userAgent: ANCHOR_USER_AGENT,
    }),
  );
  const defines: string[] = [];
  const text = query.sql.replace(/\$(\d+)/g, (_, index: string) => {
    const value = query.params[Number(index) - 1];
    if (value === SAMPLE_USER) return benchUserIdSql("anchor", ":uid::bigint");
    // The app sends a fresh action id per submit.
    if (value === SAMPLE_ACTION) return "gen_random_uuid()";
    if (value === null) return "null";
    defines.push("-D", `p${index}=${String(value)}`);
    return `:p${index}`;
  });
  // pgbench reads one command per line unless it ends with a semicolon.
  const script = `\\set uid random(1, ${anchorUsers})\n${text.replace(/\s*\n\s*/g, " ")};\n`;
  return { script, defines };
}

function pgbenchBinary() {
  for (const dir of (process.env.PATH ?? "").split(":")) if (existsSync(path.join(dir, "pgbench"))) return path.join(dir, "pgbench");
  const versions = existsSync("/usr/lib/postgresql") ? readdirSync("/usr/lib/postgresql").sort().reverse() : [];
  for (const version of versions) {
    const candidate = `/usr/lib/postgresql/${version}/bin/pgbench`;
    if (existsSync(candidate)) return candidate;
  }
  throw new Error("pgbench not found (Debian: apt-get install postgresql-client)");
}

/** The most clients pgbench may open without starving the server of connections. */
async function allowedClients(ctx: BenchContext) {
  const max = Number((await ctx.sql<{ max_connections: string }[]>`show max_connections`)[0]!.max_connections);
  const open = (await ctx.sql<{ count: number }[]>`select count(*)::int as count from pg_stat_activity`)[0]!.count;
  return { maxConnections: max, allowed: Math.max(1, max - open - CONNECTIONS_KEPT_FREE) };
}

export async function databaseAnchorScenario(ctx: BenchContext) {
  const binary = pgbenchBinary();
  const dir = mkdtempSync(path.join(tmpdir(), "bench-pgbench-"));
  const { script, defines } = anchorScript(ctx.options.anchorUsers);
  writeFileSync(path.join(dir, "score-change.sql"), script);
  const url = new URL(ctx.env.DATABASE_URL);
  const warmupMs = ctx.options.warmupSeconds * 1000;
  const durationMs = ctx.options.stepSeconds * 1000;
  try {
    for (const clients of ctx.options.clientCounts) {
      const { allowed, maxConnections } = await allowedClients(ctx);
      const used = Math.min(clients, allowed);
      ctx.progress.detail(`${used} clients`);
      const before = await anchorRowsWritten(ctx);
      const logPrefix = path.join(dir, `c${clients}`);
      const args = [
        ...["-h", url.hostname, "-p", url.port || "5432", "-U", decodeURIComponent(url.username) || "postgres"],
        ...["-n", "-M", "prepared", "-c", String(used), "-j", "2", "-T", String(Math.ceil((warmupMs + durationMs) / 1000))],
        ...["-f", path.join(dir, "score-change.sql"), "-l", `--log-prefix=${logPrefix}`, ...defines],
        url.pathname.slice(1),
      ];
      const child = spawn(binary, args, { stdio: ["ignore", "pipe", "pipe"], cwd: dir });
      let output = "";
      child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
      const [code] = (await once(child, "exit")) as [number | null];
      if (code !== 0) throw new Error(`pgbench exited with ${code}:\n${output}`);
      const transactions = readTransactionLog(dir, path.basename(logPrefix));
      const after = await anchorRowsWritten(ctx);
      // The measured window: like the HTTP generator, skip the warm-up, count what completed after it.
      const first = Math.min(...transactions.map((t) => t.doneAtMs));
      const windowStart = first + warmupMs;
      const inWindow = transactions.filter((t) => t.doneAtMs >= windowStart && t.doneAtMs <= windowStart + durationMs);
      const applied = transactions.length > 0 ? (after - before) / transactions.length : 0;
      const row = {
        scenario: DATABASE_ANCHOR,
        variant: databaseAnchorVariant(clients),
        clients: used,
        throughput: inWindow.length / (durationMs / 1000),
        latency: summarize(Float64Array.from(inWindow, (t) => t.latencyMs)),
        note: [
          used < clients ? `ran at ${used} clients: max_connections is ${maxConnections}` : "",
          `${(applied * 100).toFixed(1)} % of transactions wrote`,
        ]
          .filter(Boolean)
          .join("; "),
      };
      report(ctx, row);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function anchorRowsWritten(ctx: BenchContext) {
  const rows = await ctx.sql<{ count: number }[]>`select count(*)::int as count from score_actions where user_agent = ${ANCHOR_USER_AGENT}`;
  return rows[0]!.count;
}

/** pgbench -l: one line per transaction, `client tx latency_us script epoch_s epoch_us`, per thread file. */
function readTransactionLog(dir: string, prefix: string) {
  const transactions: { latencyMs: number; doneAtMs: number }[] = [];
  for (const file of readdirSync(dir).filter((name) => name.startsWith(`${prefix}.`))) {
    for (const line of readFileSync(path.join(dir, file), "utf8").split("\n")) {
      const fields = line.split(" ");
      if (fields.length < 6) continue;
      transactions.push({ latencyMs: Number(fields[2]) / 1000, doneAtMs: Number(fields[4]) * 1000 + Number(fields[5]) / 1000 });
    }
  }
  return transactions;
}
