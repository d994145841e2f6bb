import { eq, sql } from "drizzle-orm";
import { z } from "zod";

import type { Database } from "~/server/db";
import { isUniqueViolation } from "~/server/db/errors";
import { scores, users, type User } from "~/server/db/schema";
import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from "./password";

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

export type Credentials = z.infer<typeof credentialsSchema>;
export type Role = User["role"];

/** What the session carries about a user. Ban state is not in it: procedures re-read that. */
export type SessionUser = { id: string; username: string; name: string; role: Role };

export type AccountResult = { ok: true; user: SessionUser } | { ok: false; reason: "USERNAME_TAKEN" | "INVALID_CREDENTIALS" };

/** ADMIN_USERNAMES is the authority on roles; the users table mirrors it at each sign-in. */
export function roleFor(username: string, adminUsernames: ReadonlySet<string>): Role {
  return adminUsernames.has(username.toLowerCase()) ? "admin" : "user";
}

function toSessionUser(user: Pick<User, "id" | "username" | "displayName" | "role">): SessionUser {
  return { id: user.id, username: user.username, name: user.displayName, role: user.role };
}

export async function signUp(
  db: Database,
  adminUsernames: ReadonlySet<string>,
  { username, password }: Pick<Credentials, "username" | "password">,
): Promise<AccountResult> {
  const passwordHash = await hashPassword(password);
  const user = await createUser(db, {
    username,
    displayName: username,
    passwordHash,
    role: roleFor(username, adminUsernames),
  });
  return user ? { ok: true, user: toSessionUser(user) } : { ok: false, reason: "USERNAME_TAKEN" };
}

export async function signIn(
  db: Database,
  adminUsernames: ReadonlySet<string>,
  { username, password }: Pick<Credentials, "username" | "password">,
): Promise<AccountResult> {
  const [user] = await db
    .select()
    .from(users)
    .where(eq(sql`lower(${users.username})`, username.toLowerCase()));
  // Verify even when there is no such user, so response time does not reveal which names exist.
  const valid = await verifyPassword(password, user?.passwordHash ?? DUMMY_PASSWORD_HASH);
  if (!user || !valid) return { ok: false, reason: "INVALID_CREDENTIALS" };
  return { ok: true, user: toSessionUser(await syncRole(db, user, adminUsernames)) };
}

/**
 * Whether the user may administer now: named in ADMIN_USERNAMES and not banned. Read from the
 * database on every use — a session cookie may be 30 days old and must not keep lost powers.
 */
export async function isActiveAdmin(db: Database, adminUsernames: ReadonlySet<string>, userId: string) {
  const [row] = await db.select({ username: users.username, banned: users.banned }).from(users).where(eq(users.id, userId));
  return row !== undefined && !row.banned && roleFor(row.username, adminUsernames) === "admin";
}

/** Finds or creates the account behind a GitHub login. */
export async function upsertGithubUser(
  db: Database,
  adminUsernames: ReadonlySet<string>,
  profile: { githubId: string; login: string; name?: string | null },
): Promise<SessionUser> {
  const [existing] = await db.select().from(users).where(eq(users.githubId, profile.githubId));
  if (existing) return toSessionUser(await syncRole(db, existing, adminUsernames));

  // GitHub logins allow '-' and upper case; ours do not. A clash gets the GitHub id appended.
  const base = profile.login.toLowerCase().replace(/[^a-z0-9_]/g, "_").slice(0, 20).padEnd(3, "_");
  const displayName = (profile.name ?? profile.login).slice(0, 64);
  for (const username of [base, `${base}_${profile.githubId}`.slice(0, 32)]) {
    const role = roleFor(username, adminUsernames);
    const created = await createUser(db, { username, displayName, githubId: profile.githubId, role });
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

async function syncRole(db: Database, user: User, adminUsernames: ReadonlySet<string>): Promise<User> {
  const role = roleFor(user.username, adminUsernames);
  if (role === user.role) return user;
  await db.update(users).set({ role }).where(eq(users.id, user.id));
  return { ...user, role };
}
