/**
 * Real services for one test run: a fresh Postgres database (migrated), an Upstash bridge
 * in front of the machine's redis-server, and a key prefix of its own. `stop()` drops the
 * database and deletes the run's keys, so runs never see each other's state.
 */
import { randomBytes } from "node:crypto";

import { Redis as IORedis } from "ioredis";
import postgres from "postgres";

import { migrateDatabase } from "../src/server/db/migrate";
import { startUpstashBridge } from "../scripts/upstash-bridge";

const POSTGRES_SERVER_URL = process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const DATABASE_PREFIX = "scoreboard_test_";
/** A database left by a crashed run older than this is dropped by the next run. */
const STALE_AFTER_MS = 6 * 60 * 60 * 1000;

export type TestEnv = {
  DATABASE_URL: string;
  REDIS_URL: string;
  UPSTASH_REDIS_REST_URL: string;
  UPSTASH_REDIS_REST_TOKEN: string;
  REDIS_KEY_PREFIX: string;
  AUTH_SECRET: string;
};

export async function startTestServices(label: string) {
  const runId = `${label}_${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;
  const databaseName = DATABASE_PREFIX + runId;
  const server = postgres(POSTGRES_SERVER_URL, { max: 1, onnotice: () => {} });
  await dropStaleDatabases(server);
  await server.unsafe(`create database "${databaseName}"`);

  const databaseUrl = new URL(POSTGRES_SERVER_URL);
  databaseUrl.pathname = `/${databaseName}`;
  await migrateDatabase(databaseUrl.toString());

  const token = randomBytes(24).toString("base64url");
  const bridge = await startUpstashBridge({ port: 0, token, redisUrl: REDIS_URL });
  const keyPrefix = `test:${runId}:`;

  const env: TestEnv = {
    DATABASE_URL: databaseUrl.toString(),
    REDIS_URL,
    UPSTASH_REDIS_REST_URL: bridge.url,
    UPSTASH_REDIS_REST_TOKEN: token,
    REDIS_KEY_PREFIX: keyPrefix,
    AUTH_SECRET: randomBytes(32).toString("base64url"),
  };

  return {
    env,
    async stop() {
      await bridge.close();
      await deleteKeys(keyPrefix);
      await server.unsafe(`drop database if exists "${databaseName}" with (force)`);
      await server.end();
    },
  };
}

/** Deletes every Redis key under `prefix` (SCAN, not KEYS: the server is shared). */
export async function deleteKeys(prefix: string) {
  const redis = new IORedis(REDIS_URL, { lazyConnect: true });
  try {
    await redis.connect();
    let cursor = "0";
    do {
      const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}*`, "COUNT", 1000);
      if (keys.length > 0) await redis.unlink(...keys);
      cursor = next;
    } while (cursor !== "0");
  } finally {
    redis.disconnect();
  }
}

async function dropStaleDatabases(server: postgres.Sql) {
  const rows = await server<{ datname: string }[]>`
    select datname from pg_database where datname like ${DATABASE_PREFIX + "%"}`;
  for (const { datname } of rows) {
    const createdMs = parseInt(datname.slice(DATABASE_PREFIX.length).split("_")[1] ?? "", 36);
    if (Number.isFinite(createdMs) && Date.now() - createdMs > STALE_AFTER_MS) {
      await server.unsafe(`drop database if exists "${datname}" with (force)`);
    }
  }
}
