/**
 * Open live streams per client IP, counted across every app instance (PRODUCT.md, Invariants:
 * at most LIVE_STREAMS_PER_IP; the API answers 429 RATE_LIMITED above it).
 *
 * Each client's streams are a sorted set in Redis, `<prefix>:<client>`, of slot ids scored by
 * the time their lease ends. Claiming a slot is one script, one round trip: drop lapsed slots,
 * count, add if below the limit. The instance that holds a slot renews its lease while the stream
 * is open (one timer per process renews all of its slots) and removes it when the stream closes.
 * An instance that dies stops renewing, so its slots lapse within one lease: nothing leaks.
 *
 * When Redis cannot answer (error, or no answer within `timeoutMs`) the stream is ADMITTED: the
 * live board must keep working while Redis is down (Invariants), and this limit guards the
 * servers' capacity, not the integrity of any score. Such a stream is tracked all the same, so
 * that its slot is renewed and removed should the claim have landed after all.
 */
import { randomBytes } from "node:crypto";

import type { Redis } from "@upstash/redis";

import { ipBucket } from "~/server/client-ip";
import type { Refused } from "./rate-limit";

// KEYS[1]: one client's slots. ARGV: now, the new lease's end, the limit, the slot id, the lease (ms).
// Returns -1 when the slot was added, else the ms until the client's earliest lease ends.
const CLAIM = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then
  redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
  redis.call('PEXPIRE', KEYS[1], ARGV[5])
  return -1
end
local earliest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
return math.ceil(tonumber(earliest[2]) - tonumber(ARGV[1]))
`;

/** Keys renewed per pipeline request (two commands each). */
const RENEW_BATCH = 500;

export type StreamSlot = {
  /** The stream closed: frees its slot (idempotent). */
  release(): void;
};

export type SlotClaim = { allowed: true; slot: StreamSlot } | Refused;

export type StreamSlotEvent =
  | { outcome: "refused" }
  | { outcome: "redis_failed"; operation: "claim" | "renew" | "release"; cause: "timeout" | "redis_error" };

export type StreamSlotsDeps = {
  redis: Redis;
  /** Key prefix, e.g. `redisKeys(prefix).liveStreams`; each client's set is `<prefix>:<client>`. */
  prefix: string;
  /** Open streams per client IP (IPv6 per /64, as the sign-in limit counts them). */
  limit: number;
  /** How long a slot lasts unless renewed: an instance that dies frees its slots within this. Default 30 s. */
  leaseMs?: number;
  /** How often this process renews its slots. Default a third of the lease. */
  renewEveryMs?: number;
  /** How long a claim waits for Redis before admitting the stream. Default 1000 ms. */
  timeoutMs?: number;
  onEvent?: (event: StreamSlotEvent) => void;
};

export type StreamSlots = ReturnType<typeof createStreamSlots>;

export function createStreamSlots(deps: StreamSlotsDeps) {
  const leaseMs = deps.leaseMs ?? 30_000;
  const renewEveryMs = deps.renewEveryMs ?? Math.floor(leaseMs / 3);
  const timeoutMs = deps.timeoutMs ?? 1000;
  const onEvent = deps.onEvent ?? (() => {});
  const claimScript = deps.redis.createScript<number>(CLAIM);
  const owner = randomBytes(6).toString("hex");
  let sequence = 0;
  /** This process's slots: slot id → its client's key. */
  const held = new Map<string, string>();
  /**
   * Removals still on their way to Redis, per client key. A claim for that client waits for them,
   * so a stream closed here and reopened (a page reload, a resume after the stream's lifetime)
   * is never counted twice.
   */
  const releasing = new Map<string, Promise<unknown>>();
  let renewer: NodeJS.Timeout | null = null;
  let renewing = false;

  function release(id: string) {
    const key = held.get(id);
    if (key === undefined) return;
    held.delete(id);
    if (held.size === 0 && renewer) {
      clearInterval(renewer);
      renewer = null;
    }
    const removal = settle(deps.redis.zrem(key, id), timeoutMs).then((result) => {
      if (!result.ok) onEvent({ outcome: "redis_failed", operation: "release", cause: result.cause });
    });
    const pending = Promise.all([releasing.get(key), removal]);
    releasing.set(key, pending);
    void pending.then(() => {
      if (releasing.get(key) === pending) releasing.delete(key);
    });
  }

  /** Extends the lease of every slot this process holds; XX: a slot already removed stays removed. */
  async function renew() {
    if (renewing || held.size === 0) return;
    renewing = true;
    try {
      const byKey = new Map<string, string[]>();
      for (const [id, key] of held) {
        const ids = byKey.get(key);
        if (ids) ids.push(id);
        else byKey.set(key, [id]);
      }
      const entries = [...byKey];
      for (let start = 0; start < entries.length; start += RENEW_BATCH) {
        const until = Date.now() + leaseMs;
        const pipeline = deps.redis.pipeline();
        for (const [key, [first, ...rest]] of entries.slice(start, start + RENEW_BATCH)) {
          pipeline.zadd(key, { xx: true }, { score: until, member: first! }, ...rest.map((member) => ({ score: until, member })));
          pipeline.pexpire(key, leaseMs);
        }
        const result = await settle(pipeline.exec(), timeoutMs);
        if (!result.ok) onEvent({ outcome: "redis_failed", operation: "renew", cause: result.cause });
      }
    } finally {
      renewing = false;
    }
  }

  return {
    /**
     * A slot for a new stream of the client at `ip` (null: unknown, counted together), or a
     * refusal with `retryAfterMs` when the client already has `limit` open.
     */
    async claim(ip: string | null): Promise<SlotClaim> {
      const key = `${deps.prefix}:${ipBucket(ip ?? "unknown")}`;
      const id = `${owner}:${(sequence += 1).toString(36)}`;
      await releasing.get(key);
      const at = Date.now();
      const result = await settle(claimScript.exec([key], [String(at), String(at + leaseMs), String(deps.limit), id, String(leaseMs)]), timeoutMs);
      if (result.ok && result.value >= 0) {
        onEvent({ outcome: "refused" });
        return { allowed: false, retryAfterMs: Math.max(1, result.value) };
      }
      if (!result.ok) onEvent({ outcome: "redis_failed", operation: "claim", cause: result.cause });
      held.set(id, key);
      renewer ??= setInterval(() => void renew(), renewEveryMs).unref();
      return { allowed: true, slot: { release: () => release(id) } };
    },
  };
}

type Settled<T> = { ok: true; value: T } | { ok: false; cause: "timeout" | "redis_error" };

/** The outcome of a Redis call, or a timeout: never a rejection, never a wait beyond `ms`. */
function settle<T>(promise: Promise<T>, ms: number): Promise<Settled<T>> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve({ ok: false, cause: "timeout" }), ms);
    promise.then(
      (value) => resolve({ ok: true, value }),
      // The error may quote the request (keys, addresses); only its kind is reported.
      () => resolve({ ok: false, cause: "redis_error" }),
    ).finally(() => clearTimeout(timer));
  });
}
