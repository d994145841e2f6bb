/** `npm run db:migrate`: apply the SQL migrations in drizzle/ to DATABASE_URL. */
import nextEnv from "@next/env";

nextEnv.loadEnvConfig(process.cwd());
const { env } = await import("../src/env.js");
const { migrateDatabase } = await import("../src/server/db/migrate.js");

await migrateDatabase(env.DATABASE_URL);
console.log("✓ database migrated");
