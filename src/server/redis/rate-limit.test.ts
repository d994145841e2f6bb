import { randomBytes } from "node:crypto";

import { Redis } from "@upstash/redis";
import { afterEach, describe, expect, it, vi } from "vitest";

import { env } from "~/env.js";
import { services } from "~/server/composition-root";
import { redisKeys } from "./keys";
import { createMemoryLimiter, createRateLimits, parseRateLimit, windowMs, type RateLimitEvent, type Refused } from "./rate-limit";
import { stopClockAtWindowStart } from "../../../test/support/clock";
import { unreachableRedis, withSilentRedis } from "../../../test/support/broken-redis";

const { redis } = services;

/** The window of the limits below: an hour, so their keys outlive any test in real time too. */
const WINDOW_MS = 60 * 60 * 1000;

/** Limits on the run's bridge under a prefix of their own, so tests never share a bucket. */
function limits(overrides: Partial<Parameters<typeof createRateLimits>[0]> = {}) {
  const events: RateLimitEvent[] = [];
  const rateLimits = createRateLimits({
    redis,
    prefix: redisKeys(`${env.REDIS_KEY_PREFIX}limits_${randomBytes(6).toString("hex")}:`).rateLimit,
    user: "3/1h",
    auth: "2/1h",
    signInUser: "2/1h",
    disabled: false,
    onEvent: (event) => events.push(event),
    ...overrides,
  });
  return { rateLimits, events };
}

afterEach(() => {
  vi.useRealTimers();
});

/** The outcome of a check that must allow. */
async function allowed<T extends { allowed: boolean }>(check: Promise<T>): Promise<Extract<T, { allowed: true }>> {
  const outcome = await check;
  expect(outcome.allowed).toBe(true);
  return outcome as Extract<T, { allowed: true }>;
}

/** The outcome of a check that must refuse. */
async function refusal(check: Promise<{ allowed: boolean }>): Promise<Refused> {
  const outcome = await check;
  expect(outcome).toEqual({ allowed: false, retryAfterMs: expect.any(Number) });
  return outcome as Refused;
}

/** A refusal while the clock stands at the start of the window: retryAfterMs is the whole window. */
async function expectRefused(check: Promise<{ allowed: boolean }>) {
  const { retryAfterMs } = await refusal(check);
  expect(retryAfterMs).toBe(WINDOW_MS);
  return retryAfterMs;
}

async function times(count: number, check: () => Promise<{ allowed: boolean }>) {
  for (let i = 0; i < count; i++) await allowed(check());
}

describe("parseRateLimit", () => {
  it.each([
    ["20/10s", { limit: 20, window: "10 s" }],
    ["10/60s", { limit: 10, window: "60 s" }],
    ["5/500ms", { limit: 5, window: "500 ms" }],
    ["100/1m", { limit: 100, window: "1 m" }],
    ["1000/1h", { limit: 1000, window: "1 h" }],
  ])("%s", (spec, expected) => {
    expect(parseRateLimit(spec)).toEqual(expected);
  });

  it.each(["", "20", "20/", "/10s", "0/10s", "20/0s", "20/10", "20/10d", "-1/10s", "1.5/10s", "20/10 s", "abc"])(
    "refuses %j",
    (spec) => {
      expect(() => parseRateLimit(spec)).toThrow(/Invalid rate limit/);
    },
  );

  it("refuses bad specs when the limits are built, unless disabled", () => {
    expect(() => createRateLimits({ redis, prefix: "x", user: "nope", auth: "1/1s", signInUser: "1/1s", disabled: false })).toThrow(
      /Invalid rate limit "nope"/,
    );
    expect(() => createRateLimits({ redis, prefix: "x", user: "nope", auth: "1/1s", signInUser: "1/1s", disabled: true })).not.toThrow();
  });
});

describe("windowMs", () => {
  it.each([
    ["500 ms", 500],
    ["10 s", 10_000],
    ["15 m", 900_000],
    ["2 h", 7_200_000],
  ] as const)("%s → %d", (window, ms) => {
    expect(windowMs(window)).toBe(ms);
  });
});

describe("createRateLimits against Redis", () => {
  it("allows exactly the limit per user, then refuses with retryAfterMs; other users are unaffected", async () => {
    const { rateLimits, events } = limits();
    stopClockAtWindowStart(WINDOW_MS);
    await times(3, () => rateLimits.scoreSubmit("alice"));
    const retryAfterMs = await expectRefused(rateLimits.scoreSubmit("alice"));
    await expectRefused(rateLimits.scoreSubmit("alice"));
    await times(3, () => rateLimits.scoreSubmit("bob"));
    expect(events).toEqual([
      { limit: "scoreSubmit", outcome: "refused", retryAfterMs },
      { limit: "scoreSubmit", outcome: "refused", retryAfterMs },
    ]);
  });

  it("counts action.start and score.submit in separate buckets", async () => {
    const { rateLimits } = limits();
    stopClockAtWindowStart(WINDOW_MS);
    await times(3, () => rateLimits.actionStart("carol"));
    await expectRefused(rateLimits.actionStart("carol"));
    await times(3, () => rateLimits.scoreSubmit("carol"));
    await expectRefused(rateLimits.scoreSubmit("carol"));
  });

  it("allows again once retryAfterMs has passed, one call at first: the window slides", async () => {
    const { rateLimits } = limits();
    // The limiter reads the time only through Date.now(), so moving the stopped clock is the
    // passing of time to it; Redis keeps the window's count for two windows of real time.
    const clock = stopClockAtWindowStart(WINDOW_MS);
    await times(3, () => rateLimits.scoreSubmit("dave"));
    const retryAfterMs = await expectRefused(rateLimits.scoreSubmit("dave"));
    // Just past it (at exactly retryAfterMs the window before still counts in full): one call is
    // allowed, as the window before still counts 2 of its 3 (3 × (1 − 1 ms / 1 h), rounded down).
    clock.advance(retryAfterMs + 1);
    await allowed(rateLimits.scoreSubmit("dave"));
    await refusal(rateLimits.scoreSubmit("dave"));
  });

  it("limits auth per IP, sharing nothing with the user limits", async () => {
    const { rateLimits } = limits();
    stopClockAtWindowStart(WINDOW_MS);
    await times(2, () => rateLimits.auth("203.0.113.7"));
    await expectRefused(rateLimits.auth("203.0.113.7"));
    await times(2, () => rateLimits.auth("203.0.113.8"));
    await times(2, () => rateLimits.auth("unknown"));
    await expectRefused(rateLimits.auth("unknown"));
    // A user id equal to an IP string is a different bucket.
    await times(3, () => rateLimits.actionStart("203.0.113.7"));
  });

  it("counts an IPv6 /64 as one client for auth", async () => {
    const { rateLimits } = limits();
    stopClockAtWindowStart(WINDOW_MS);
    await allowed(rateLimits.auth("2001:db8:1:2::1"));
    await allowed(rateLimits.auth("2001:db8:1:2:ffff::9"));
    await expectRefused(rateLimits.auth("2001:0db8:0001:0002:0:0:0:abcd"));
    await allowed(rateLimits.auth("2001:db8:1:3::1"));
  });

  it("never refuses when disabled (and never touches Redis)", async () => {
    const rateLimits = createRateLimits({
      redis: new Redis({ url: "http://127.0.0.1:9", token: "unused", retry: false }),
      prefix: "unused",
      user: "1/1h",
      auth: "1/1h",
      signInUser: "1/1h",
      disabled: true,
    });
    for (let i = 0; i < 50; i++) {
      const outcomes = await Promise.all([rateLimits.actionStart("u"), rateLimits.scoreSubmit("u"), rateLimits.auth("198.51.100.1"), rateLimits.signInAttempt("u")]);
      expect(outcomes.every((outcome) => outcome.allowed)).toBe(true);
    }
  });
});

describe("failed sign-ins per username", () => {
  it("refuses a username after the limit of failures, whatever the IP, before its password is checked; other names are unaffected", async () => {
    const { rateLimits, events } = limits();
    stopClockAtWindowStart(WINDOW_MS);
    // Two failures (attempts never marked as succeeded)...
    await allowed(rateLimits.signInAttempt("grace"));
    await allowed(rateLimits.signInAttempt("grace"));
    // ...and the third attempt is refused, with the whole window to wait.
    await expectRefused(rateLimits.signInAttempt("grace"));
    await allowed(rateLimits.signInAttempt("heidi"));
    expect(events).toEqual([{ limit: "signInFailures", outcome: "refused", retryAfterMs: WINDOW_MS }]);
    // Independent of the per-IP limit.
    await times(2, () => rateLimits.auth("203.0.113.70"));
  });

  it("counts only failures: a successful sign-in gives its attempt back", async () => {
    const { rateLimits } = limits();
    stopClockAtWindowStart(WINDOW_MS);
    for (let i = 0; i < 5; i++) await (await allowed(rateLimits.signInAttempt("ivan"))).succeeded();
    await allowed(rateLimits.signInAttempt("ivan"));
    await (await allowed(rateLimits.signInAttempt("ivan"))).succeeded();
    await allowed(rateLimits.signInAttempt("ivan"));
    await expectRefused(rateLimits.signInAttempt("ivan"));
  });

  it("lets no more than the limit through when attempts arrive at once", async () => {
    const { rateLimits } = limits();
    stopClockAtWindowStart(WINDOW_MS);
    const outcomes = await Promise.all(Array.from({ length: 10 }, () => rateLimits.signInAttempt("judy")));
    expect(outcomes.filter((outcome) => outcome.allowed)).toHaveLength(2);
  });
});

describe("when Redis is down", () => {
  it("fails open for the per-user limits on the connection error, without waiting for the timeout, and reports it", async () => {
    const { rateLimits, events } = limits({ redis: await unreachableRedis(), user: "1/1h" });
    await times(3, () => rateLimits.scoreSubmit("erin"));
    await allowed(rateLimits.actionStart("erin"));
    const failedOpen = (limit: string) => ({ limit, outcome: "failed_open", cause: "redis_error" });
    expect(events).toEqual([failedOpen("scoreSubmit"), failedOpen("scoreSubmit"), failedOpen("scoreSubmit"), failedOpen("actionStart")]);
    expect(JSON.stringify(events)).not.toContain("erin");
  });

  it("limits sign-ins per IP in this instance's memory instead: refused after the limit, never open", async () => {
    const { rateLimits, events } = limits({ redis: await unreachableRedis(), auth: "3/1h" });
    stopClockAtWindowStart(WINDOW_MS);
    await times(3, () => rateLimits.auth("192.0.2.1"));
    await expectRefused(rateLimits.auth("192.0.2.1"));
    await expectRefused(rateLimits.auth("192.0.2.1"));
    await times(3, () => rateLimits.auth("192.0.2.2"));
    const inMemory = { limit: "auth", outcome: "in_memory", cause: "redis_error" };
    expect(events.filter((event) => event.outcome !== "refused")).toEqual(Array(8).fill(inMemory));
    expect(JSON.stringify(events)).not.toContain("192.0.2");
  });

  it("limits failed sign-ins per username in memory too, giving back the attempts that succeeded", async () => {
    const { rateLimits } = limits({ redis: await unreachableRedis(), signInUser: "2/1h" });
    stopClockAtWindowStart(WINDOW_MS);
    await (await allowed(rateLimits.signInAttempt("kim"))).succeeded();
    await allowed(rateLimits.signInAttempt("kim"));
    await allowed(rateLimits.signInAttempt("kim"));
    await expectRefused(rateLimits.signInAttempt("kim"));
  });

  it("counts in memory when Redis does not answer within the timeout", async () => {
    await withSilentRedis(async (stuck) => {
      const { rateLimits, events } = limits({ redis: stuck, timeoutMs: 100, auth: "1/1h" });
      // Resolving at all is the timeout's doing: this Redis never answers.
      await allowed(rateLimits.scoreSubmit("frank"));
      await allowed(rateLimits.auth("192.0.2.9"));
      await refusal(rateLimits.auth("192.0.2.9"));
      expect(events.slice(0, 3)).toEqual([
        { limit: "scoreSubmit", outcome: "failed_open", cause: "timeout" },
        { limit: "auth", outcome: "in_memory", cause: "timeout" },
        { limit: "auth", outcome: "in_memory", cause: "timeout" },
      ]);
    });
  });
});

describe("createMemoryLimiter", () => {
  it("allows the limit per key per fixed window, then refuses until the window ends", () => {
    const clock = stopClockAtWindowStart(60_000);
    const limiter = createMemoryLimiter({ limit: 2, windowMs: 60_000 });
    const start = Date.now();
    expect(limiter.limit("a")).toEqual({ success: true, reset: start + 60_000 });
    expect(limiter.limit("a").success).toBe(true);
    expect(limiter.limit("a")).toEqual({ success: false, reset: start + 60_000 });
    expect(limiter.limit("b").success).toBe(true);
    clock.advance(59_999);
    expect(limiter.limit("a").success).toBe(false);
    clock.advance(1);
    expect(limiter.limit("a")).toEqual({ success: true, reset: start + 120_000 });
  });

  it("gives back a counted call only inside its window", () => {
    const clock = stopClockAtWindowStart(60_000);
    const limiter = createMemoryLimiter({ limit: 1, windowMs: 60_000 });
    limiter.limit("a");
    limiter.refund("a");
    expect(limiter.limit("a").success).toBe(true);
    expect(limiter.limit("a").success).toBe(false);
    limiter.refund("nobody");
    clock.advance(60_000);
    limiter.refund("a");
    expect(limiter.limit("a").success).toBe(true);
    expect(limiter.limit("a").success).toBe(false);
  });

  it("holds at most maxKeys: ended windows go first, then the oldest open one", () => {
    const clock = stopClockAtWindowStart(60_000);
    const limiter = createMemoryLimiter({ limit: 1, windowMs: 60_000, maxKeys: 2 });
    limiter.limit("old");
    clock.advance(30_000);
    limiter.limit("a");
    clock.advance(30_000);
    // "old" has ended: it makes room for "b", and "a" keeps its count.
    limiter.limit("b");
    expect(limiter.limit("a").success).toBe(false);
    // Both open and the limiter full: the oldest ("a") is dropped for "c", and forgets its count.
    limiter.limit("c");
    expect(limiter.limit("b").success).toBe(false);
    expect(limiter.limit("a").success).toBe(true);
  });
});

describe("the app's rate limits (services.rateLimits)", () => {
  it("are built from env with the default limits and answer through the run's bridge", async () => {
    // RATE_LIMIT_AUTH's default, "10/60s".
    stopClockAtWindowStart(60_000);
    await times(10, () => services.rateLimits.auth("198.51.100.7"));
    expect(await refusal(services.rateLimits.auth("198.51.100.7"))).toEqual({ allowed: false, retryAfterMs: 60_000 });
  });

  it("limit failed sign-ins per username by RATE_LIMIT_SIGNIN_USER (default 10/15m)", async () => {
    stopClockAtWindowStart(15 * 60_000);
    await times(10, () => services.rateLimits.signInAttempt("app_instance_user"));
    expect(await refusal(services.rateLimits.signInAttempt("app_instance_user"))).toEqual({ allowed: false, retryAfterMs: 15 * 60_000 });
  });
});
