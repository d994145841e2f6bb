/**
 * `npm run db:migrate`: apply the SQL migrations in drizzle/ to the database, through its direct
 * connection (DATABASE_URL_UNPOOLED when set; see src/server/db/connection.ts). Also the first
 * step of `npm run vercel-build`, so every deploy, previews included, comes up migrated.
 */
import nextEnv from "@next/env";

nextEnv.loadEnvConfig(process.cwd());
const { env } = await import("../src/env.js");
const { migrateDatabase } = await import("../src/server/db/migrate.js");
const { migrationDatabaseUrl } = await import("../src/server/db/connection.js");

const url = migrationDatabaseUrl(env.DATABASE_URL, { unpooledUrl: env.DATABASE_URL_UNPOOLED, pooler: env.DATABASE_POOLER });
const target = new URL(url);
const started = performance.now();
await migrateDatabase(url);
console.log(`✓ database migrated: ${target.hostname}${target.pathname} (${Math.round(performance.now() - started)} ms)`);
