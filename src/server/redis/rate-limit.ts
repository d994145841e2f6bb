/**
 * Rate limits (PRODUCT.md, Invariants): `action.start` and `score.submit` per user, sign-in and
 * sign-up attempts per client IP. Sliding windows in Redis through @upstash/ratelimit, so every
 * app instance shares one count.
 *
 * When Redis itself fails (error, or no answer within `timeoutMs`) a check FAILS OPEN: the call is
 * allowed. A rate limit is a guard against abuse, not the integrity of the score: per-action caps
 * and idempotency in Postgres still hold without Redis, and the product must keep accepting submits
 * while Redis is down (Invariants). Each such skip is reported through `onEvent` (the app's
 * instance counts it and logs a throttled warning naming the limit and the kind of failure,
 * never an identifier or a token).
 */
import { isIP } from "node:net";

import { Ratelimit, type Duration } from "@upstash/ratelimit";
import type { Redis } from "@upstash/redis";

import { env } from "~/env.js";
import { AppError } from "~/server/api/errors";
import { ipv6Groups, normalizeIp } from "~/server/client-ip";
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

export type LimitName = "actionStart" | "scoreSubmit" | "auth";

/** What a check reports besides its outcome: refusals, and checks skipped because Redis failed. */
export type RateLimitEvent =
  | { limit: LimitName; outcome: "refused"; retryAfterMs: number }
  | { limit: LimitName; outcome: "failed_open"; cause: "timeout" | "redis_error" };

export type RateLimitDeps = {
  redis: Redis;
  /** Key prefix for all limits (`redisKeys(prefix).rateLimit`); each limit adds its own part. */
  prefix: string;
  /** Per user, for each of action.start and score.submit, e.g. "20/10s". */
  user: string;
  /** Per client IP, sign-in and sign-up together, e.g. "10/60s". */
  auth: string;
  /** RATE_LIMIT_DISABLED: every check allows without touching Redis. */
  disabled: boolean;
  /** How long a check waits for Redis before failing open. Default 1000 ms. */
  timeoutMs?: number;
  onEvent?: (event: RateLimitEvent) => void;
};

export type RateLimits = {
  /** Resolves when allowed; throws AppError RATE_LIMITED with `retryAfterMs` when refused. */
  actionStart(userId: string): Promise<void>;
  scoreSubmit(userId: string): Promise<void>;
  /** Per client IP; pass "unknown" when the IP is not known. IPv6 addresses count per /64. */
  auth(ip: string): Promise<void>;
};

const MESSAGES: Record<LimitName, string> = {
  actionStart: "Too many actions started. Wait a moment and try again.",
  scoreSubmit: "Too many score submissions. Wait a moment and try again.",
  auth: "Too many sign-in attempts. Wait a minute and try again.",
};

export function createRateLimits(deps: RateLimitDeps): RateLimits {
  if (deps.disabled) {
    const allow = async () => {};
    return { actionStart: allow, scoreSubmit: allow, auth: allow };
  }
  const user = parseRateLimit(deps.user);
  const auth = parseRateLimit(deps.auth);
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

  const check = (limit: LimitName, limiter: Ratelimit) => async (identifier: string) => {
    let result: Awaited<ReturnType<Ratelimit["limit"]>>;
    try {
      result = await limiter.limit(identifier);
    } catch {
      // The error may quote the request (keys, identifiers); report only its kind.
      onEvent({ limit, outcome: "failed_open", cause: "redis_error" });
      return;
    }
    if (result.reason === "timeout") {
      onEvent({ limit, outcome: "failed_open", cause: "timeout" });
      return;
    }
    if (result.success) return;
    const retryAfterMs = Math.max(0, Math.ceil(result.reset - Date.now()));
    onEvent({ limit, outcome: "refused", retryAfterMs });
    throw new AppError("RATE_LIMITED", MESSAGES[limit], { retryAfterMs });
  };

  const actionStart = check("actionStart", build("action-start", user));
  const scoreSubmit = check("scoreSubmit", build("score-submit", user));
  const authCheck = check("auth", build("auth", auth));
  return {
    actionStart,
    scoreSubmit,
    auth: (ip) => authCheck(ipBucket(ip)),
  };
}

/**
 * The auth limit's key for an address: IPv4 as is, IPv6 by its /64 (one subscriber's network;
 * counting single IPv6 addresses would hand every client 2^64 keys). Anything else as given.
 */
export function ipBucket(ip: string): string {
  const address = normalizeIp(ip);
  const groups = address && isIP(address) === 6 ? ipv6Groups(address) : null;
  if (!address || !groups) return address ?? ip;
  return `${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(":")}::/64`;
}

let lastWarningAt = 0;

/** Refusals are counted; skipped checks counted and logged, at most once per 10 s so a dead Redis does not flood the log. */
function report(event: RateLimitEvent) {
  if (event.outcome === "refused") {
    metrics.rateLimitRefusals.inc({ limit: event.limit });
    return;
  }
  metrics.redisFallbacks.inc({ operation: `ratelimit:${event.limit}` });
  const now = Date.now();
  if (now - lastWarningAt < 10_000) return;
  lastWarningAt = now;
  logger.warn({ limit: event.limit, cause: event.cause }, "rate limit not applied: Redis unavailable, failing open");
}

/** The app's limits, from env (RATE_LIMIT_USER, RATE_LIMIT_AUTH, RATE_LIMIT_DISABLED). */
export const rateLimits: RateLimits = createRateLimits({
  redis,
  prefix: appKeys.rateLimit,
  user: env.RATE_LIMIT_USER,
  auth: env.RATE_LIMIT_AUTH,
  disabled: env.RATE_LIMIT_DISABLED,
  onEvent: report,
});
