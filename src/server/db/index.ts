import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";

import { env } from "~/env.js";
import { processWide } from "~/server/process-wide";
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

// One pool per process: every bundle that loads this module, and every hot reload, shares it.
export const db = processWide("database", () => createDatabase(env.DATABASE_URL)).db;

