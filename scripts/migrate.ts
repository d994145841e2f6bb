/**
 * `npm run db:migrate`: apply the SQL migrations in drizzle/ to the database, through its direct
 * connection (DATABASE_URL_UNPOOLED when set; see src/server/db/connection.ts). Idempotent, and
 * concurrent runs queue on an advisory lock (src/server/db/migrate.ts).
 *
 * Also the first step of `npm run vercel-build`, so every deploy — each preview with its own
 * database branch included — comes up migrated. SKIP_DB_MIGRATIONS=1 skips it, loudly: for a
 * build that must not touch a database (`npm run check:vercel`), or when you migrate elsewhere.
 */
import nextEnv from "@next/env";

nextEnv.loadEnvConfig(process.cwd());
const { env } = await import("../src/env.js");
const { migrateDatabase } = await import("../src/server/db/migrate.js");
const { databaseClientConfig, migrationDatabaseUrl } = await import("../src/server/db/connection.js");

const app = databaseClientConfig(env.DATABASE_URL, {
  serverless: env.VERCEL,
  pooler: env.DATABASE_POOLER,
  poolMax: env.DATABASE_POOL_MAX,
});
console.log(
  `• app database: ${new URL(app.url).hostname}, ${app.pooler.mode === "none" ? "no pooler" : `${app.pooler.mode} pooler`} ` +
    `(${app.pooler.reason}); prepared statements ${app.options.prepare ? "on" : "off"}, ` +
    `at most ${app.options.max} connections per instance`,
);

if (process.env.SKIP_DB_MIGRATIONS === "1") {
  console.log("! migrations skipped (SKIP_DB_MIGRATIONS=1): this deploy's database is NOT migrated");
} else {
  const url = migrationDatabaseUrl(env.DATABASE_URL, { unpooledUrl: env.DATABASE_URL_UNPOOLED, pooler: env.DATABASE_POOLER });
  const target = new URL(url);
  const started = performance.now();
  await migrateDatabase(url);
  console.log(`✓ database migrated: ${target.hostname}${target.pathname} (${Math.round(performance.now() - started)} ms)`);
}
