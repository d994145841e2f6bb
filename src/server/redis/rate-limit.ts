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
 * Each such case is reported through `onEvent` (the composition root counts it and logs a
 * throttled warning naming the limit and the kind of failure, never an identifier or a token).
 *
 * A check answers with an outcome, not an error: what a refusal looks like to a client is the
 * caller's business (tRPC's RATE_LIMITED, or a sign-in's fixed code).
 */
import { Ratelimit, type Duration } from "@upstash/ratelimit";
import type { Redis } from "@upstash/redis";

import { ipBucket } from "~/server/client-ip";

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

/** A refused call, and how long until the limit would allow one. */
export type Refused = { allowed: false; retryAfterMs: number };

export type LimitOutcome = { allowed: true } | Refused;

export type RateLimits = {
  actionStart(userId: string): Promise<LimitOutcome>;
  scoreSubmit(userId: string): Promise<LimitOutcome>;
  /** Per client IP; pass "unknown" when the IP is not known. IPv6 addresses count per /64. */
  auth(ip: string): Promise<LimitOutcome>;
  /**
   * Per username, before its password is checked: takes one attempt from the allowance for
   * failed sign-ins (refused when none is left); `succeeded()` gives it back, so only failures
   * stay counted. Taken up front rather than counted after a failure, so that guesses sent at
   * once from many IPs cannot all pass the check before any failure is recorded.
   */
  signInAttempt(username: string): Promise<SignInAttempt | Refused>;
};

export type SignInAttempt = { allowed: true; succeeded(): Promise<void> };

export function createRateLimits(deps: RateLimitDeps): RateLimits {
  if (deps.disabled) {
    const allow = async () => ({ allowed: true }) as const;
    const attempt: SignInAttempt = { allowed: true, succeeded: async () => {} };
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

  /** Counts one call; answers where it was counted ("skipped": the limit failed open), or the refusal. */
  const check =
    (limit: LimitName, limiter: Ratelimit, fallback: MemoryLimiter | null) =>
    async (identifier: string): Promise<{ allowed: true; source: "redis" | "memory" | "skipped" } | Refused> => {
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
        if (!fallback) return { allowed: true, source: "skipped" };
        [result, source] = [fallback.limit(identifier), "memory"];
      }
      if (result.success) return { allowed: true, source };
      const retryAfterMs = Math.max(0, Math.ceil(result.reset - Date.now()));
      onEvent({ limit, outcome: "refused", retryAfterMs });
      return { allowed: false, retryAfterMs };
    };

  const actionStart = check("actionStart", build("action-start", user), null);
  const scoreSubmit = check("scoreSubmit", build("score-submit", user), null);
  const authCheck = check("auth", build("auth", auth), memory(auth));
  const failures = build("signin-user", signInUser);
  const failuresInMemory = memory(signInUser);
  const failureCheck = check("signInFailures", failures, failuresInMemory);
  return {
    actionStart,
    scoreSubmit,
    auth: (ip) => authCheck(ipBucket(ip)),
    async signInAttempt(username) {
      const outcome = await failureCheck(username);
      if (!outcome.allowed) return outcome;
      return {
        allowed: true,
        async succeeded() {
          if (outcome.source === "memory") return failuresInMemory.refund(username);
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
