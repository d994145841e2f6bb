import { describe, expect, it } from "vitest";

import { DUMMY_PASSWORD_HASH, hashPassword, verifyPassword } from "./password";

const PASSWORD = "Correct-Horse-42";

describe("hashPassword", () => {
  it("returns scrypt$N$r$p$salt$hash with base64url salt and key, never the password", async () => {
    const stored = await hashPassword(PASSWORD);
    const parts = stored.split("$");
    expect(parts).toHaveLength(6);
    const [scheme, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
    expect(scheme).toBe("scrypt");
    for (const param of [n, r, p]) expect(param).toMatch(/^[1-9][0-9]*$/);
    // N must be a power of two of at least OWASP's floor.
    expect(Number(n)).toBeGreaterThanOrEqual(2 ** 15);
    expect(Math.log2(Number(n)) % 1).toBe(0);
    expect(salt).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(hash).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(Buffer.from(salt, "base64url").length).toBeGreaterThanOrEqual(16);
    expect(Buffer.from(hash, "base64url").length).toBeGreaterThanOrEqual(32);
    expect(stored).not.toContain(PASSWORD);
    expect(stored.toLowerCase()).not.toContain(PASSWORD.toLowerCase());
  });

  it("salts every hash: two hashes of one password differ and both verify", async () => {
    const [first, second] = await Promise.all([hashPassword(PASSWORD), hashPassword(PASSWORD)]);
    expect(first).not.toBe(second);
    expect(first.split("$")[4]).not.toBe(second.split("$")[4]);
    expect(await verifyPassword(PASSWORD, first)).toBe(true);
    expect(await verifyPassword(PASSWORD, second)).toBe(true);
  });
});

describe("verifyPassword", () => {
  it("accepts the right password", async () => {
    expect(await verifyPassword(PASSWORD, await hashPassword(PASSWORD))).toBe(true);
  });

  it("accepts a non-ASCII password it hashed", async () => {
    const password = "pässwörd-ünïcode-密码";
    expect(await verifyPassword(password, await hashPassword(password))).toBe(true);
  });

  it("refuses a wrong password, a case variant, a prefix and the empty string", async () => {
    const stored = await hashPassword(PASSWORD);
    expect(await verifyPassword("Wrong-Horse-42", stored)).toBe(false);
    expect(await verifyPassword(PASSWORD.toLowerCase(), stored)).toBe(false);
    expect(await verifyPassword(PASSWORD.toUpperCase(), stored)).toBe(false);
    expect(await verifyPassword(PASSWORD.slice(0, -1), stored)).toBe(false);
    expect(await verifyPassword(`${PASSWORD} `, stored)).toBe(false);
    expect(await verifyPassword("", stored)).toBe(false);
  });

  it("refuses structurally malformed stored hashes", async () => {
    const stored = await hashPassword(PASSWORD);
    const [, n, r, p, salt, hash] = stored.split("$") as [string, string, string, string, string, string];
    const malformed = [
      "",
      "not-a-hash",
      PASSWORD,
      "scrypt$$$$$",
      `bcrypt$${n}$${r}$${p}$${salt}$${hash}`,
      `scrypt$${n}$${r}$${p}$${salt}`, // no hash
      `scrypt$${n}$${r}$${p}$$${hash}`, // no salt
      `scrypt$${n}$${r}$${p}$${salt}$${hash.slice(0, 20)}`, // truncated hash
    ];
    for (const candidate of malformed) {
      expect(await verifyPassword(PASSWORD, candidate), candidate).toBe(false);
    }
  });

  it("refuses (resolves false, does not throw) a stored hash with unusable scrypt parameters", async () => {
    const stored = await hashPassword(PASSWORD);
    const [, , r, p, salt, hash] = stored.split("$") as [string, string, string, string, string, string];
    const badParams = [
      `scrypt$abc$${r}$${p}$${salt}$${hash}`, // N not a number
      `scrypt$3$${r}$${p}$${salt}$${hash}`, // N not a power of two
      `scrypt$${2 ** 40}$${r}$${p}$${salt}$${hash}`, // N out of range
    ];
    for (const candidate of badParams) {
      await expect(verifyPassword(PASSWORD, candidate), candidate).resolves.toBe(false);
    }
  });
});

describe("DUMMY_PASSWORD_HASH", () => {
  it("has the shape of a real hash with the current parameters", async () => {
    const real = (await hashPassword(PASSWORD)).split("$");
    const dummy = DUMMY_PASSWORD_HASH.split("$");
    expect(dummy).toHaveLength(6);
    expect(dummy.slice(0, 4)).toEqual(real.slice(0, 4));
  });

  it("verifies no password", async () => {
    for (const password of [PASSWORD, "", "password", "AAAAAAAA", DUMMY_PASSWORD_HASH]) {
      expect(await verifyPassword(password, DUMMY_PASSWORD_HASH), password).toBe(false);
    }
  });
});
