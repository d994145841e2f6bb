/**
 * Rate limits (PRODUCT.md, Invariants): `action.start` and `score.submit` per user, sign-in and
 * sign-up attempts per client IP, failed sign-ins per username. Sliding windows in Redis through
 * @upstash/ratelimit, so every app instance shares one count.
 *
 * When Redis itself fails (error, or no answer within `timeoutMs`):
 * - the per-user limits FAIL OPEN: the call is allowed. They guard against abuse, not the
 *   integrity of the score: per-action caps and idempotency in Postgres still hold without Redis,
 *   and the product must keep accepting submits while Redis is down (Invariants);
 * - the sign-in limits FALL BACK to a fixed window of the same size in this instance's memory
 *   (@upstash/ratelimit's ephemeralCache only remembers identifiers Redis already blocked): a
 *   Redis outage must not open unlimited password guessing.
 * Each such case is reported through `onEvent` (the app's instance counts it and logs a throttled
 * warning naming the limit and the kind of failure, never an identifier or a token).
 */
import { Ratelimit, type Duration } from "@upstash/ratelimit";
import type { Redis } from "@upstash/redis";

import { env } from "~/env.js";
import { AppError } from "~/server/api/errors";
import { ipBucket } from "~/server/client-ip";
import { logger, metrics } from "~/server/observability";
import { appKeys, redis } from "./client";

export type RateLimitSpec = { limit: number; window: Duration };

const SPEC = /^([1-9][0-9]*)\/([1-9][0-9]*)(ms|s|m|h)$/;

/** "20/10s" → `{ limit: 20, window: "10 s" }`; units ms, s, m, h (the shape env.js accepts). */
export function parseRateLimit(spec: string): RateLimitSpec {
  const match = SPEC.exec(spec.trim());
  const limit = Number(match?.[1]);
  const size = Number(match?.[2]);
  if (!match || !Number.isSafeInteger(limit) || !Number.isSafeInteger(size)) {
    throw new Error(`Invalid rate limit ${JSON.stringify(spec)}: expected "<requests>/<window>", e.g. "20/10s"`);
  }
  return { limit, window: `${size} ${match[3] as "ms" | "s" | "m" | "h"}` };
}

/** "10 s" → 10000. */
export function windowMs(window: Duration): number {
  const [size, unit] = window.split(" ") as [string, "ms" | "s" | "m" | "h"];
  return Number(size) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit];
}

export type LimitName = "actionStart" | "scoreSubmit" | "auth" | "signInFailures";

/** What a check reports besides its outcome: refusals, and checks Redis could not answer (skipped, or counted in memory). */
export type RateLimitEvent =
  | { limit: LimitName; outcome: "refused"; retryAfterMs: number }
  | { limit: LimitName; outcome: "failed_open" | "in_memory"; cause: "timeout" | "redis_error" };

export type RateLimitDeps = {
  redis: Redis;
  /** Key prefix for all limits (`redisKeys(prefix).rateLimit`); each limit adds its own part. */
  prefix: string;
  /** Per user, for each of action.start and score.submit, e.g. "20/10s". */
  user: string;
  /** Per client IP, sign-in and sign-up together, e.g. "10/60s". */
  auth: string;
  /** Per username, failed sign-ins, e.g. "10/15m". */
  signInUser: string;
  /** RATE_LIMIT_DISABLED: every check allows without touching Redis. */
  disabled: boolean;
  /** How long a check waits for Redis before failing open (or to memory). Default 1000 ms. */
  timeoutMs?: number;
  /** How many keys each in-memory fallback holds at most. Default 20 000. */
  memoryKeys?: number;
  onEvent?: (event: RateLimitEvent) => void;
};

export type RateLimits = {
  /** Resolves when allowed; throws AppError RATE_LIMITED with `retryAfterMs` when refused. */
  actionStart(userId: string): Promise<void>;
  scoreSubmit(userId: string): Promise<void>;
  /** Per client IP; pass "unknown" when the IP is not known. IPv6 addresses count per /64. */
  auth(ip: string): Promise<void>;
  /**
   * Per username, before its password is checked: takes one attempt from the allowance for
   * failed sign-ins (throws RATE_LIMITED when none is left); `succeeded()` gives it back, so only
   * failures stay counted. Taken up front rather than counted after a failure, so that guesses
   * sent at once from many IPs cannot all pass the check before any failure is recorded.
   */
  signInAttempt(username: string): Promise<SignInAttempt>;
};

export type SignInAttempt = { succeeded(): Promise<void> };

const MESSAGES: Record<LimitName, string> = {
  actionStart: "Too many actions started. Wait a moment and try again.",
  scoreSubmit: "Too many score submissions. Wait a moment and try again.",
  auth: "Too many sign-in attempts. Wait a minute and try again.",
  signInFailures: "Too many failed sign-ins for this account. Wait a while and try again.",
};

export function createRateLimits(deps: RateLimitDeps): RateLimits {
  if (deps.disabled) {
    const allow = async () => {};
    const attempt: SignInAttempt = { succeeded: allow };
    return { actionStart: allow, scoreSubmit: allow, auth: allow, signInAttempt: async () => attempt };
  }
  const user = parseRateLimit(deps.user);
  const auth = parseRateLimit(deps.auth);
  const signInUser = parseRateLimit(deps.signInUser);
  const onEvent = deps.onEvent ?? (() => {});

  const build = (name: string, spec: RateLimitSpec) =>
    new Ratelimit({
      redis: deps.redis,
      prefix: `${deps.prefix}:${name}`,
      limiter: Ratelimit.slidingWindow(spec.limit, spec.window),
      // An in-memory block list would outlive a Redis flush and differ between instances.
      ephemeralCache: false,
      analytics: false,
      enableTelemetry: false,
      timeout: deps.timeoutMs ?? 1000,
    });
  const memory = (spec: RateLimitSpec) => createMemoryLimiter({ limit: spec.limit, windowMs: windowMs(spec.window), maxKeys: deps.memoryKeys });

  /** Counts one call; resolves with where it was counted ("skipped": the limit failed open), throws RATE_LIMITED when refused. */
  const check =
    (limit: LimitName, limiter: Ratelimit, fallback: MemoryLimiter | null) =>
    async (identifier: string): Promise<"redis" | "memory" | "skipped"> => {
      const answer = await limiter.limit(identifier).then(
        (result) => (result.reason === "timeout" ? ("timeout" as const) : result),
        // The error may quote the request (keys, identifiers); report only its kind.
        () => "redis_error" as const,
      );
      let result: { success: boolean; reset: number };
      let source: "redis" | "memory";
      if (typeof answer !== "string") {
        [result, source] = [answer, "redis"];
      } else {
        onEvent({ limit, outcome: fallback ? "in_memory" : "failed_open", cause: answer });
        if (!fallback) return "skipped";
        [result, source] = [fallback.limit(identifier), "memory"];
      }
      if (result.success) return source;
      const retryAfterMs = Math.max(0, Math.ceil(result.reset - Date.now()));
      onEvent({ limit, outcome: "refused", retryAfterMs });
      throw new AppError("RATE_LIMITED", MESSAGES[limit], { retryAfterMs });
    };

  const actionStart = check("actionStart", build("action-start", user), null);
  const scoreSubmit = check("scoreSubmit", build("score-submit", user), null);
  const authCheck = check("auth", build("auth", auth), memory(auth));
  const failures = build("signin-user", signInUser);
  const failuresInMemory = memory(signInUser);
  const failureCheck = check("signInFailures", failures, failuresInMemory);
  return {
    actionStart: async (userId) => void (await actionStart(userId)),
    scoreSubmit: async (userId) => void (await scoreSubmit(userId)),
    auth: async (ip) => void (await authCheck(ipBucket(ip))),
    async signInAttempt(username) {
      const source = await failureCheck(username);
      return {
        async succeeded() {
          if (source === "memory") return failuresInMemory.refund(username);
          // A refund Redis misses leaves the attempt counted as a failure: closed, not open.
          await failures.limit(username, { rate: -1 }).catch(() => {});
        },
      };
    },
  };
}

export type MemoryLimiter = {
  /** Counts one call for `key`; `reset` is when its window ends (ms since the epoch). */
  limit(key: string): { success: boolean; reset: number };
  /** Gives back one counted call, if its window is still open. */
  refund(key: string): void;
};

/**
 * Fixed windows per key in this process's memory. Memory is bounded: a key's window is (re)made
 * at its first call after the previous one ended, so the map's order is the order in which
 * windows end: ended ones are dropped from the front; when `maxKeys` are still open, the oldest goes.
 */
export function createMemoryLimiter(options: { limit: number; windowMs: number; maxKeys?: number }): MemoryLimiter {
  const maxKeys = options.maxKeys ?? 20_000;
  const windows = new Map<string, { count: number; resetAt: number }>();

  function makeRoom(now: number) {
    for (const [key, window] of windows) {
      if (window.resetAt > now && windows.size < maxKeys) break;
      windows.delete(key);
    }
  }

  return {
    limit(key) {
      const now = Date.now();
      let window = windows.get(key);
      if (!window || window.resetAt <= now) {
        windows.delete(key);
        makeRoom(now);
        window = { count: 0, resetAt: now + options.windowMs };
        windows.set(key, window);
      }
      if (window.count >= options.limit) return { success: false, reset: window.resetAt };
      window.count += 1;
      return { success: true, reset: window.resetAt };
    },
    refund(key) {
      const window = windows.get(key);
      if (window && window.resetAt > Date.now() && window.count > 0) window.count -= 1;
    },
  };
}

let lastWarningAt = 0;

/** Refusals are counted; checks Redis could not answer counted and logged, at most once per 10 s so a dead Redis does not flood the log. */
function report(event: RateLimitEvent) {
  if (event.outcome === "refused") {
    metrics.rateLimitRefusals.inc({ limit: event.limit });
    return;
  }
  metrics.redisFallbacks.inc({ operation: `ratelimit:${event.limit}` });
  const now = Date.now();
  if (now - lastWarningAt < 10_000) return;
  lastWarningAt = now;
  const what = event.outcome === "in_memory" ? "counted in this instance's memory" : "not applied, failing open";
  logger.warn({ limit: event.limit, cause: event.cause }, `rate limit ${what}: Redis unavailable`);
}

/** The app's limits, from env (RATE_LIMIT_USER, RATE_LIMIT_AUTH, RATE_LIMIT_SIGNIN_USER, RATE_LIMIT_DISABLED). */
export const rateLimits: RateLimits = createRateLimits({
  redis,
  prefix: appKeys.rateLimit,
  user: env.RATE_LIMIT_USER,
  auth: env.RATE_LIMIT_AUTH,
  signInUser: env.RATE_LIMIT_SIGNIN_USER,
  disabled: env.RATE_LIMIT_DISABLED,
  onEvent: report,
});
