import { eq, sql } from "drizzle-orm";
import { z } from "zod";

import type { Database } from "~/server/db";
import { isUniqueViolation } from "~/server/db/errors";
import { scores, users, type User } from "~/server/db/schema";
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from "./password";
import { sanitizeDisplayName } from "./profile";

export const usernameSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[a-z0-9_]{3,32}$/, "must be 3-32 letters, digits or underscores");

export const credentialsSchema = z.object({
  username: usernameSchema,
  password: z.string().min(8, "must be at least 8 characters").max(128, "must be at most 128 characters"),
  intent: z.enum(["signup", "signin"]),
});

/**
 * Accounts made through GitHub are named `gh-<login>`: credentials names cannot contain '-', so
 * the two namespaces never meet (users_username_format in the schema allows exactly these two).
 */
const GITHUB_PREFIX = "gh-";
const USERNAME_MAX = 32;

export type Credentials = z.infer<typeof credentialsSchema>;
export type Role = User["role"];

/** What the session carries about a user. Ban state is not in it: procedures re-read that. */
export type SessionUser = { id: string; username: string; name: string; role: Role };

export type AccountResult = { ok: true; user: SessionUser } | { ok: false; reason: "USERNAME_TAKEN" | "INVALID_CREDENTIALS" };

function toSessionUser(user: Pick<User, "id" | "username" | "displayName" | "role">): SessionUser {
  return { id: user.id, username: user.username, name: user.displayName, role: user.role };
}

/** A new account has role `user`, whatever its name: only an operator grants more (./roles.ts). */
export async function signUp(db: Database, { username, password }: Pick<Credentials, "username" | "password">): Promise<AccountResult> {
  const passwordHash = await hashPassword(password);
  const user = await createUser(db, { username, displayName: username, passwordHash });
  return user ? { ok: true, user: toSessionUser(user) } : { ok: false, reason: "USERNAME_TAKEN" };
}

export async function signIn(db: Database, { username, password }: Pick<Credentials, "username" | "password">): Promise<AccountResult> {
  const [user] = await db
    .select()
    .from(users)
    .where(eq(sql`lower(${users.username})`, username.toLowerCase()));
  // Verify even when there is no such user, so response time does not reveal which names exist.
  const valid = await verifyPassword(password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);
  if (!user || !valid) return { ok: false, reason: "INVALID_CREDENTIALS" };
  return { ok: true, user: toSessionUser(user) };
}

/**
 * Whether the user may administer now: role admin in the database and not banned. Read on every
 * use — a session cookie may be 30 days old and must not keep lost powers.
 */
export async function isActiveAdmin(db: Database, userId: string) {
  const [row] = await db.select({ role: users.role, banned: users.banned }).from(users).where(eq(users.id, userId));
  return row !== undefined && !row.banned && row.role === "admin";
}

/**
 * The usernames to try for a GitHub account, in order: `gh-<login>` (lower case, cut to fit),
 * then `gh-<login, shorter>_<GitHub id>`. GitHub logins have no '_', so the second form is
 * unique to the account even when two logins share their first 29 characters.
 */
export function githubUsernames(login: string, githubId: string): string[] {
  const base = login.toLowerCase().replace(/[^a-z0-9-]/g, "");
  const withId = `${base.slice(0, USERNAME_MAX - GITHUB_PREFIX.length - githubId.length - 1)}_${githubId}`;
  return [...(base ? [base.slice(0, USERNAME_MAX - GITHUB_PREFIX.length)] : []), withId].map((name) => GITHUB_PREFIX + name);
}

/** Finds or creates the account behind a GitHub login. */
export async function upsertGithubUser(db: Database, profile: { githubId: string; login: string; name?: string | null }): Promise<SessionUser> {
  const [existing] = await db.select().from(users).where(eq(users.githubId, profile.githubId));
  if (existing) return toSessionUser(existing);

  for (const username of githubUsernames(profile.login, profile.githubId)) {
    // The profile's name is whatever its owner typed: held to the same rules as names typed here.
    const displayName = sanitizeDisplayName(profile.name ?? profile.login, username);
    const created = await createUser(db, { username, displayName, githubId: profile.githubId });
    if (created) return toSessionUser(created);
  }
  throw new Error(`could not derive a free username for GitHub user ${profile.githubId}`);
}

/** Inserts the user with a score of 0 (every user is ranked from the start); null when the name is taken. */
async function createUser(db: Database, values: typeof users.$inferInsert): Promise<User | null> {
  try {
    return await db.transaction(async (tx) => {
      const [created] = await tx.insert(users).values(values).returning();
      if (!created) throw new Error("insert returned no row");
      await tx.insert(scores).values({ userId: created.id });
      return created;
    });
  } catch (error) {
    if (isUniqueViolation(error)) return null;
    throw error;
  }
}
