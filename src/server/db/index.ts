import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";

import { env } from "~/env.js";
import { databaseClientConfig, type ClientSettings } from "./connection";
import * as schema from "./schema";

/** A pool, sized and tuned in ./connection.ts; the process's own is made once, by the composition root. */
export function createDatabase(
  databaseUrl: string,
  settings: ClientSettings = { serverless: env.VERCEL, pooler: env.DATABASE_POOLER, poolMax: env.DATABASE_POOL_MAX },
) {
  const { url, options } = databaseClientConfig(databaseUrl, settings);
  const client = postgres(url, options);
  return { db: drizzle(client, { schema }), client };
}

export type Database = ReturnType<typeof createDatabase>["db"];
