import { randomBytes } from "node:crypto";

import { Redis } from "@upstash/redis";
import { afterAll, describe, expect, it } from "vitest";

import { createDatabase, db } from "~/server/db";
import { redis } from "~/server/redis/client";
import { checkHealth } from "./health";
import { freePort } from "../../test/support/ports";

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

describe("checkHealth", () => {
  it("reports ok with both latencies when Postgres and Redis answer", async () => {
    const health = await checkHealth({ db, pingRedis: () => redis.ping(), timeoutMs: PATIENT_MS });
    expect(health).toEqual({
      status: "ok",
      down: [],
      db: { status: "ok", latencyMs: expect.any(Number) },
      redis: { status: "ok", latencyMs: expect.any(Number) },
    });
    expect(health.db.latencyMs).toBeGreaterThanOrEqual(0);
    expect(health.redis.latencyMs).toBeGreaterThanOrEqual(0);
    expect(Number.isFinite(health.db.latencyMs)).toBe(true);
  });

  it("names redis as down when the bridge is unreachable, without echoing the token", async () => {
    const health = await checkHealth({ db, pingRedis: () => deadRedis.ping(), timeoutMs: PATIENT_MS });
    expect(health.status).toBe("error");
    expect(health.down).toEqual(["redis"]);
    expect(health.db.status).toBe("ok");
    expect(health.redis.status).toBe("down");
    if (health.redis.status !== "down") return;
    expect(typeof health.redis.error).toBe("string");
    expect(health.redis.error.length).toBeGreaterThan(0);
    expect(health.redis.error).not.toContain(DEAD_REDIS_TOKEN);
    expect(JSON.stringify(health)).not.toContain(DEAD_REDIS_TOKEN);
    expect(health.redis.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it("names db as down when Postgres is unreachable, without echoing the connection string", async () => {
    const health = await checkHealth({ db: deadDatabase.db, pingRedis: () => redis.ping(), timeoutMs: PATIENT_MS });
    expect(health.status).toBe("error");
    expect(health.down).toContain("db");
    expect(health.down).not.toContain("redis");
    expect(health.db.status).toBe("down");
    if (health.db.status !== "down") return;
    expect(typeof health.db.error).toBe("string");
    expect(JSON.stringify(health)).not.toContain(DEAD_DB_PASSWORD);
    expect(JSON.stringify(health)).not.toContain("postgres://");
  });

  // health.ts promises "the message names the failure (refused, timed out)": an operator reading
  // /api/health must learn why a dependency is down, not only that a query failed.
  it("says why the database is down (connection refused)", async () => {
    const health = await checkHealth({ db: deadDatabase.db, pingRedis: () => redis.ping(), timeoutMs: PATIENT_MS });
    expect(health.db.status === "down" && health.db.error).toMatch(/ECONNREFUSED|refused/i);
  });

  it("says why redis is down (connection refused)", async () => {
    const health = await checkHealth({ db, pingRedis: () => deadRedis.ping(), timeoutMs: PATIENT_MS });
    expect(health.redis.status === "down" && health.redis.error).toMatch(/ECONNREFUSED|refused/i);
  });

  it("names both when both are down", async () => {
    const health = await checkHealth({ db: deadDatabase.db, pingRedis: () => deadRedis.ping(), timeoutMs: PATIENT_MS });
    expect(health.status).toBe("error");
    expect([...health.down].sort()).toEqual(["db", "redis"]);
  });

  it("gives up on a dependency that never answers after the timeout, naming it down", async () => {
    // Answering at all is the timeout's doing: this ping never settles. The database gets the same
    // short timeout, which a loaded machine may miss, so only Redis's part is asserted.
    const health = await checkHealth({ db, pingRedis: () => new Promise(() => {}), timeoutMs: 100 });
    expect(health.status).toBe("error");
    expect(health.down).toContain("redis");
    expect(health.redis).toEqual({ status: "down", latencyMs: expect.any(Number), error: "no answer within 100 ms" });
  });
});

