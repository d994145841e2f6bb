/**
 * The credentials provider's authorize (./credentials.ts) as next-auth calls it: what it throws
 * becomes `?error=<message>` in a redirect URL, so it may only ever be a fixed code; failed
 * sign-ins are limited per username, also while Redis is down. Against this file's own database
 * and the run's Redis bridge.
 */
import { randomBytes } from "node:crypto";

import { Redis } from "@upstash/redis";
import { sql } from "drizzle-orm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { env } from "~/env.js";
import { services } from "~/server/composition-root";
import { createDatabase } from "~/server/db";
import { redisKeys } from "~/server/redis/keys";
import { createRateLimits } from "~/server/redis/rate-limit";
import { unreachableRedis } from "../../../test/support/broken-redis";
import { capturedLog } from "../../../test/support/captured-log";
import { TEST_PASSWORD } from "../../../test/support/users";
import { AUTH_ERRORS, authorizeCredentials, type CredentialsDeps } from "./credentials";

const { db, redis, leaderboard } = services;

const hex = () => randomBytes(5).toString("hex");

/** A database client that can never connect: nothing listens on port 1. */
const deadDatabase = createDatabase("postgres://postgres@127.0.0.1:1/nowhere");

beforeAll(async () => {
  // A statement that fails in a way sign-up does not expect: this file's database refuses users named broken_….
  await db.execute(sql`alter table users add constraint test_refuses_broken_names check (username !~ '^broken_')`);
});

afterAll(async () => {
  await deadDatabase.client.end({ timeout: 1 });
});

function deps(overrides: Partial<CredentialsDeps> & { signInUser?: string; redis?: Redis } = {}) {
  const { signInUser = "3/1h", redis: limitsRedis = redis, ...rest } = overrides;
  const log = capturedLog();
  const rateLimits = createRateLimits({ redis: limitsRedis, prefix: redisKeys(`${env.REDIS_KEY_PREFIX}signin_${hex()}:`).rateLimit, user: "20/10s", auth: "1000/1h", signInUser, disabled: false });
  return { deps: { db, rateLimits, logger: log.logger, onSignedUp: (userId: string) => leaderboard.refresh([userId]), ...rest }, log };
}

const headersFrom = (ip: string) => new Headers({ "x-forwarded-for": ip });

/** What authorize throws (its message is what next-auth would put in the URL), or null when it returned. */
async function thrown(promise: Promise<unknown>): Promise<Error | null> {
  try {
    await promise;
    return null;
  } catch (error) {
    return error as Error;
  }
}

describe("what a failed sign-in or sign-up reveals", () => {
  it("a database error during sign-up reaches the client as UNAVAILABLE; the log has the statement, never its parameters", async () => {
    const { deps: services, log } = deps();
    const password = `hunter-${hex()}`;
    const error = await thrown(authorizeCredentials(services, { username: `broken_${hex()}`, password, intent: "signup" }, headersFrom("198.51.100.1")));
    expect(error?.message).toBe(AUTH_ERRORS.unavailable);

    const failure = log.lines.find((line) => line.msg === "credentials sign-in failed");
    expect(failure).toMatchObject({ level: 50, error: { code: "23514", messages: [expect.stringMatching(/^Failed query: insert into "users"/), expect.any(String)] } });
    expect(log.text()).not.toMatch(/scrypt|params/);
    expect(log.text()).not.toContain(password);
  });

  it("an unreachable database reaches the client as UNAVAILABLE, for sign-in and sign-up alike", async () => {
    const { deps: services } = deps({ db: deadDatabase.db });
    for (const intent of ["signin", "signup"]) {
      const error = await thrown(authorizeCredentials(services, { username: `u_${hex()}`, password: TEST_PASSWORD, intent }, headersFrom("198.51.100.2")));
      expect(error?.message).toBe(AUTH_ERRORS.unavailable);
    }
  });

  it("answers bad input, a taken name and a wrong password with their fixed codes", async () => {
    const { deps: services } = deps();
    const username = `taken_${hex()}`;
    const ip = headersFrom("198.51.100.3");
    expect(await authorizeCredentials(services, { username, password: TEST_PASSWORD, intent: "signup" }, ip)).toMatchObject({ username, role: "user" });
    expect((await thrown(authorizeCredentials(services, { username, password: TEST_PASSWORD, intent: "signup" }, ip)))?.message).toBe(AUTH_ERRORS.usernameTaken);
    expect((await thrown(authorizeCredentials(services, { username: "x".repeat(10_000), password: "p", intent: "signup" }, ip)))?.message).toBe(AUTH_ERRORS.invalidInput);
    expect(await authorizeCredentials(services, { username, password: "wrong-password", intent: "signin" }, ip)).toBeNull();
  });
});

describe("failed sign-ins per username", () => {
  it("refuses a username after RATE_LIMIT_SIGNIN_USER failures from any IPs, even with the right password; successes do not count", async () => {
    const { deps: services } = deps({ signInUser: "3/1h" });
    const username = `target_${hex()}`;
    await authorizeCredentials(services, { username, password: TEST_PASSWORD, intent: "signup" }, headersFrom("198.51.100.10"));
    // Successful sign-ins first: they leave the allowance whole.
    for (let i = 0; i < 4; i++) {
      expect(await authorizeCredentials(services, { username, password: TEST_PASSWORD, intent: "signin" }, headersFrom("198.51.100.11"))).toMatchObject({ username });
    }
    for (let i = 0; i < 3; i++) {
      expect(await authorizeCredentials(services, { username, password: `guess-${i}-password`, intent: "signin" }, headersFrom(`203.0.113.${i + 1}`))).toBeNull();
    }
    const refused = await thrown(authorizeCredentials(services, { username, password: TEST_PASSWORD, intent: "signin" }, headersFrom("203.0.113.99")));
    expect(refused?.message).toBe(AUTH_ERRORS.rateLimited);
    // Another account is untouched.
    const other = `other_${hex()}`;
    expect(await authorizeCredentials(services, { username: other, password: "wrong-password", intent: "signin" }, headersFrom("203.0.113.1"))).toBeNull();
  });

  it("still refuses after the limit when Redis is unreachable: the count moves to this instance's memory", async () => {
    const dead = await unreachableRedis();
    const { deps: services } = deps({ signInUser: "2/1h", redis: dead });
    const username = `nobody_${hex()}`;
    for (let i = 0; i < 2; i++) {
      expect(await authorizeCredentials(services, { username, password: `guess-${i}-password`, intent: "signin" }, headersFrom(`203.0.113.${i + 20}`))).toBeNull();
    }
    const refused = await thrown(authorizeCredentials(services, { username, password: "guess-3-password", intent: "signin" }, headersFrom("203.0.113.30")));
    expect(refused?.message).toBe(AUTH_ERRORS.rateLimited);
  });
});
