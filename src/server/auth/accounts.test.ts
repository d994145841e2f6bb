import { randomBytes, randomInt } from "node:crypto";

import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";

import { db } from "~/server/db";
import { scores, users } from "~/server/db/schema";
import { credentialsSchema, signIn, signUp, upsertGithubUser, type SessionUser } from "./accounts";

const PASSWORD = "s3cret-passw0rd";
const NO_ADMINS: ReadonlySet<string> = new Set();

/** A fresh lower-case username: the file's tests share its database. */
const uniqueName = (prefix = "u") => `${prefix}_${randomBytes(6).toString("hex")}`;
const uniqueGithubId = () => String(randomInt(1, 2 ** 47));

async function rowsNamed(username: string) {
  return db.select().from(users).where(eq(sql`lower(${users.username})`, username.toLowerCase()));
}

async function storedRole(userId: string) {
  const [row] = await db.select({ role: users.role }).from(users).where(eq(users.id, userId));
  return row?.role;
}

async function signUpOk(username: string, admins = NO_ADMINS): Promise<SessionUser> {
  const result = await signUp(db, admins, { username, password: PASSWORD });
  if (!result.ok) throw new Error(`sign-up of ${username} failed: ${result.reason}`);
  return result.user;
}

function expectSessionUserOnly(user: SessionUser) {
  expect(Object.keys(user).sort()).toEqual(["id", "name", "role", "username"]);
  expect(JSON.stringify(user)).not.toContain("scrypt");
  expect(JSON.stringify(user)).not.toContain(PASSWORD);
}

describe("signUp", () => {
  it("creates the user with display name = username, role user, and a score row at 0", async () => {
    const username = uniqueName();
    const result = await signUp(db, NO_ADMINS, { username, password: PASSWORD });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.user).toEqual({ id: expect.any(String), username, name: username, role: "user" });
    expectSessionUserOnly(result.user);

    const [row] = await db.select().from(users).where(eq(users.id, result.user.id));
    expect(row?.username).toBe(username);
    expect(row?.displayName).toBe(username);
    expect(row?.role).toBe("user");
    expect(row?.banned).toBe(false);
    expect(row?.hidden).toBe(false);
    expect(row?.passwordHash).toMatch(/^scrypt\$/);
    expect(row?.passwordHash).not.toContain(PASSWORD);

    const [score] = await db.select().from(scores).where(eq(scores.userId, result.user.id));
    expect(score?.score).toBe(0);
  });

  it("refuses a name already taken in another case (as the credentials form sends it) without a second row", async () => {
    const username = uniqueName();
    const first = await signUpOk(username);

    const again = credentialsSchema.parse({ username: username.toUpperCase(), password: "another-password", intent: "signup" });
    expect(await signUp(db, NO_ADMINS, again)).toEqual({ ok: false, reason: "USERNAME_TAKEN" });
    expect(await signUp(db, NO_ADMINS, { username, password: PASSWORD })).toEqual({ ok: false, reason: "USERNAME_TAKEN" });

    const rows = await rowsNamed(username);
    expect(rows.map((row) => row.id)).toEqual([first.id]);
    // The original account still signs in with its own password, not the second attempt's.
    expect((await signIn(db, NO_ADMINS, { username, password: PASSWORD })).ok).toBe(true);
    expect(await signIn(db, NO_ADMINS, { username, password: "another-password" })).toEqual({
      ok: false,
      reason: "INVALID_CREDENTIALS",
    });
  });

  it("gives role admin to a name in the admin set", async () => {
    const username = uniqueName("adm");
    const user = await signUpOk(username, new Set([username]));
    expect(user.role).toBe("admin");
    expect(await storedRole(user.id)).toBe("admin");
  });
});

describe("signIn", () => {
  it("signs in with the right password and returns the same user", async () => {
    const username = uniqueName();
    const created = await signUpOk(username);
    const result = await signIn(db, NO_ADMINS, { username, password: PASSWORD });
    expect(result).toEqual({ ok: true, user: created });
    if (result.ok) expectSessionUserOnly(result.user);
  });

  it("matches the username case-insensitively, also when called with upper case directly", async () => {
    const username = uniqueName("abc");
    const created = await signUpOk(username);

    const result = await signIn(db, NO_ADMINS, { username: username.toUpperCase(), password: PASSWORD });
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.user.id).toBe(created.id);

    const parsed = credentialsSchema.parse({ username: ` ${username.toUpperCase()} `, password: PASSWORD, intent: "signin" });
    const viaForm = await signIn(db, NO_ADMINS, parsed);
    expect(viaForm.ok && viaForm.user.id).toBe(created.id);
  });

  it("answers INVALID_CREDENTIALS for a wrong password and for an unknown username alike", async () => {
    const username = uniqueName();
    await signUpOk(username);
    expect(await signIn(db, NO_ADMINS, { username, password: "wrong-password" })).toEqual({
      ok: false,
      reason: "INVALID_CREDENTIALS",
    });
    expect(await signIn(db, NO_ADMINS, { username, password: PASSWORD.toUpperCase() })).toEqual({
      ok: false,
      reason: "INVALID_CREDENTIALS",
    });
    expect(await signIn(db, NO_ADMINS, { username: uniqueName("nobody"), password: PASSWORD })).toEqual({
      ok: false,
      reason: "INVALID_CREDENTIALS",
    });
  });

  it("refuses password sign-in for a GitHub-only account (no password hash)", async () => {
    const user = await upsertGithubUser(db, NO_ADMINS, { githubId: uniqueGithubId(), login: `gh-${randomBytes(5).toString("hex")}` });
    expect(await signIn(db, NO_ADMINS, { username: user.username, password: PASSWORD })).toEqual({
      ok: false,
      reason: "INVALID_CREDENTIALS",
    });
  });

  it("re-syncs the stored role with the admin set at every sign-in (promote, then demote)", async () => {
    const username = uniqueName("role");
    const user = await signUpOk(username);
    expect(await storedRole(user.id)).toBe("user");

    const promoted = await signIn(db, new Set(["someone_else", username]), { username, password: PASSWORD });
    expect(promoted.ok && promoted.user.role).toBe("admin");
    expect(await storedRole(user.id)).toBe("admin");

    const demoted = await signIn(db, NO_ADMINS, { username, password: PASSWORD });
    expect(demoted.ok && demoted.user.role).toBe("user");
    expect(await storedRole(user.id)).toBe("user");
  });

  it("does not change the role on a failed sign-in", async () => {
    const username = uniqueName("role");
    const user = await signUpOk(username);
    expect(await signIn(db, new Set([username]), { username, password: "wrong-password" })).toEqual({
      ok: false,
      reason: "INVALID_CREDENTIALS",
    });
    expect(await storedRole(user.id)).toBe("user");
  });
});

describe("credentialsSchema", () => {
  const valid = { username: "good_name_1", password: "12345678", intent: "signin" };

  it("accepts valid credentials, trimming and lower-casing the username", () => {
    expect(credentialsSchema.parse(valid)).toEqual(valid);
    expect(credentialsSchema.parse({ ...valid, username: "  Good_Name_1 ", intent: "signup" })).toEqual({
      ...valid,
      intent: "signup",
    });
    expect(credentialsSchema.safeParse({ ...valid, username: "abc" }).success).toBe(true);
    expect(credentialsSchema.safeParse({ ...valid, username: "a".repeat(32) }).success).toBe(true);
    expect(credentialsSchema.safeParse({ ...valid, password: "p".repeat(128) }).success).toBe(true);
  });

  it.each([
    ["2 characters", "ab"],
    ["33 characters", "a".repeat(33)],
    ["a hyphen", "a-b"],
    ["a non-ASCII letter", "é"],
    ["a non-ASCII letter in a valid length", "café"],
    ["a space inside", "ab cd"],
    ["empty", ""],
  ])("rejects a username with %s", (_label, username) => {
    const result = credentialsSchema.safeParse({ ...valid, username });
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((issue) => issue.path.join("."))).toContain("username");
  });

  it("rejects passwords of 7 and 129 characters", () => {
    for (const password of ["p".repeat(7), "p".repeat(129)]) {
      const result = credentialsSchema.safeParse({ ...valid, password });
      expect(result.success, `${password.length} characters`).toBe(false);
      expect(result.error?.issues.map((issue) => issue.path.join("."))).toEqual(["password"]);
    }
  });

  it("rejects an unknown or missing intent", () => {
    expect(credentialsSchema.safeParse({ ...valid, intent: "register" }).success).toBe(false);
    expect(credentialsSchema.safeParse({ ...valid, intent: "SIGNIN" }).success).toBe(false);
    expect(credentialsSchema.safeParse({ username: valid.username, password: valid.password }).success).toBe(false);
  });
});

describe("upsertGithubUser", () => {
  it("creates a user with a sanitised username, the profile name, no password and a score row", async () => {
    const suffix = randomBytes(4).toString("hex");
    const githubId = uniqueGithubId();
    const user = await upsertGithubUser(db, NO_ADMINS, { githubId, login: `Some-User-${suffix}`, name: "Some User" });
    expect(user).toEqual({ id: expect.any(String), username: `some_user_${suffix}`, name: "Some User", role: "user" });
    expectSessionUserOnly(user);

    const [row] = await db.select().from(users).where(eq(users.id, user.id));
    expect(row?.githubId).toBe(githubId);
    expect(row?.passwordHash).toBeNull();
    const [score] = await db.select().from(scores).where(eq(scores.userId, user.id));
    expect(score?.score).toBe(0);
  });

  it("uses the login as display name when the profile has no name", async () => {
    const login = `Plain-${randomBytes(4).toString("hex")}`;
    const user = await upsertGithubUser(db, NO_ADMINS, { githubId: uniqueGithubId(), login, name: null });
    expect(user.name).toBe(login);
    expect(user.username).toBe(login.toLowerCase().replace("-", "_"));
  });

  it("returns the same user for the same GitHub id, without a second row", async () => {
    const githubId = uniqueGithubId();
    const login = `Twice-${randomBytes(4).toString("hex")}`;
    const first = await upsertGithubUser(db, NO_ADMINS, { githubId, login });
    const second = await upsertGithubUser(db, NO_ADMINS, { githubId, login, name: "Renamed" });
    expect(second.id).toBe(first.id);
    expect(second.username).toBe(first.username);
    const rows = await db.select().from(users).where(eq(users.githubId, githubId));
    expect(rows).toHaveLength(1);
  });

  it("gives a different, valid username when the sanitised login belongs to a password user", async () => {
    const suffix = randomBytes(4).toString("hex");
    const taken = `clash_${suffix}`;
    const passwordUser = await signUpOk(taken);

    const githubUser = await upsertGithubUser(db, NO_ADMINS, { githubId: uniqueGithubId(), login: `Clash-${suffix}` });
    expect(githubUser.id).not.toBe(passwordUser.id);
    expect(githubUser.username).not.toBe(taken);
    expect(githubUser.username).toMatch(/^[a-z0-9_]{3,32}$/);

    // The password account is untouched and still signs in.
    const [row] = await db.select().from(users).where(eq(users.id, passwordUser.id));
    expect(row?.githubId).toBeNull();
    const signedIn = await signIn(db, NO_ADMINS, { username: taken, password: PASSWORD });
    expect(signedIn.ok && signedIn.user.id).toBe(passwordUser.id);
  });

  it("re-syncs the role of a returning GitHub user", async () => {
    const githubId = uniqueGithubId();
    const login = `Promo-${randomBytes(4).toString("hex")}`;
    const first = await upsertGithubUser(db, NO_ADMINS, { githubId, login });
    expect(first.role).toBe("user");
    const again = await upsertGithubUser(db, new Set([first.username]), { githubId, login });
    expect(again.role).toBe("admin");
    expect(await storedRole(first.id)).toBe("admin");
  });
});
