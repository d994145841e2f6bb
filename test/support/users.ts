import { eq } from "drizzle-orm";
import type { Session } from "next-auth";
import { expect } from "vitest";

import { signUp, type SessionUser } from "~/server/auth/accounts";
import { grantAdmin } from "~/server/auth/roles";
import { services } from "~/server/composition-root";
import { users } from "~/server/db/schema";

const { db } = services;

export const TEST_PASSWORD = "s3cret-passw0rd";

/** A next-auth session for the user, valid for an hour, as the tRPC context receives it. */
export function sessionFor(user: SessionUser): Session {
  return { user, expires: new Date(Date.now() + 60 * 60 * 1000).toISOString() };
}

/** The test file's admin, granted as an operator grants one: the first call in a test file creates it, later calls read it. */
export async function rootAdmin(): Promise<SessionUser> {
  const result = await signUp(db, { username: "root_admin", password: TEST_PASSWORD });
  if (!result.ok) expect(result.reason).toBe("USERNAME_TAKEN");
  expect(await grantAdmin(db, "root_admin", "vitest")).toMatchObject({ ok: true, user: { role: "admin" } });
  const [row] = await db.select().from(users).where(eq(users.username, "root_admin"));
  if (!row) throw new Error("root_admin is taken but not found");
  return { id: row.id, username: row.username, name: row.displayName, role: row.role };
}
