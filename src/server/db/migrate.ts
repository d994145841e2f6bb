import path from "node:path";

import { drizzle } from "drizzle-orm/postgres-js";
import { migrate } from "drizzle-orm/postgres-js/migrator";
import postgres from "postgres";

import { normalizeDatabaseUrl } from "./connection";
import { errorCodeOf } from "./errors";

/** Any fixed 64-bit number; every migrator takes the same lock so concurrent runs queue. */
const MIGRATION_LOCK_KEY = 7_135_821_447;

/**
 * Applies the SQL migrations in `drizzle/`. Idempotent, and safe to run from several
 * processes at once — two deploys building together, several app instances starting — because
 * a session-level advisory lock serialises them: give it a direct connection, not a transaction
 * pooler (see `migrationDatabaseUrl` in ./connection.ts). Creates the database first when the
 * server has no database of that name yet (a fresh local machine).
 */
export async function migrateDatabase(url: string, migrationsFolder = path.resolve("drizzle")) {
  const databaseUrl = normalizeDatabaseUrl(url);
  await createDatabaseIfMissing(databaseUrl);
  const client = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await client`select pg_advisory_lock(${MIGRATION_LOCK_KEY})`;
    await migrate(drizzle(client), { migrationsFolder });
  } finally {
    await client.end();
  }
}

const INVALID_CATALOG_NAME = "3D000";

async function createDatabaseIfMissing(databaseUrl: string) {
  const probe = postgres(databaseUrl, { max: 1, onnotice: () => {} });
  try {
    await probe`select 1`;
    return;
  } catch (error) {
    if (errorCodeOf(error) !== INVALID_CATALOG_NAME) throw error;
  } finally {
    await probe.end();
  }
  const url = new URL(databaseUrl);
  const name = decodeURIComponent(url.pathname.slice(1));
  url.pathname = "/postgres";
  const admin = postgres(url.toString(), { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`create database "${name.replaceAll('"', '""')}"`);
  } catch (error) {
    // Another process created it between our probe and now: "already exists", or a unique
    // violation on pg_database when both CREATEs ran at the same moment.
    if (!["42P04", "23505"].includes(errorCodeOf(error) ?? "")) throw error;
  } finally {
    await admin.end();
  }
}
