import postgres from "postgres";
import { describe, expect, it } from "vitest";

import { env } from "~/env.js";
import { freePort } from "../../../test/support/ports";
import { databaseClientConfig, detectPooler, migrationDatabaseUrl, normalizeDatabaseUrl } from "./connection";
import { errorCodeOf, isDatabaseUnavailable } from "./errors";

/** This test run's database server, another database on it. */
function databaseUrlNamed(name: string) {
  const url = new URL(env.DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

const NEON_POOLED = "postgresql://app:pw@ep-cool-dust-a1b2c3-pooler.us-east-2.aws.neon.tech/neondb?sslmode=require";
const NEON_DIRECT = "postgresql://app:pw@ep-cool-dust-a1b2c3.us-east-2.aws.neon.tech/neondb?sslmode=require";
const SUPABASE_TRANSACTION = "postgres://postgres.abcd:pw@aws-0-eu-central-1.pooler.supabase.com:6543/postgres";
const SUPABASE_SESSION = "postgres://postgres.abcd:pw@aws-0-eu-central-1.pooler.supabase.com:5432/postgres";

describe("detectPooler", () => {
  it("recognises Neon's pooled host", () => {
    expect(detectPooler(NEON_POOLED)).toEqual({ mode: "transaction", reason: "Neon pooler host (-pooler)" });
    expect(detectPooler(NEON_DIRECT).mode).toBe("none");
  });

  it("recognises Supabase's transaction pooler by its port, and leaves its session pooler alone", () => {
    expect(detectPooler(SUPABASE_TRANSACTION).mode).toBe("transaction");
    expect(detectPooler(SUPABASE_SESSION).mode).toBe("none");
  });

  it("honours pgbouncer=true (Prisma's convention) on any host", () => {
    expect(detectPooler("postgres://u:p@db.internal:6432/app?pgbouncer=true")).toEqual({
      mode: "transaction",
      reason: "pgbouncer=true in the URL",
    });
    expect(detectPooler("postgres://u:p@db.internal:6432/app?pgbouncer=false").mode).toBe("none");
  });

  it("does not mistake a host that merely contains 'pooler' for Neon's", () => {
    expect(detectPooler("postgres://u:p@my-pooler.example.com:5432/app").mode).toBe("none");
    expect(detectPooler("postgres://u:p@pooler.example.com:5432/app").mode).toBe("none");
  });

  it("lets DATABASE_POOLER override detection either way", () => {
    expect(detectPooler("postgres://u:p@pgbouncer.internal:6432/app", "transaction")).toEqual({
      mode: "transaction",
      reason: "DATABASE_POOLER",
    });
    expect(detectPooler(NEON_POOLED, "none").mode).toBe("none");
    expect(detectPooler(SUPABASE_TRANSACTION, "session").mode).toBe("session");
  });

  it("treats the local database as a direct connection", () => {
    expect(detectPooler("postgres://postgres@127.0.0.1:5432/scoreboard").mode).toBe("none");
  });
});

describe("normalizeDatabaseUrl", () => {
  it("drops parameters postgres.js would send to the server as unknown settings", () => {
    const url = new URL(normalizeDatabaseUrl("postgres://u:p@db.internal:6432/app?pgbouncer=true&sslmode=require"));
    expect(url.searchParams.has("pgbouncer")).toBe(false);
    expect(url.searchParams.get("sslmode")).toBe("require");
  });

  it("replaces channel_binding=require by verifying the server certificate", () => {
    const url = new URL(normalizeDatabaseUrl(`${NEON_DIRECT}&channel_binding=require`));
    expect(url.searchParams.has("channel_binding")).toBe(false);
    expect(url.searchParams.get("sslmode")).toBe("verify-full");
    expect(url.hostname).toBe("ep-cool-dust-a1b2c3.us-east-2.aws.neon.tech");
    expect(url.username).toBe("app");
    expect(url.password).toBe("pw");
  });

  it("leaves a plain URL as it is", () => {
    expect(normalizeDatabaseUrl("postgres://postgres@127.0.0.1:5432/scoreboard")).toBe(
      "postgres://postgres@127.0.0.1:5432/scoreboard",
    );
  });

  it("gives postgres.js no server setting it does not know (checked against its own parser)", () => {
    const url = normalizeDatabaseUrl(`${NEON_POOLED}&channel_binding=require&pgbouncer=true`);
    const sql = postgres(url, { max: 1 });
    try {
      const connection = (sql.options as unknown as { connection: Record<string, string> }).connection;
      expect(Object.keys(connection)).toEqual(["application_name"]);
      expect(sql.options.ssl).toBe("verify-full");
    } finally {
      void sql.end();
    }
  });
});

describe("databaseClientConfig", () => {
  it("keeps a small pool that drops idle connections quickly on Vercel", () => {
    const { options, pooler } = databaseClientConfig(NEON_POOLED, { serverless: true });
    expect(options).toMatchObject({ max: 5, idle_timeout: 5, prepare: false });
    expect(pooler.mode).toBe("transaction");
  });

  it("prepares statements on a direct connection and on a session pooler", () => {
    expect(databaseClientConfig(NEON_DIRECT, { serverless: true }).options.prepare).toBe(true);
    expect(databaseClientConfig(SUPABASE_SESSION, { serverless: true }).options.prepare).toBe(true);
    expect(databaseClientConfig(SUPABASE_TRANSACTION, { serverless: true }).options.prepare).toBe(false);
  });

  it("uses a larger pool on a long-running server, and DATABASE_POOL_MAX when set", () => {
    expect(databaseClientConfig(NEON_DIRECT, { serverless: false }).options).toMatchObject({ max: 10, idle_timeout: 20 });
    expect(databaseClientConfig(NEON_DIRECT, { serverless: true, poolMax: 2 }).options.max).toBe(2);
  });

  it("turns prepared statements off when DATABASE_POOLER says transaction", () => {
    const config = databaseClientConfig("postgres://u:p@pgbouncer.internal:6432/app", { serverless: false, pooler: "transaction" });
    expect(config.options.prepare).toBe(false);
  });
});

describe("migrationDatabaseUrl", () => {
  it("uses the direct URL when one is configured", () => {
    expect(migrationDatabaseUrl(NEON_POOLED, { unpooledUrl: NEON_DIRECT })).toBe(NEON_DIRECT);
  });

  it("derives Neon's direct host from its pooled one", () => {
    expect(migrationDatabaseUrl(NEON_POOLED)).toBe(NEON_DIRECT);
  });

  it("uses DATABASE_URL itself when it is not a transaction pooler", () => {
    expect(migrationDatabaseUrl(SUPABASE_SESSION)).toBe(SUPABASE_SESSION);
    expect(migrationDatabaseUrl("postgres://postgres@127.0.0.1:5432/scoreboard")).toBe("postgres://postgres@127.0.0.1:5432/scoreboard");
  });

  it("refuses another transaction pooler without a direct URL, naming the variable to set", () => {
    expect(() => migrationDatabaseUrl(SUPABASE_TRANSACTION)).toThrow(/DATABASE_URL_UNPOOLED/);
    expect(() => migrationDatabaseUrl("postgres://u:p@db.internal:6432/app", { pooler: "transaction" })).toThrow(
      /transaction pooler \(DATABASE_POOLER\)/,
    );
  });
});

describe("a database that is down", () => {
  // Found by e2e/errors.spec.ts: a database closed to connections (maintenance) was answered 500, not 503.
  it("counts a database that is not accepting connections as unavailable", async () => {
    const name = `${new URL(env.DATABASE_URL).pathname.slice(1)}_closed`;
    const admin = postgres(databaseUrlNamed("postgres"), { max: 1, onnotice: () => {} });
    await admin.unsafe(`create database "${name}"`);
    try {
      await admin.unsafe(`alter database "${name}" allow_connections false`);
      const { url, options } = databaseClientConfig(databaseUrlNamed(name), { serverless: false });
      const client = postgres(url, options);
      try {
        const outcome = await client`select 1`.then(() => null, (error: unknown) => error);
        expect(errorCodeOf(outcome)).toBe("55000");
        expect(isDatabaseUnavailable(outcome)).toBe(true);
      } finally {
        await client.end({ timeout: 0 });
      }
    } finally {
      await admin.unsafe(`drop database if exists "${name}"`);
      await admin.end();
    }
  });

  // Regression (npm run test:faults, postgres-down): with postgres.js's default backoff (growing to
  // 20 s, its retry count shared by the pool), queries queued behind refused connections waited up
  // to ~30 s instead of failing.
  it("retries a refused connection within half a second, however many attempts failed", () => {
    const { backoff } = databaseClientConfig(NEON_DIRECT, { serverless: false }).options;
    for (const retries of [0, 1, 2, 5, 10, 100, 10_000]) {
      const seconds = backoff(retries);
      expect(seconds, `after ${retries} failed attempts`).toBeGreaterThan(0);
      expect(seconds, `after ${retries} failed attempts`).toBeLessThanOrEqual(0.5);
    }
  });

  it("fails every waiting query as unavailable, however many are queued", async () => {
    const deadUrl = `postgres://postgres@127.0.0.1:${await freePort()}/none`;
    const { url, options } = databaseClientConfig(deadUrl, { serverless: false });
    const client = postgres(url, options);
    try {
      // With the old backoff this outlasted the test's timeout; the retry delay itself is checked above.
      const outcomes = await Promise.allSettled(Array.from({ length: 60 }, () => client`select 1`));
      expect(outcomes.every((outcome) => outcome.status === "rejected" && isDatabaseUnavailable(outcome.reason))).toBe(true);
    } finally {
      await client.end({ timeout: 0 });
    }
  });

  // Regression (npm run test:faults, postgres-down): a write to a connection the server had just
  // closed surfaced as EPIPE and was answered 500 instead of 503 DB_UNAVAILABLE.
  it("counts a broken pipe as unavailable, a bad query not", () => {
    const wrapped = (code: string) => Object.assign(new Error("Failed query"), { cause: Object.assign(new Error("socket"), { code }) });
    expect(isDatabaseUnavailable(wrapped("EPIPE"))).toBe(true);
    expect(isDatabaseUnavailable(wrapped("42601"))).toBe(false);
    // 55000 from a query (not the connection's start) is no outage.
    expect(isDatabaseUnavailable(wrapped("55000"))).toBe(false);
  });
});
