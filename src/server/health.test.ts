import { randomBytes } from "node:crypto";

import { Redis } from "@upstash/redis";
import type { Logger } from "pino";
import { afterAll, describe, expect, it } from "vitest";

import { services } from "~/server/composition-root";
import { createDatabase } from "~/server/db";
import { checkHealth } from "./health";
import { freePort } from "../../test/support/ports";

const { db, redis } = services;

const DEAD_DB_PASSWORD = `pw${randomBytes(8).toString("hex")}`;
/** Nothing listens on port 1: connections are refused at once. */
const deadDatabase = createDatabase(`postgres://postgres:${DEAD_DB_PASSWORD}@127.0.0.1:1/nowhere`);

const DEAD_REDIS_TOKEN = `tok_${randomBytes(12).toString("hex")}`;
// A port nothing listens on (fetch refuses low "bad ports" like 1 before connecting).
const deadRedis = new Redis({ url: `http://127.0.0.1:${await freePort()}`, token: DEAD_REDIS_TOKEN, retry: false, enableTelemetry: false });

afterAll(async () => {
  await deadDatabase.client.end({ timeout: 1 });
});

/** Longer than any test runs: where a dependency answers or is refused, a slow machine must not turn it into a timeout. */
const PATIENT_MS = 60_000;

/** A logger that keeps what checkHealth tells the operator. */
function capturingLogger() {
  const lines: { fields: Record<string, unknown>; message: string }[] = [];
  return { lines, warn: (fields: Record<string, unknown>, message: string) => void lines.push({ fields, message }) } as unknown as Pick<Logger, "warn"> & { lines: typeof lines };
}

describe("checkHealth", () => {
  it("reports ok with both latencies when Postgres and Redis answer, logging nothing", async () => {
    const logger = capturingLogger();
    const health = await checkHealth({ db, pingRedis: () => redis.ping(), logger, timeoutMs: PATIENT_MS });
    expect(health).toEqual({
      status: "ok",
      down: [],
      db: { status: "ok", latencyMs: expect.any(Number) },
      redis: { status: "ok", latencyMs: expect.any(Number) },
    });
    expect(health.db.latencyMs).toBeGreaterThanOrEqual(0);
    expect(health.redis.latencyMs).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(health.db.latencyMs)).toBe(true);
    expect(logger.lines).toEqual([]);
  });

  it("names redis as down (degraded: the board falls back to Postgres) in fixed words, the driver's message only in the log", async () => {
    const logger = capturingLogger();
    const health = await checkHealth({ db, pingRedis: () => deadRedis.ping(), logger, timeoutMs: PATIENT_MS });
    expect(health).toEqual({
      status: "degraded",
      down: ["redis"],
      db: { status: "ok", latencyMs: expect.any(Number) },
      redis: { status: "down", latencyMs: expect.any(Number) },
    });
    expect(JSON.stringify(health)).not.toMatch(/refused|ECONN|fetch|127\.0\.0\.1/i);
    expect(JSON.stringify(health)).not.toContain(DEAD_REDIS_TOKEN);
    // The operator still learns why.
    expect(logger.lines).toEqual([{ fields: { dependency: "redis", error: expect.stringMatching(/ECONNREFUSED|refused/i) }, message: "health check: redis is down" }]);
    expect(JSON.stringify(logger.lines)).not.toContain(DEAD_REDIS_TOKEN);
  });

  it("names db as down in fixed words, the driver's message (without the connection string) only in the log", async () => {
    const logger = capturingLogger();
    const health = await checkHealth({ db: deadDatabase.db, pingRedis: () => redis.ping(), logger, timeoutMs: PATIENT_MS });
    expect(health).toEqual({
      status: "down",
      down: ["db"],
      db: { status: "down", latencyMs: expect.any(Number) },
      redis: { status: "ok", latencyMs: expect.any(Number) },
    });
    expect(JSON.stringify(health)).not.toMatch(/refused|ECONN|query|127\.0\.0\.1|postgres/i);
    expect(logger.lines).toEqual([{ fields: { dependency: "db", error: expect.stringMatching(/ECONNREFUSED|refused/i) }, message: "health check: db is down" }]);
    expect(JSON.stringify(logger.lines)).not.toContain(DEAD_DB_PASSWORD);
    expect(JSON.stringify(logger.lines)).not.toContain("postgres://");
  });

  it("names both when both are down", async () => {
    const logger = capturingLogger();
    const health = await checkHealth({ db: deadDatabase.db, pingRedis: () => deadRedis.ping(), logger, timeoutMs: PATIENT_MS });
    expect(health.status).toBe("down");
    expect([...health.down].sort()).toEqual(["db", "redis"]);
    expect(logger.lines.map((line) => line.fields.dependency).sort()).toEqual(["db", "redis"]);
  });

  it("gives up on a dependency that never answers after the timeout, naming it down", async () => {
    // Answering at all is the timeout's doing: this ping never settles. The database gets the same
    // short timeout, which a loaded machine may miss, so only Redis's part is asserted.
    const logger = capturingLogger();
    const health = await checkHealth({ db, pingRedis: () => new Promise(() => {}), logger, timeoutMs: 100 });
    expect(health.down).toContain("redis");
    expect(health.redis).toEqual({ status: "down", latencyMs: expect.any(Number) });
    expect(logger.lines).toContainEqual({ fields: { dependency: "redis", error: "no answer within 100 ms" }, message: "health check: redis is down" });
  });
});
