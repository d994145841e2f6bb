import { randomBytes, randomUUID } from "node:crypto";

import { describe, expect, it } from "vitest";

import { ACTION_RULES, ACTION_TOKEN_TTL_MS, type ActionType } from "./rules";
import { actionTokenKey, claimedActionType, issueActionToken, verifyActionToken, type ActionClaims } from "./token";

const key = actionTokenKey({ authSecret: randomBytes(32).toString("base64url"), environment: "production" });
const T0 = Date.UTC(2024, 0, 1, 12, 0, 0);

function claims(overrides: Partial<ActionClaims> = {}): ActionClaims {
  return { userId: randomUUID(), actionType: "COMPLETE_TASK", actionId: randomUUID(), issuedAt: T0, ...overrides };
}

/** When the token of `c` may first be submitted. */
const readyAt = (c: ActionClaims) => c.issuedAt + ACTION_RULES[c.actionType].minSeconds * 1000;

/** The token's six dot-separated fields. */
function fields(token: string) {
  const parts = token.split(".");
  expect(parts).toHaveLength(6);
  return parts;
}

describe("issueActionToken / verifyActionToken", () => {
  it("round-trips: a token verifies for its user and action and yields the claims it was issued with", () => {
    for (const actionType of Object.keys(ACTION_RULES) as ActionType[]) {
      const c = claims({ actionType });
      const issued = issueActionToken(key, c);
      expect(issued).toMatchObject({ actionId: c.actionId, actionType });
      expect(issued.issuedAt.getTime()).toBe(T0);
      expect(issued.minCompleteAt.getTime()).toBe(T0 + ACTION_RULES[actionType].minSeconds * 1000);
      expect(issued.expiresAt.getTime()).toBe(T0 + 5 * 60 * 1000);

      const check = verifyActionToken(key, issued.token, { userId: c.userId, actionId: c.actionId }, readyAt(c) + 1);
      expect(check).toEqual({ ok: true, claims: c });
    }
  });

  it("binds the user: another user's id is INVALID_TOKEN", () => {
    const c = claims();
    const { token } = issueActionToken(key, c);
    expect(verifyActionToken(key, token, { userId: randomUUID(), actionId: c.actionId }, readyAt(c))).toEqual({
      ok: false,
      reason: "INVALID_TOKEN",
    });
  });

  it("binds the action id: a different actionId in the input is INVALID_TOKEN", () => {
    const c = claims();
    const { token } = issueActionToken(key, c);
    expect(verifyActionToken(key, token, { userId: c.userId, actionId: randomUUID() }, readyAt(c))).toEqual({
      ok: false,
      reason: "INVALID_TOKEN",
    });
  });

  it("binds the action type: changing it in the token text (to a higher-paying one) is INVALID_TOKEN", () => {
    const c = claims({ actionType: "COMPLETE_TASK" });
    const { token } = issueActionToken(key, c);
    const parts = fields(token);
    expect(parts[2]).toBe("COMPLETE_TASK");
    for (const other of ["DAILY_BONUS", "WIN_MATCH"]) {
      const edited = [parts[0], parts[1], other, parts[3], parts[4], parts[5]].join(".");
      expect(verifyActionToken(key, edited, c, readyAt(c) + 60_000)).toEqual({ ok: false, reason: "INVALID_TOKEN" });
    }
  });

  it("binds the issue time: moving it (earlier to skip the wait, later to extend the life) is INVALID_TOKEN", () => {
    const c = claims({ actionType: "WIN_MATCH" });
    const { token } = issueActionToken(key, c);
    const parts = fields(token);
    expect(parts[4]).toBe(String(T0));
    for (const issuedAt of [T0 - 10_000, T0 + ACTION_TOKEN_TTL_MS, T0 + 1]) {
      const edited = [parts[0], parts[1], parts[2], parts[3], String(issuedAt), parts[5]].join(".");
      expect(verifyActionToken(key, edited, c, T0 + 6_000)).toEqual({ ok: false, reason: "INVALID_TOKEN" });
    }
  });

  it("binds the user inside the token too: swapping in another user id (and submitting as them) is INVALID_TOKEN", () => {
    const c = claims();
    const victim = randomUUID();
    const parts = fields(issueActionToken(key, c).token);
    const edited = [parts[0], victim, parts[2], parts[3], parts[4], parts[5]].join(".");
    expect(verifyActionToken(key, edited, { userId: victim, actionId: c.actionId }, readyAt(c))).toEqual({
      ok: false,
      reason: "INVALID_TOKEN",
    });
  });

  it("refuses a token signed with a different key, even with claims that match exactly", () => {
    const c = claims();
    const otherKey = actionTokenKey({ authSecret: randomBytes(32).toString("base64url"), environment: "production" });
    const { token } = issueActionToken(otherKey, c);
    expect(verifyActionToken(key, token, c, readyAt(c))).toEqual({ ok: false, reason: "INVALID_TOKEN" });
    // …and the same claims signed with the right key are fine.
    expect(verifyActionToken(key, issueActionToken(key, c).token, c, readyAt(c)).ok).toBe(true);
  });

  it("refuses a token whose signature was flipped in one character", () => {
    const c = claims();
    const { token } = issueActionToken(key, c);
    const signature = fields(token)[5]!;
    const flipped = (signature[0] === "A" ? "B" : "A") + signature.slice(1);
    const edited = token.slice(0, token.length - signature.length) + flipped;
    expect(edited).not.toBe(token);
    expect(verifyActionToken(key, edited, c, readyAt(c))).toEqual({ ok: false, reason: "INVALID_TOKEN" });
  });

  it("answers INVALID_TOKEN, without throwing, for truncated, extended, garbage, empty and huge tokens", () => {
    const c = claims();
    const { token } = issueActionToken(key, c);
    const parts = fields(token);
    const [version, userId, actionType, actionId, issuedAt, signature] = parts as [string, string, string, string, string, string];
    const variants: Record<string, string> = {
      "empty": "",
      "one dot": ".",
      "five dots": ".....",
      "truncated by one character": token.slice(0, -1),
      "truncated to the body": parts.slice(0, 5).join("."),
      "signature cut in half": `${parts.slice(0, 5).join(".")}.${signature.slice(0, 20)}`,
      "signature doubled": `${token}${signature}`,
      "extra part at the end": `${token}.x`,
      "extra part at the start": `v1.${token}`,
      "extra empty part": `${token}.`,
      "missing version": [userId, actionType, actionId, issuedAt, signature].join("."),
      "version changed": ["v2", userId, actionType, actionId, issuedAt, signature].join("."),
      "garbage": "not-a-token",
      "garbage with six parts": "a.b.c.d.e.f",
      "unicode": "v1.ü.😀.\u0000.\uFFFF.∞",
      "non-base64 signature": `${parts.slice(0, 5).join(".")}.!!!!****`,
      "huge": "x".repeat(1_000_000),
      "huge with six parts": `${"a".repeat(500_000)}.b.c.d.e.${"f".repeat(500_000)}`,
      "whitespace around": ` ${token} `,
      "signature of another token": `${parts.slice(0, 5).join(".")}.${fields(issueActionToken(key, claims()).token)[5]}`,
      "signature only": signature,
    };
    expect(version).toBe("v1");
    for (const [name, variant] of Object.entries(variants)) {
      let check: ReturnType<typeof verifyActionToken> | undefined;
      expect(() => {
        check = verifyActionToken(key, variant, c, readyAt(c));
      }, name).not.toThrow();
      expect(check, name).toEqual({ ok: false, reason: "INVALID_TOKEN" });
    }
    // The untouched token still verifies, so the refusals above are about the edits.
    expect(verifyActionToken(key, token, c, readyAt(c)).ok).toBe(true);
  });
});

describe("timing", () => {
  it("is TOO_FAST before minCompleteAt and accepted exactly at minCompleteAt", () => {
    for (const actionType of ["COMPLETE_TASK", "WIN_MATCH"] as const) {
      const c = claims({ actionType });
      const { token, minCompleteAt } = issueActionToken(key, c);
      const at = minCompleteAt.getTime();
      expect(at).toBe(T0 + ACTION_RULES[actionType].minSeconds * 1000);
      expect(verifyActionToken(key, token, c, T0)).toEqual({ ok: false, reason: "TOO_FAST" });
      expect(verifyActionToken(key, token, c, at - 1)).toEqual({ ok: false, reason: "TOO_FAST" });
      expect(verifyActionToken(key, token, c, at).ok).toBe(true);
    }
  });

  it("is TOKEN_EXPIRED at issuedAt + 5 minutes (and later), valid one millisecond before", () => {
    const c = claims({ actionType: "WIN_MATCH" });
    const { token, expiresAt } = issueActionToken(key, c);
    expect(expiresAt.getTime()).toBe(T0 + 5 * 60 * 1000);
    expect(verifyActionToken(key, token, c, expiresAt.getTime() - 1).ok).toBe(true);
    expect(verifyActionToken(key, token, c, expiresAt.getTime())).toEqual({ ok: false, reason: "TOKEN_EXPIRED" });
    expect(verifyActionToken(key, token, c, expiresAt.getTime() + 24 * 60 * 60 * 1000)).toEqual({
      ok: false,
      reason: "TOKEN_EXPIRED",
    });
  });

  it("checks the signature before the clock: an expired or early forgery is INVALID_TOKEN, not a timing reason", () => {
    const c = claims({ actionType: "WIN_MATCH" });
    const otherKey = actionTokenKey({ authSecret: randomBytes(32).toString("base64url"), environment: "production" });
    const { token } = issueActionToken(otherKey, c);
    expect(verifyActionToken(key, token, c, T0)).toEqual({ ok: false, reason: "INVALID_TOKEN" });
    expect(verifyActionToken(key, token, c, T0 + ACTION_TOKEN_TTL_MS)).toEqual({ ok: false, reason: "INVALID_TOKEN" });
  });

  it("accepts DAILY_BONUS (0 s minimum) at the very moment it was issued", () => {
    const c = claims({ actionType: "DAILY_BONUS" });
    const { token, minCompleteAt } = issueActionToken(key, c);
    expect(minCompleteAt.getTime()).toBe(T0);
    expect(verifyActionToken(key, token, c, T0)).toEqual({ ok: true, claims: c });
  });
});

describe("actionTokenKey", () => {
  const authSecret = randomBytes(32).toString("base64url");
  const actionTokenSecret = randomBytes(32).toString("base64url");

  it("derives a key from AUTH_SECRET that is not the secret itself, stable for one secret and different for another", () => {
    const derived = actionTokenKey({ authSecret, environment: "production" });
    expect(derived.length).toBe(32);
    expect(derived.equals(Buffer.from(authSecret))).toBe(false);
    expect(derived.equals(actionTokenKey({ authSecret, environment: "production" }))).toBe(true);
    expect(derived.equals(actionTokenKey({ authSecret: randomBytes(32).toString("base64url"), environment: "production" }))).toBe(false);
  });

  it("uses ACTION_TOKEN_SECRET when set: a different key from the AUTH_SECRET-derived one, so tokens do not cross", () => {
    const derived = actionTokenKey({ authSecret, environment: "production" });
    const separate = actionTokenKey({ authSecret, actionTokenSecret, environment: "production" });
    expect(separate.equals(derived)).toBe(false);
    // An unset (undefined or empty) ACTION_TOKEN_SECRET falls back to the derived key.
    expect(actionTokenKey({ authSecret, actionTokenSecret: undefined, environment: "production" }).equals(derived)).toBe(true);
    expect(actionTokenKey({ authSecret, actionTokenSecret: "", environment: "production" }).equals(derived)).toBe(true);

    const c = claims();
    const fromDerived = issueActionToken(derived, c).token;
    const fromSeparate = issueActionToken(separate, c).token;
    expect(verifyActionToken(separate, fromDerived, c, readyAt(c))).toEqual({ ok: false, reason: "INVALID_TOKEN" });
    expect(verifyActionToken(derived, fromSeparate, c, readyAt(c))).toEqual({ ok: false, reason: "INVALID_TOKEN" });
    expect(verifyActionToken(separate, fromSeparate, c, readyAt(c)).ok).toBe(true);
  });
});

describe("actionTokenKey across deployment environments", () => {
  it("gives each environment its own key from one secret, so a preview's token is refused by production", () => {
    const authSecret = randomBytes(32).toString("base64url");
    const production = actionTokenKey({ authSecret, environment: "production" });
    const preview = actionTokenKey({ authSecret, environment: "preview" });
    expect(preview.equals(production)).toBe(false);

    const c = claims();
    const fromPreview = issueActionToken(preview, c).token;
    expect(verifyActionToken(production, fromPreview, c, readyAt(c))).toEqual({ ok: false, reason: "INVALID_TOKEN" });
    expect(verifyActionToken(preview, fromPreview, c, readyAt(c)).ok).toBe(true);
  });
});

describe("claimedActionType", () => {
  it("reads the action type a token claims, signed or not, and null for anything else", () => {
    for (const actionType of Object.keys(ACTION_RULES) as ActionType[]) {
      expect(claimedActionType(issueActionToken(key, claims({ actionType })).token)).toBe(actionType);
    }
    const forged = issueActionToken(actionTokenKey({ authSecret: "another secret", environment: "production" }), claims({ actionType: "WIN_MATCH" }));
    expect(claimedActionType(forged.token)).toBe("WIN_MATCH");
    const [version, userId, , actionId, issuedAt, signature] = fields(issueActionToken(key, claims()).token);
    expect(claimedActionType([version, userId, "MADE_UP", actionId, issuedAt, signature].join("."))).toBeNull();
    for (const malformed of ["", "v1.forged", "a.b.COMPLETE_TASK.d.e", "a.b.COMPLETE_TASK.d.e.f.g"]) expect(claimedActionType(malformed)).toBeNull();
  });
});
