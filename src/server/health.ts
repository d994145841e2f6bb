import { sql } from "drizzle-orm";
import type { Logger } from "pino";

import type { Database } from "~/server/db";

/** What /api/health says of one dependency: a fixed word and a latency, never the driver's message. */
export type DependencyHealth = { status: "ok" | "down"; latencyMs: number };

const TIMEOUT_MS = 2_000;

async function probe(name: string, check: () => Promise<unknown>, timeoutMs: number, logger: Pick<Logger, "warn">): Promise<DependencyHealth> {
  const started = performance.now();
  const elapsed = () => Math.round((performance.now() - started) * 10) / 10;
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      check(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      }),
    ]);
    return { status: "ok", latencyMs: elapsed() };
  } catch (error) {
    // The health answer is public: the driver's words (hosts, ports, users) go to the operator's log only.
    logger.warn({ dependency: name, error: describeFailure(error) }, `health check: ${name} is down`);
    return { status: "down", latencyMs: elapsed() };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Why a check failed, from the innermost cause (drivers wrap the socket error: "Failed
 * query" around ECONNREFUSED), without echoing connection strings.
 */
function describeFailure(error: unknown): string {
  let innermost = error;
  while (innermost instanceof Error && innermost.cause instanceof Error) innermost = innermost.cause;
  if (!(innermost instanceof Error)) return "unknown error";
  const code = (innermost as { code?: unknown }).code;
  const message = innermost.message.split("\n")[0]!.replace(/\w+:\/\/\S+/g, "<url>");
  return typeof code === "string" && !message.includes(code) ? `${code}: ${message}` : message;
}

/**
 * Checks Postgres and Redis concurrently, each with its own latency. Without Postgres nothing
 * can be scored ("down"); without Redis the app serves from Postgres ("degraded").
 */
export async function checkHealth(deps: { db: Database; pingRedis: () => Promise<unknown>; logger: Pick<Logger, "warn">; timeoutMs?: number }) {
  const timeoutMs = deps.timeoutMs ?? TIMEOUT_MS;
  const [db, redis] = await Promise.all([
    probe("db", () => deps.db.execute(sql`select 1`), timeoutMs, deps.logger),
    probe("redis", deps.pingRedis, timeoutMs, deps.logger),
  ]);
  const down = (["db", "redis"] as const).filter((name) => ({ db, redis })[name].status === "down");
  const status = down.length === 0 ? ("ok" as const) : db.status === "down" ? ("down" as const) : ("degraded" as const);
  return { status, down, db, redis };
}
