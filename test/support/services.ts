/**
 * Real services for tests: Postgres databases cloned from one migrated template per run, an
 * Upstash bridge in front of the machine's redis-server, and Redis key prefixes of their own.
 * Whatever a run creates it removes (databases dropped, keys deleted); a database left by a
 * crashed run is dropped by a later one.
 *
 * A run migrates once (`createTemplate`); each test file, e2e spec file or script then takes a
 * database of its own (`createTestEnv`, a copy of the template: about 0.1 s), so no test ever
 * sees another's rows.
 */
import { randomBytes } from "node:crypto";

import { Redis as IORedis } from "ioredis";
import postgres from "postgres";

import { startUpstashBridge } from "../../scripts/upstash-bridge";
import { migrateDatabase } from "../../src/server/db/migrate";

const POSTGRES_SERVER_URL = process.env.TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const DATABASE_PREFIX = "scoreboard_test_";
/** A database left by a crashed run older than this is dropped by the next run. */
const STALE_AFTER_MS = 6 * 60 * 60 * 1000;

/** What the app needs to run against one set of services. */
export type TestEnv = {
  DATABASE_URL: string;
  REDIS_URL: string;
  UPSTASH_REDIS_REST_URL: string;
  UPSTASH_REDIS_REST_TOKEN: string;
  REDIS_KEY_PREFIX: string;
  AUTH_SECRET: string;
  /** A production app answers /api/metrics only to this bearer (404 without one). */
  METRICS_TOKEN: string;
};

/** A run's shared part: the migrated template and the bridge. Serialisable, so it can cross processes. */
export type TestRun = {
  runId: string;
  templateDatabase: string;
  bridgeUrl: string;
  bridgeToken: string;
};

/** `<time>_<random>`: stale databases are recognised by the time (see dropStaleDatabases). */
const suffix = () => `${Date.now().toString(36)}_${randomBytes(3).toString("hex")}`;

function databaseUrl(name: string) {
  const url = new URL(POSTGRES_SERVER_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

async function withServer<T>(work: (server: postgres.Sql) => Promise<T>) {
  const server = postgres(POSTGRES_SERVER_URL, { max: 1, onnotice: () => {} });
  try {
    return await work(server);
  } finally {
    await server.end();
  }
}

/** Starts a run: drops stale databases, migrates a template, starts a bridge. `stop()` undoes all of it. */
export async function startTestRun(label: string): Promise<{ run: TestRun; stop(): Promise<void> }> {
  if (label.includes("_")) throw new Error(`run label "${label}" must not contain "_"`);
  const runId = `${label}_${suffix()}`;
  const templateDatabase = `${DATABASE_PREFIX}${runId}`;
  await withServer(async (server) => {
    await dropStaleDatabases(server);
    await server.unsafe(`create database "${templateDatabase}"`);
  });
  await migrateDatabase(databaseUrl(templateDatabase));
  const bridgeToken = randomBytes(24).toString("base64url");
  const bridge = await startUpstashBridge({ port: 0, token: bridgeToken, redisUrl: REDIS_URL });
  return {
    run: { runId, templateDatabase, bridgeUrl: bridge.url, bridgeToken },
    async stop() {
      await bridge.close();
      await withServer((server) => server.unsafe(`drop database if exists "${templateDatabase}" with (force)`));
    },
  };
}

/**
 * A database and key prefix of their own, on the run's services: the environment for one test
 * file or one app. `stop()` drops the database and deletes the keys.
 */
export async function createTestEnv(run: TestRun, label: string): Promise<{ env: TestEnv; stop(): Promise<void> }> {
  const id = randomBytes(4).toString("hex");
  // The run's name first: a crashed run's copies are dropped with its template (dropStaleDatabases).
  const database = `${run.templateDatabase}_${id}`;
  await withServer((server) => server.unsafe(`create database "${database}" template "${run.templateDatabase}"`));
  const keyPrefix = `test:${run.runId}:${label}_${id}:`;
  return {
    env: {
      DATABASE_URL: databaseUrl(database),
      REDIS_URL,
      UPSTASH_REDIS_REST_URL: run.bridgeUrl,
      UPSTASH_REDIS_REST_TOKEN: run.bridgeToken,
      REDIS_KEY_PREFIX: keyPrefix,
      AUTH_SECRET: randomBytes(32).toString("base64url"),
      METRICS_TOKEN: randomBytes(24).toString("base64url"),
    },
    async stop() {
      await deleteKeys(keyPrefix);
      await withServer((server) => server.unsafe(`drop database if exists "${database}" with (force)`));
    },
  };
}

/** A run with one environment, for a script that needs just one (the smoke test). */
export async function startTestServices(label: string) {
  const run = await startTestRun(label);
  try {
    const own = await createTestEnv(run.run, "app");
    return {
      env: own.env,
      async stop() {
        await own.stop();
        await run.stop();
      },
    };
  } catch (error) {
    await run.stop();
    throw error;
  }
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

/** Databases of runs that crashed hours ago: their name carries their creation time. */
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
