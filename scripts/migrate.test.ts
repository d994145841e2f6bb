/**
 * `npm run db:migrate`, the first step of `npm run vercel-build`: run as a deploy runs it, as a
 * child process with only environment variables to go on.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdirSync } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";

import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const MIGRATIONS = readdirSync(path.resolve("drizzle")).filter((name) => name.endsWith(".sql")).length;
const created: string[] = [];

/** A database name on the run's server that nobody has created yet (the run's prefix, so leftovers are cleaned). */
function freshDatabaseUrl() {
  const url = new URL(process.env.DATABASE_URL!);
  const name = `${decodeURIComponent(url.pathname.slice(1))}_d${randomBytes(3).toString("hex")}`;
  url.pathname = `/${name}`;
  created.push(name);
  return url.toString();
}

function migrate(env: Record<string, string>) {
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(([key]) => !/^(DATABASE_|POSTGRES_|VERCEL|SKIP_DB_MIGRATIONS)/.test(key)),
  );
  const childEnv = { ...clean, ...env } as NodeJS.ProcessEnv;
  return run(path.resolve("node_modules/.bin/tsx"), ["scripts/migrate.ts"], { env: childEnv, timeout: 60_000 }).then(
    ({ stdout }) => ({ code: 0, output: stdout }),
    (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? 1, output: `${error.stdout}${error.stderr}` }),
  );
}

async function appliedMigrations(url: string) {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return (await client<{ hash: string }[]>`select hash from drizzle.__drizzle_migrations`).length;
  } finally {
    await client.end();
  }
}

afterAll(async () => {
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = "/postgres";
  const admin = postgres(url.toString(), { max: 1, onnotice: () => {} });
  try {
    for (const name of created) await admin.unsafe(`drop database if exists "${name}" with (force)`);
  } finally {
    await admin.end();
  }
});

describe("scripts/migrate.ts (vercel-build's first step)", () => {
  it("brings a fresh database up to date; two deploys at once and a third later are no-ops past the first", async () => {
    const url = freshDatabaseUrl();
    const [first, second] = await Promise.all([migrate({ DATABASE_URL: url }), migrate({ DATABASE_URL: url })]);
    expect(first.output).toMatch(/✓ database migrated/);
    expect([first.code, second.code]).toEqual([0, 0]);
    expect(await appliedMigrations(url)).toBe(MIGRATIONS);
    const again = await migrate({ DATABASE_URL: url });
    expect(again.code).toBe(0);
    expect(await appliedMigrations(url)).toBe(MIGRATIONS);
  });

  it("migrates through the direct URL when DATABASE_URL is a transaction pooler", async () => {
    const direct = freshDatabaseUrl();
    const pooled = new URL(direct);
    pooled.port = "6543";
    const result = await migrate({ DATABASE_URL: pooled.toString(), POSTGRES_URL_NON_POOLING: direct });
    expect(result.output).toMatch(/transaction pooler \(port 6543/);
    expect(result.code).toBe(0);
    expect(await appliedMigrations(direct)).toBe(MIGRATIONS);
  });

  it("refuses a transaction pooler without a direct URL, naming the variable to set", async () => {
    const result = await migrate({ DATABASE_URL: `${freshDatabaseUrl()}?pgbouncer=true` });
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/Set DATABASE_URL_UNPOOLED/);
  });

  it("refuses to migrate a local database from a Vercel build, naming the variable", async () => {
    const result = await migrate({ DATABASE_URL: freshDatabaseUrl(), VERCEL: "1" });
    expect(result.code).not.toBe(0);
    expect(result.output).toMatch(/DATABASE_URL: points at this machine \(127\.0\.0\.1\) on a Vercel deployment/);
  });
});
