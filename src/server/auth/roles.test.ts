/**
 * Roles by operator (PRODUCT.md, Sign-in): no name makes an admin; `npm run admin -- grant` /
 * `revoke` (./roles.ts, scripts/admin.ts) do, each change audited in role_changes with its actor,
 * in the same transaction. Against this file's own database.
 */
import { randomBytes } from "node:crypto";
import os from "node:os";

import { desc, eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";

import { services } from "~/server/composition-root";
import { errorCodeOf } from "~/server/db/errors";
import { roleChanges, users } from "~/server/db/schema";
import { runAdminCli } from "../../../test/support/admin-cli";
import { TEST_PASSWORD } from "../../../test/support/users";
import { isActiveAdmin, signUp, upsertGithubUser, type SessionUser } from "./accounts";
import { grantAdmin, listAdmins, revokeAdmin } from "./roles";

const { db } = services;

const hex = () => randomBytes(4).toString("hex");

async function signUpOk(username: string): Promise<SessionUser> {
  const result = await signUp(db, { username, password: TEST_PASSWORD });
  if (!result.ok) throw new Error(`sign-up of ${username} failed: ${result.reason}`);
  return result.user;
}

/** A user without the cost of hashing a password. */
async function createUser(username = `role_${hex()}`) {
  const [row] = await db.insert(users).values({ username, displayName: username }).returning({ id: users.id });
  return { id: row!.id, username };
}

async function trailOf(userId: string) {
  return db
    .select({ change: roleChanges.change, role: roleChanges.role, actor: roleChanges.actor })
    .from(roleChanges)
    .where(eq(roleChanges.userId, userId))
    .orderBy(roleChanges.id);
}

describe("no name makes an admin", () => {
  it("a user who signs up as `admin` or `root_admin` is not one until an operator grants it, and not after revoking", async () => {
    for (const username of ["admin", "root_admin"]) {
      const user = await signUpOk(username);
      expect(user.role).toBe("user");
      expect(await isActiveAdmin(db, user.id)).toBe(false);

      expect(await grantAdmin(db, username, "alice-ops")).toEqual({ ok: true, changed: true, user: { id: user.id, username, role: "admin" } });
      expect(await isActiveAdmin(db, user.id)).toBe(true);

      expect(await revokeAdmin(db, username, "bob-ops")).toEqual({ ok: true, changed: true, user: { id: user.id, username, role: "user" } });
      expect(await isActiveAdmin(db, user.id)).toBe(false);

      expect(await trailOf(user.id)).toEqual([
        { change: "grant", role: "admin", actor: "alice-ops" },
        { change: "revoke", role: "admin", actor: "bob-ops" },
      ]);
    }
  });

  it("a GitHub account named after an admin-sounding login is not one either", async () => {
    const user = await upsertGithubUser(db, { githubId: String(Date.now()), login: "Site-Admin" });
    expect(user).toMatchObject({ username: "gh-site-admin", role: "user" });
    expect(await isActiveAdmin(db, user.id)).toBe(false);
  });
});

describe("grantAdmin / revokeAdmin", () => {
  it("is a no-op without a trail row when the user already has (or lacks) the role", async () => {
    const user = await createUser();
    expect(await revokeAdmin(db, user.username, "ops")).toMatchObject({ ok: true, changed: false, user: { role: "user" } });
    await grantAdmin(db, user.username, "ops");
    expect(await grantAdmin(db, user.username, "ops again")).toMatchObject({ ok: true, changed: false, user: { role: "admin" } });
    expect(await trailOf(user.id)).toEqual([{ change: "grant", role: "admin", actor: "ops" }]);
  });

  it("refuses an unknown username, changing nothing", async () => {
    const [before] = await db.select({ n: sql<number>`count(*)::int` }).from(roleChanges);
    expect(await grantAdmin(db, `nobody_${hex()}`, "ops")).toEqual({ ok: false, reason: "UNKNOWN_USER" });
    const [after] = await db.select({ n: sql<number>`count(*)::int` }).from(roleChanges);
    expect(after!.n).toBe(before!.n);
  });

  it("finds the user whatever the case typed, and validates what it is given", async () => {
    const user = await createUser();
    expect(await grantAdmin(db, ` ${user.username.toUpperCase()} `, "ops")).toMatchObject({ ok: true, changed: true });
    await expect(grantAdmin(db, "no spaces allowed", "ops")).rejects.toThrow(/is not a username/);
    await expect(grantAdmin(db, user.username, "   ")).rejects.toThrow(/must not be empty/);
    await expect(grantAdmin(db, user.username, "ops\u0000")).rejects.toThrow(/control characters/);
  });

  it("records exactly one change when two operators grant at once", async () => {
    const user = await createUser();
    const results = await Promise.all([grantAdmin(db, user.username, "ops one"), grantAdmin(db, user.username, "ops two")]);
    expect(results.map((result) => result.ok && result.changed).sort()).toEqual([false, true]);
    expect(await trailOf(user.id)).toHaveLength(1);
  });

  it("keeps a banned admin out (isActiveAdmin reads role and ban from the database on every call)", async () => {
    const user = await createUser();
    await grantAdmin(db, user.username, "ops");
    expect(await isActiveAdmin(db, user.id)).toBe(true);
    await db.update(users).set({ banned: true }).where(eq(users.id, user.id));
    expect(await isActiveAdmin(db, user.id)).toBe(false);
  });
});

describe("role_changes", () => {
  it("is append-only: UPDATE, DELETE and TRUNCATE are refused", async () => {
    const user = await createUser();
    await grantAdmin(db, user.username, "ops");
    for (const statement of [
      sql`update role_changes set actor = 'someone else' where user_id = ${user.id}`,
      sql`delete from role_changes where user_id = ${user.id}`,
      sql`truncate role_changes`,
    ]) {
      const refused = await db.execute(statement).then(
        () => null,
        (error: unknown) => error,
      );
      expect(errorCodeOf(refused)).toBe("42501");
    }
    expect(await trailOf(user.id)).toEqual([{ change: "grant", role: "admin", actor: "ops" }]);
  });
});

describe("listAdmins", () => {
  it("lists each admin with the latest grant, and no one else", async () => {
    const [first, second, never] = [await createUser(), await createUser(), await createUser()];
    await grantAdmin(db, first.username, "ops one");
    await grantAdmin(db, second.username, "ops two");
    await revokeAdmin(db, second.username, "ops two");
    await grantAdmin(db, second.username, "ops three");
    const admins = await listAdmins(db);
    const byName = new Map(admins.map((admin) => [admin.username, admin]));
    expect(byName.get(first.username)).toMatchObject({ userId: first.id, grantedBy: "ops one", banned: false });
    expect(byName.get(second.username)).toMatchObject({ userId: second.id, grantedBy: "ops three" });
    expect(byName.get(second.username)?.grantedAt).toBeInstanceOf(Date);
    expect(byName.has(never.username)).toBe(false);
    expect(admins.map((admin) => admin.username)).toEqual([...admins.map((admin) => admin.username)].sort());
  });
});

describe("npm run admin (scripts/admin.ts) against DATABASE_URL", () => {
  // Six child processes, each starting tsx: seconds apiece on a busy machine.
  it("grants, refuses to grant twice, lists, revokes, and refuses unknown users and bad usage", async () => {
    const user = await createUser(`cli_${hex()}`);
    const lastActor = async () =>
      (await db.select({ actor: roleChanges.actor }).from(roleChanges).where(eq(roleChanges.userId, user.id)).orderBy(desc(roleChanges.id)).limit(1))[0]?.actor;

    const granted = await runAdminCli(["grant", user.username], { ADMIN_ACTOR: "carol from ops" });
    expect(granted).toMatchObject({ code: 0, stdout: expect.stringContaining(`✓ ${user.username} is now an admin (recorded: grant by carol from ops)`) });
    expect(granted.stdout).toContain(new URL(process.env.DATABASE_URL!).pathname);
    expect(await isActiveAdmin(db, user.id)).toBe(true);
    expect(await lastActor()).toBe("carol from ops");

    const [again, listed, unknown, usage] = await Promise.all([
      runAdminCli(["grant", user.username, "--by", "dave"]),
      runAdminCli(["list"]),
      runAdminCli(["revoke", `nobody_${hex()}`]),
      runAdminCli(["promote", user.username]),
    ]);
    expect(again).toMatchObject({ code: 0, stdout: expect.stringContaining(`${user.username} is already an admin: nothing changed`) });
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${user.username}\\t"${user.username}"\\tgranted \\S+ by carol from ops$`, "m"));
    expect(unknown).toMatchObject({ code: 1, stderr: expect.stringMatching(/no user named "nobody_\w+": nothing changed/) });
    expect(usage).toMatchObject({ code: 2, stderr: expect.stringContaining("usage: npm run admin -- grant <username>") });

    // Without --by or ADMIN_ACTOR, the trail names the operating-system user.
    const revoked = await runAdminCli(["revoke", user.username], { ADMIN_ACTOR: undefined });
    expect(revoked).toMatchObject({ code: 0, stdout: expect.stringContaining(`✓ ${user.username} is no longer an admin`) });
    expect(await isActiveAdmin(db, user.id)).toBe(false);
    expect(await lastActor()).toBe(os.userInfo().username);
    expect(await trailOf(user.id)).toHaveLength(2);
  }, 120_000);
});
