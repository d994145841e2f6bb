/**
 * `npm run dev` and `npm start`: apply migrations, make sure Redis is reachable through
 * an Upstash-compatible endpoint, then run Next.js. With no configuration at all it
 * uses this machine's local Postgres and Redis (see README, Configuration).
 */
import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import path from "node:path";

import nextEnv from "@next/env";

import { isLoopbackUrl } from "../src/lib/loopback.js";

const mode = process.argv[2];
if (mode !== "dev" && mode !== "start") {
  console.error("usage: tsx scripts/serve.ts dev|start");
  process.exit(2);
}

Object.assign(process.env, { NODE_ENV: mode === "dev" ? "development" : "production" });
// This launcher runs the app on this machine's Postgres and Redis on purpose (README, Quick start;
// the e2e tests): a production server started here may use them (src/env.js; never on Vercel).
process.env.ALLOW_LOCAL_SERVICES ??= "1";
nextEnv.loadEnvConfig(process.cwd(), mode === "dev");

provideLocalSecret();
const { env } = await import("../src/env.js");
const { migrateDatabase } = await import("../src/server/db/migrate.js");
const { migrationDatabaseUrl } = await import("../src/server/db/connection.js");
const { ensureLocalBridge, withoutCredentials } = await import("./local-bridge.js");

try {
  await migrateDatabase(migrationDatabaseUrl(env.DATABASE_URL, { unpooledUrl: env.DATABASE_URL_UNPOOLED, pooler: env.DATABASE_POOLER }));
  console.log("✓ database migrated");
} catch (error) {
  console.error(`✗ could not migrate ${withoutCredentials(env.DATABASE_URL)}: ${(error as Error).message}`);
  console.error("  Is PostgreSQL running? Locally: pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql) main start");
  process.exit(1);
}

const localBridge = await ensureLocalBridge({
  restUrl: env.UPSTASH_REDIS_REST_URL,
  token: env.UPSTASH_REDIS_REST_TOKEN || undefined,
  redisUrl: env.REDIS_URL,
});
// Next.js reads it from its environment: the bridge's own token when none was configured.
if (localBridge) process.env.UPSTASH_REDIS_REST_TOKEN = localBridge.token;
if (localBridge && mode === "start") warnLocalBridge(env.UPSTASH_REDIS_REST_URL);

const child = spawn(path.resolve("node_modules/.bin/next"), [mode, "--port", String(env.PORT)], {
  stdio: "inherit",
  env: {
    ...process.env,
    NEXTAUTH_URL: process.env.NEXTAUTH_URL ?? `http://localhost:${env.PORT}`,
    NEXT_TELEMETRY_DISABLED: process.env.NEXT_TELEMETRY_DISABLED ?? "1",
  },
});
for (const signal of ["SIGINT", "SIGTERM"] as const) process.on(signal, () => child.kill(signal));
child.on("exit", async (code, signal) => {
  await localBridge?.bridge?.close();
  process.exit(code ?? (signal ? 1 : 0));
});

/**
 * A server whose database and Redis are both on this machine is a local one: when it has
 * no AUTH_SECRET, generate one and keep it in .local/ so sessions survive restarts.
 * Anything talking to remote services must be configured explicitly (env.js refuses).
 */
function provideLocalSecret() {
  if (process.env.AUTH_SECRET || process.env.NEXTAUTH_SECRET) return;
  const databaseUrl = process.env.DATABASE_URL || process.env.POSTGRES_URL;
  const restUrl = process.env.UPSTASH_REDIS_REST_URL || process.env.KV_REST_API_URL;
  const local = (!databaseUrl || isLoopbackUrl(databaseUrl)) && (!restUrl || isLoopbackUrl(restUrl));
  if (!local) return;
  const file = path.resolve(".local/auth-secret");
  let secret: string;
  try {
    secret = readFileSync(file, "utf8").trim();
  } catch {
    secret = randomBytes(32).toString("base64url");
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, secret, { mode: 0o600 });
  }
  process.env.AUTH_SECRET = secret;
  console.log(`• AUTH_SECRET not set: using the local one in .local/auth-secret (services are on this machine)`);
}

/** A production server on the local bridge is a development setup, whatever NODE_ENV says: say so where an operator looks. */
function warnLocalBridge(restUrl: string) {
  console.error(
    [
      "",
      "!!! WARNING: Redis is reached through the local Upstash bridge",
      `!!! (scripts/upstash-bridge.ts at ${restUrl}, in front of a local redis-server).`,
      "!!! The local Upstash bridge is for development only: a real deployment sets",
      "!!! UPSTASH_REDIS_REST_URL and UPSTASH_REDIS_REST_TOKEN to an Upstash database.",
      "",
    ].join("\n"),
  );
}
