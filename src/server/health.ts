import { sql } from "drizzle-orm";

import type { Database } from "~/server/db";

export type DependencyHealth = { status: "ok"; latencyMs: number } | { status: "down"; latencyMs: number; error: string };

const TIMEOUT_MS = 2_000;

async function probe(check: () => Promise<unknown>, timeoutMs: number): Promise<DependencyHealth> {
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
    return { status: "down", latencyMs: elapsed(), error: describeFailure(error) };
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

/** Checks Postgres and Redis concurrently, each with its own latency. */
export async function checkHealth(deps: { db: Database; pingRedis: () => Promise<unknown>; timeoutMs?: number }) {
  const timeoutMs = deps.timeoutMs ?? TIMEOUT_MS;
  const [db, redis] = await Promise.all([probe(() => deps.db.execute(sql`select 1`), timeoutMs), probe(deps.pingRedis, timeoutMs)]);
  const down = Object.entries({ db, redis })
    .filter(([, health]) => health.status === "down")
    .map(([name]) => name);
  return { status: down.length === 0 ? ("ok" as const) : ("error" as const), down, db, redis };
}
