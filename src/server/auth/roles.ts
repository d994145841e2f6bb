/**
 * Roles are granted and revoked only by an operator (`npm run admin`, scripts/admin.ts), never
 * by a name: each change is one transaction that updates users.role and appends a role_changes
 * row naming who ran it, so the trail and the role never disagree.
 */
import { asc, desc, eq, sql } from "drizzle-orm";
import { z } from "zod";

import type { Database } from "~/server/db";
import { roleChanges, users } from "~/server/db/schema";

/** Any stored username: a credentials name or a GitHub account's `gh-…` (users_username_format). */
export const anyUsernameSchema = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^([a-z0-9_]{3,32}|gh-[a-z0-9_-]{1,29})$/, "is not a username (3-32 of a-z, 0-9, _; or gh-… for a GitHub account)");

/** Who made a change, as the trail shows it: an operator's name, not a secret. */
export const actorSchema = z
  .string()
  .trim()
  .min(1, "must not be empty")
  .max(100, "must be at most 100 characters")
  .refine((actor) => !/[\p{Cc}\p{Cf}]/u.test(actor), "must not contain control characters");

export type RoleChangeResult =
  | { ok: true; changed: boolean; user: { id: string; username: string; role: "user" | "admin" } }
  | { ok: false; reason: "UNKNOWN_USER" };

export type Admin = { userId: string; username: string; displayName: string; banned: boolean; grantedAt: Date | null; grantedBy: string | null };

/** Makes the user an admin; `changed: false` (and no trail row) when they already are. */
export function grantAdmin(db: Database, username: string, actor: string) {
  return setRole(db, username, "admin", actor);
}

/** Takes the admin role away; `changed: false` (and no trail row) when they did not have it. */
export function revokeAdmin(db: Database, username: string, actor: string) {
  return setRole(db, username, "user", actor);
}

async function setRole(db: Database, rawUsername: string, role: "user" | "admin", rawActor: string): Promise<RoleChangeResult> {
  const username = anyUsernameSchema.parse(rawUsername);
  const actor = actorSchema.parse(rawActor);
  return db.transaction(async (tx) => {
    // Locked: two operators changing the same user queue, so each trail row records a real change.
    const [user] = await tx
      .select({ id: users.id, username: users.username, role: users.role })
      .from(users)
      .where(eq(sql`lower(${users.username})`, username))
      .for("update");
    if (!user) return { ok: false, reason: "UNKNOWN_USER" } as const;
    if (user.role === role) return { ok: true, changed: false, user } as const;
    await tx.update(users).set({ role }).where(eq(users.id, user.id));
    await tx.insert(roleChanges).values({ userId: user.id, change: role === "admin" ? "grant" : "revoke", role: "admin", actor });
    return { ok: true, changed: true, user: { ...user, role } } as const;
  });
}

/** Every admin, with the latest grant (when and by whom), by username. */
export async function listAdmins(db: Database): Promise<Admin[]> {
  const latestGrant = db
    .selectDistinctOn([roleChanges.userId], { userId: roleChanges.userId, at: roleChanges.createdAt, actor: roleChanges.actor })
    .from(roleChanges)
    .where(eq(roleChanges.change, "grant"))
    .orderBy(roleChanges.userId, desc(roleChanges.createdAt), desc(roleChanges.id))
    .as("latest_grant");
  return db
    .select({
      userId: users.id,
      username: users.username,
      displayName: users.displayName,
      banned: users.banned,
      grantedAt: latestGrant.at,
      grantedBy: latestGrant.actor,
    })
    .from(users)
    .leftJoin(latestGrant, eq(latestGrant.userId, users.id))
    .where(eq(users.role, "admin"))
    .orderBy(asc(users.username));
}
