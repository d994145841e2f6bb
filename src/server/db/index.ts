import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";

import { env } from "~/env.js";
import { databaseClientConfig, type ClientSettings } from "./connection";
import * as schema from "./schema";

/** One pool per process (per function instance on Vercel), sized and tuned in ./connection.ts. */
export function createDatabase(
  databaseUrl: string,
  settings: ClientSettings = { serverless: env.VERCEL, pooler: env.DATABASE_POOLER, poolMax: env.DATABASE_POOL_MAX },
) {
  const { url, options } = databaseClientConfig(databaseUrl, settings);
  const client = postgres(url, options);
  return { db: drizzle(client, { schema }), client };
}

export type Database = ReturnType<typeof createDatabase>["db"];

// Hot reload re-evaluates this module; reuse one pool instead of leaking a new one each time.
const globalForDb = globalThis as unknown as { database?: ReturnType<typeof createDatabase> };
const database = globalForDb.database ?? createDatabase(env.DATABASE_URL);
if (env.NODE_ENV !== "production") globalForDb.database = database;

export const db = database.db;
