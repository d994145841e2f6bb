import { drizzle } from "drizzle-orm/postgres-js";
import postgres from "postgres";

import { env } from "~/env.js";
import * as schema from "./schema";

export function createDatabase(url: string) {
  const client = postgres(url, {
    max: 10,
    // Release idle connections so short-lived instances do not pin server slots.
    idle_timeout: 20,
    connect_timeout: 5,
    onnotice: () => {},
  });
  return { db: drizzle(client, { schema }), client };
}

export type Database = ReturnType<typeof createDatabase>["db"];

// Hot reload re-evaluates this module; reuse one pool instead of leaking a new one each time.
const globalForDb = globalThis as unknown as { database?: ReturnType<typeof createDatabase> };
const database = globalForDb.database ?? createDatabase(env.DATABASE_URL);
if (env.NODE_ENV !== "production") globalForDb.database = database;

export const db = database.db;
