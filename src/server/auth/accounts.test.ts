import { randomBytes, randomInt } from "node:crypto";

import { eq, sql } from "drizzle-orm";
import { describe, expect, it } from "vitest";

import { services } from "~/server/composition-root";
import { scores, users } from "~/server/db/schema";
import { credentialsSchema, githubUsernames, signIn, signUp, upsertGithubUser, type SessionUser } from "./accounts";
import { displayNameSchema } from "./profile";
import { grantAdmin, revokeAdmin } from "./roles";

const { db } = services;

const PASSWORD = "s3cret-passw0rd";

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

async function signUpOk(username: string): Promise<SessionUser> {
  const result = await signUp(db, { username, password: PASSWORD });
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
    const result = await signUp(db, { username, password: PASSWORD });
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
    expect(await signUp(db, again)).toEqual({ ok: false, reason: "USERNAME_TAKEN" });
    expect(await signUp(db, { username, password: PASSWORD })).toEqual({ ok: false, reason: "USERNAME_TAKEN" });

    const rows = await rowsNamed(username);
    expect(rows.map((row) => row.id)).toEqual([first.id]);
    // The original account still signs in with its own password, not the second attempt's.
    expect((await signIn(db, { username, password: PASSWORD })).ok).toBe(true);
    expect(await signIn(db, { username, password: "another-password" })).toEqual({
      ok: false,
      reason: "INVALID_CREDENTIALS",
    });
  });

  it.each(["admin", "root_admin", "administrator", "site_admin"])("gives a user who chooses the name %s role user, like anyone", async (name) => {
    // The file's database is shared: the bare name may already be taken by another test.
    for (const username of [name, `${name}_${randomBytes(3).toString("hex")}`]) {
      const result = await signUp(db, { username, password: PASSWORD });
      if (!result.ok) continue;
      expect(result.user.role).toBe("user");
      expect(await storedRole(result.user.id)).toBe("user");
    }
  });
});

describe("signIn", () => {
  it("signs in with the right password and returns the same user", async () => {
    const username = uniqueName();
    const created = await signUpOk(username);
    const result = await signIn(db, { username, password: PASSWORD });
    expect(result).toEqual({ ok: true, user: created });
    if (result.ok) expectSessionUserOnly(result.user);
  });

  it("matches the username case-insensitively, also when called with upper case directly", async () => {
    const username = uniqueName("abc");
    const created = await signUpOk(username);

    const result = await signIn(db, { username: username.toUpperCase(), password: PASSWORD });
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.user.id).toBe(created.id);

    const parsed = credentialsSchema.parse({ username: ` ${username.toUpperCase()} `, password: PASSWORD, intent: "signin" });
    const viaForm = await signIn(db, parsed);
    expect(viaForm.ok && viaForm.user.id).toBe(created.id);
  });

  it("answers INVALID_CREDENTIALS for a wrong password and for an unknown username alike", async () => {
    const username = uniqueName();
    await signUpOk(username);
    expect(await signIn(db, { username, password: "wrong-password" })).toEqual({
      ok: false,
      reason: "INVALID_CREDENTIALS",
    });
    expect(await signIn(db, { username, password: PASSWORD.toUpperCase() })).toEqual({
      ok: false,
      reason: "INVALID_CREDENTIALS",
    });
    expect(await signIn(db, { username: uniqueName("nobody"), password: PASSWORD })).toEqual({
      ok: false,
      reason: "INVALID_CREDENTIALS",
    });
  });

  it("refuses password sign-in for a GitHub-only account (no password hash)", async () => {
    const user = await upsertGithubUser(db, { githubId: uniqueGithubId(), login: `gh-${randomBytes(5).toString("hex")}` });
    expect(await signIn(db, { username: user.username, password: PASSWORD })).toEqual({
      ok: false,
      reason: "INVALID_CREDENTIALS",
    });
  });

  it("carries the role stored in the database, as an operator last set it", async () => {
    const username = uniqueName("role");
    const user = await signUpOk(username);
    expect(user.role).toBe("user");

    await grantAdmin(db, username, "accounts test");
    const promoted = await signIn(db, { username, password: PASSWORD });
    expect(promoted.ok && promoted.user.role).toBe("admin");

    await revokeAdmin(db, username, "accounts test");
    const demoted = await signIn(db, { username, password: PASSWORD });
    expect(demoted.ok && demoted.user.role).toBe("user");
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

describe("githubUsernames", () => {
  it.each([
    ["Some-User", "42", ["gh-some-user", "gh-some-user_42"]],
    ["Site-Admin", "7", ["gh-site-admin", "gh-site-admin_7"]],
    ["a".repeat(39), "1234567890", [`gh-${"a".repeat(29)}`, `gh-${"a".repeat(18)}_1234567890`]],
    ["", "99", ["gh-_99"]],
    ["ÄÖ_x.y", "5", ["gh-xy", "gh-xy_5"]],
  ])("%j (id %s) → %j", (login, githubId, expected) => {
    const names = githubUsernames(login, githubId);
    expect(names).toEqual(expected);
    for (const name of names) {
      expect(name.length).toBeLessThanOrEqual(32);
      // Never a name the credentials form accepts.
      expect(credentialsSchema.shape.username.safeParse(name).success).toBe(false);
    }
  });
});

describe("upsertGithubUser", () => {
  it("creates a user named gh-<login>, with the profile name, no password, role user and a score row", async () => {
    const suffix = randomBytes(4).toString("hex");
    const githubId = uniqueGithubId();
    const user = await upsertGithubUser(db, { githubId, login: `Some-User-${suffix}`, name: "Some User" });
    expect(user).toEqual({ id: expect.any(String), username: `gh-some-user-${suffix}`, name: "Some User", role: "user" });
    expectSessionUserOnly(user);

    const [row] = await db.select().from(users).where(eq(users.id, user.id));
    expect(row?.githubId).toBe(githubId);
    expect(row?.passwordHash).toBeNull();
    const [score] = await db.select().from(scores).where(eq(scores.userId, user.id));
    expect(score?.score).toBe(0);
  });

  it("uses the login as display name when the profile has no name", async () => {
    const login = `Plain-${randomBytes(4).toString("hex")}`;
    const user = await upsertGithubUser(db, { githubId: uniqueGithubId(), login, name: null });
    expect(user.name).toBe(login);
    expect(user.username).toBe(`gh-${login.toLowerCase()}`);
  });

  it("holds the profile name to the display-name rules: invisible characters stripped, cut whole, else the username", async () => {
    const login = `Named-${randomBytes(4).toString("hex")}`;
    const sneaky = await upsertGithubUser(db, { githubId: uniqueGithubId(), login, name: "\u202Eevil\u200B name\u0007" });
    expect(sneaky.name).toBe("evil name");
    const emoji = await upsertGithubUser(db, { githubId: uniqueGithubId(), login: `${login}-2`, name: "😀".repeat(20) });
    expect(emoji.name).toBe("😀".repeat(16));
    const empty = await upsertGithubUser(db, { githubId: uniqueGithubId(), login: `${login}-3`, name: "\u200B\u2066\u2069 " });
    expect(empty.name).toBe(empty.username);
    for (const user of [sneaky, emoji, empty]) expect(displayNameSchema.safeParse(user.name).success).toBe(true);
  });

  it("returns the same user for the same GitHub id, without a second row", async () => {
    const githubId = uniqueGithubId();
    const login = `Twice-${randomBytes(4).toString("hex")}`;
    const first = await upsertGithubUser(db, { githubId, login });
    const second = await upsertGithubUser(db, { githubId, login, name: "Renamed" });
    expect(second.id).toBe(first.id);
    expect(second.username).toBe(first.username);
    const rows = await db.select().from(users).where(eq(users.githubId, githubId));
    expect(rows).toHaveLength(1);
  });

  it("never takes a credentials account's name: Clash-x and clash_x are different accounts", async () => {
    const suffix = randomBytes(4).toString("hex");
    const taken = `clash_${suffix}`;
    const passwordUser = await signUpOk(taken);
    const githubUser = await upsertGithubUser(db, { githubId: uniqueGithubId(), login: `Clash_${suffix}` });
    expect(githubUser.id).not.toBe(passwordUser.id);
    expect(githubUser.username).toBe(`gh-clash${suffix}`);

    // The password account is untouched and still signs in.
    const [row] = await db.select().from(users).where(eq(users.id, passwordUser.id));
    expect(row?.githubId).toBeNull();
    const signedIn = await signIn(db, { username: taken, password: PASSWORD });
    expect(signedIn.ok && signedIn.user.id).toBe(passwordUser.id);
  });

  it("gives the second of two logins that agree in their first 29 characters a name with its GitHub id", async () => {
    const shared = `long-${randomBytes(12).toString("hex")}`.slice(0, 29);
    const first = await upsertGithubUser(db, { githubId: uniqueGithubId(), login: `${shared}-one` });
    const secondId = uniqueGithubId();
    const second = await upsertGithubUser(db, { githubId: secondId, login: `${shared}-two` });
    expect(first.username).toBe(`gh-${shared}`);
    expect(second.username).toMatch(new RegExp(`^gh-${shared.slice(0, 10)}.*_${secondId}$`));
    expect(second.username.length).toBeLessThanOrEqual(32);
  });

  it("makes no admin of a GitHub login such as Site-Admin; a returning GitHub user keeps the role granted to them", async () => {
    const githubId = uniqueGithubId();
    const login = `Site-Admin-${randomBytes(3).toString("hex")}`;
    const first = await upsertGithubUser(db, { githubId, login });
    expect(first.role).toBe("user");
    await grantAdmin(db, first.username, "accounts test");
    const again = await upsertGithubUser(db, { githubId, login });
    expect(again.role).toBe("admin");
    expect(await storedRole(first.id)).toBe("admin");
  });
});
