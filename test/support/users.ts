import { eq } from "drizzle-orm";
import type { Session } from "next-auth";
import { expect } from "vitest";

import { env } from "~/env.js";
import { signUp, type SessionUser } from "~/server/auth/accounts";
import { db } from "~/server/db";
import { users } from "~/server/db/schema";

export const TEST_PASSWORD = "s3cret-passw0rd";

/** A next-auth session for the user, valid for an hour, as the tRPC context receives it. */
export function sessionFor(user: SessionUser): Session {
  return { user, expires: new Date(Date.now() + 60 * 60 * 1000).toISOString() };
}

/** The configured admin (ADMIN_USERNAMES=root_admin for vitest): the first call in a test file creates it, later calls read it. */
export async function rootAdmin(): Promise<SessionUser> {
  const result = await signUp(db, env.ADMIN_USERNAMES, { username: "root_admin", password: TEST_PASSWORD });
  if (result.ok) return result.user;
  expect(result.reason).toBe("USERNAME_TAKEN");
  const [row] = await db.select().from(users).where(eq(users.username, "root_admin"));
  if (!row) throw new Error("root_admin is taken but not found");
  return { id: row.id, username: row.username, name: row.displayName, role: row.role };
}
