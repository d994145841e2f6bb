import { randomBytes, randomUUID } from "node:crypto";
import { readdirSync } from "node:fs";
import path from "node:path";

import { eq, sql } from "drizzle-orm";
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";

import { services } from "~/server/composition-root";
import { errorCodeOf } from "./errors";
import { migrateDatabase } from "./migrate";
import { scoreActions, users } from "./schema";

const { db } = services;

const DATABASE_URL = process.env.DATABASE_URL!;
const MIGRATION_FILES = readdirSync(path.resolve("drizzle")).filter((name) => name.endsWith(".sql"));

const uniqueName = (prefix = "u") => `${prefix}_${randomBytes(6).toString("hex")}`;

/** A URL for another database on the run's server; the name keeps the run's prefix so a crashed run's leftovers are cleaned. */
function siblingDatabaseUrl(suffix: string) {
  const url = new URL(DATABASE_URL);
  const name = `${decodeURIComponent(url.pathname.slice(1))}_${suffix}`;
  url.pathname = `/${name}`;
  return { url: url.toString(), name };
}

const createdDatabases: string[] = [];

afterAll(async () => {
  if (createdDatabases.length === 0) return;
  const url = new URL(DATABASE_URL);
  url.pathname = "/postgres";
  const admin = postgres(url.toString(), { max: 1, onnotice: () => {} });
  try {
    for (const name of createdDatabases) await admin.unsafe(`drop database if exists "${name}" with (force)`);
  } finally {
    await admin.end();
  }
});

async function withClient<T>(url: string, run: (client: postgres.Sql) => Promise<T>): Promise<T> {
  const client = postgres(url, { max: 1, onnotice: () => {} });
  try {
    return await run(client);
  } finally {
    await client.end();
  }
}

async function appliedMigrations(client: postgres.Sql) {
  const rows = await client<{ hash: string }[]>`select hash from drizzle.__drizzle_migrations`;
  return rows.map((row) => row.hash);
}

async function publicTables(client: postgres.Sql) {
  const rows = await client<{ table_name: string }[]>`
    select table_name from information_schema.tables where table_schema = 'public' order by table_name`;
  return rows.map((row) => row.table_name);
}

/** The error a promise rejects with (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the statement to be refused, but it succeeded");
}

async function insertUser() {
  const username = uniqueName();
  const [user] = await db.insert(users).values({ username, displayName: username }).returning();
  return user!;
}

async function insertAction(userId: string, values: { previousScore: number; delta: number; newScore: number }) {
  const [row] = await db
    .insert(scoreActions)
    .values({ userId, actionId: randomUUID(), actionType: "TEST_ACTION", ...values })
    .returning();
  return row!;
}

describe("migrateDatabase", () => {
  it("has migration files to apply", () => {
    expect(MIGRATION_FILES.length).toBeGreaterThanOrEqual(2);
  });

  it("is idempotent and safe to run concurrently: three parallel runs leave one row per migration", async () => {
    await expect(Promise.all([1, 2, 3].map(() => migrateDatabase(DATABASE_URL)))).resolves.toHaveLength(3);
    await withClient(DATABASE_URL, async (client) => {
      const hashes = await appliedMigrations(client);
      expect(hashes).toHaveLength(MIGRATION_FILES.length);
      expect(new Set(hashes).size).toBe(MIGRATION_FILES.length);
    });
    // And once more, sequentially.
    await migrateDatabase(DATABASE_URL);
    await withClient(DATABASE_URL, async (client) => {
      expect(await appliedMigrations(client)).toHaveLength(MIGRATION_FILES.length);
    });
  });

  it("creates a missing database and migrates it", async () => {
    const target = siblingDatabaseUrl(`m${randomBytes(3).toString("hex")}`);
    createdDatabases.push(target.name);
    await migrateDatabase(target.url);

    await withClient(target.url, async (client) => {
      expect(await publicTables(client)).toEqual(["action_refusals", "moderation_actions", "role_changes", "score_actions", "scores", "users", "window_scores"]);
      expect(await appliedMigrations(client)).toHaveLength(MIGRATION_FILES.length);
      const triggers = await client<{ tgname: string }[]>`
        select tgname from pg_trigger where tgrelid = 'score_actions'::regclass and not tgisinternal order by tgname`;
      expect(triggers.map((row) => row.tgname)).toEqual(["score_actions_immutable", "score_actions_no_truncate"]);
    });
  });

  it("creates a missing database when several migrators start at once", async () => {
    const target = siblingDatabaseUrl(`c${randomBytes(3).toString("hex")}`);
    createdDatabases.push(target.name);
    await Promise.all([1, 2, 3].map(() => migrateDatabase(target.url)));

    await withClient(target.url, async (client) => {
      expect(await publicTables(client)).toEqual(["action_refusals", "moderation_actions", "role_changes", "score_actions", "scores", "users", "window_scores"]);
      expect(await appliedMigrations(client)).toHaveLength(MIGRATION_FILES.length);
    });
  });
});

describe("the audit table (score_actions)", () => {
  it("is append-only: UPDATE, DELETE and TRUNCATE are refused and the row stays as written", async () => {
    const user = await insertUser();
    const row = await insertAction(user.id, { previousScore: 0, delta: 10, newScore: 10 });
    const stillThere = async () => {
      const rows = await db.select().from(scoreActions).where(eq(scoreActions.id, row.id));
      expect(rows).toEqual([row]);
    };

    const update = await rejection(
      db.update(scoreActions).set({ metadata: { tampered: true } }).where(eq(scoreActions.id, row.id)),
    );
    expect(errorCodeOf(update)).toBe("42501");
    await stillThere();

    // A consistent rewrite (passes the CHECK) is refused just the same.
    const rewrite = await rejection(
      db.update(scoreActions).set({ delta: 1_000, newScore: 1_000 }).where(eq(scoreActions.id, row.id)),
    );
    expect(errorCodeOf(rewrite)).toBe("42501");
    await stillThere();

    const remove = await rejection(db.delete(scoreActions).where(eq(scoreActions.id, row.id)));
    expect(errorCodeOf(remove)).toBe("42501");
    await stillThere();

    // Never let a truncate commit, even if the trigger were missing: the file's other tests use this table.
    const truncate = await rejection(
      db.transaction(async (tx) => {
        await tx.execute(sql`truncate table score_actions`);
        tx.rollback();
      }),
    );
    expect(errorCodeOf(truncate)).toBe("42501");
    await stillThere();
  });

  it("refuses a row whose new_score is not previous_score + delta", async () => {
    const user = await insertUser();
    const error = await rejection(insertAction(user.id, { previousScore: 0, delta: 10, newScore: 11 }));
    expect(errorCodeOf(error)).toBe("23514");
    const rows = await db.select().from(scoreActions).where(eq(scoreActions.userId, user.id));
    expect(rows).toEqual([]);
    // The consistent row is accepted, including negative deltas.
    await insertAction(user.id, { previousScore: 0, delta: 10, newScore: 10 });
    await insertAction(user.id, { previousScore: 10, delta: -3, newScore: 7 });
  });

  it("refuses a second row with the same (user_id, action_id)", async () => {
    const user = await insertUser();
    const first = await insertAction(user.id, { previousScore: 0, delta: 10, newScore: 10 });
    const duplicate = await rejection(
      db.insert(scoreActions).values({
        userId: user.id,
        actionId: first.actionId,
        actionType: "TEST_ACTION",
        previousScore: 10,
        delta: 10,
        newScore: 20,
      }),
    );
    expect(errorCodeOf(duplicate)).toBe("23505");
    expect(await db.select().from(scoreActions).where(eq(scoreActions.userId, user.id))).toHaveLength(1);

    // The same action id for another user is a different action.
    const other = await insertUser();
    await db.insert(scoreActions).values({
      userId: other.id,
      actionId: first.actionId,
      actionType: "TEST_ACTION",
      previousScore: 0,
      delta: 10,
      newScore: 10,
    });
  });
});

describe("usernames at the database level", () => {
  it("refuses upper-case and otherwise badly formed usernames with the CHECK constraint", async () => {
    for (const username of [`Caps_${randomBytes(4).toString("hex")}`, "ab", "a".repeat(33), "a-b-c", "café"]) {
      const error = await rejection(db.insert(users).values({ username, displayName: username }));
      expect(errorCodeOf(error), username).toBe("23514");
    }
  });

  it("refuses a duplicate username", async () => {
    const username = uniqueName();
    await db.insert(users).values({ username, displayName: "first" });
    const error = await rejection(db.insert(users).values({ username, displayName: "second" }));
    expect(errorCodeOf(error)).toBe("23505");
    const rows = await db.select().from(users).where(eq(users.username, username));
    expect(rows.map((row) => row.displayName)).toEqual(["first"]);
  });

  it("enforces uniqueness on lower(username)", async () => {
    await withClient(DATABASE_URL, async (client) => {
      const rows = await client<{ indexdef: string }[]>`
        select indexdef from pg_indexes where tablename = 'users' and indexname = 'users_username_lower_key'`;
      expect(rows).toHaveLength(1);
      expect(rows[0]!.indexdef).toMatch(/^CREATE UNIQUE INDEX .* \(lower\(username\)\)$/);
    });
  });
});
