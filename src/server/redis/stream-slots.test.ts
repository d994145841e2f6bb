/**
 * Live stream slots per client IP (./stream-slots.ts) on the run's real bridge and Redis: the
 * limit across instances (two slot registries on one Redis stand for two app instances), release,
 * renewal, the lapse of a dead instance's slots, and admission when Redis cannot answer.
 */
import { randomBytes } from "node:crypto";

import { Redis } from "@upstash/redis";
import { describe, expect, it } from "vitest";

import { env } from "~/env.js";
import { ipBucket } from "~/server/client-ip";
import { services } from "~/server/composition-root";
import { redisKeys } from "./keys";
import { createStreamSlots, type SlotClaim, type StreamSlot, type StreamSlotEvent, type StreamSlotsDeps } from "./stream-slots";
import { unreachableRedis, withSilentRedis } from "../../../test/support/broken-redis";

const { redis } = services;

/** A key prefix of the test's own, shared by the "instances" it makes with `instance`. */
function cluster() {
  const prefix = redisKeys(`${env.REDIS_KEY_PREFIX}slots_${randomBytes(6).toString("hex")}:`).liveStreams;
  return {
    instance(overrides: Partial<StreamSlotsDeps> = {}) {
      const events: StreamSlotEvent[] = [];
      const slots = createStreamSlots({ redis, prefix, limit: 2, onEvent: (event) => events.push(event), ...overrides });
      return { slots, events };
    },
    /** Slots Redis holds for the client at `ip`. */
    held: (ip: string) => redis.zcard(`${prefix}:${ipBucket(ip)}`),
  };
}

/** The slot of a claim that must be admitted. */
async function admitted(claim: Promise<SlotClaim>): Promise<StreamSlot> {
  const outcome = await claim;
  if (!outcome.allowed) expect.fail(`refused, retry after ${outcome.retryAfterMs} ms`);
  return outcome.slot;
}

async function expectRefused(claim: Promise<SlotClaim>, leaseMs: number) {
  const outcome = await claim;
  if (outcome.allowed) expect.fail("admitted");
  expect(outcome.retryAfterMs).toBeGreaterThan(0);
  expect(outcome.retryAfterMs).toBeLessThanOrEqual(leaseMs);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe("stream slots", () => {
  it("admits `limit` streams per client across instances and refuses the next with a retryAfterMs", async () => {
    const { instance, held } = cluster();
    const [a, b] = [instance(), instance()];
    await admitted(a.slots.claim("203.0.113.1"));
    await admitted(b.slots.claim("203.0.113.1"));
    await expectRefused(a.slots.claim("203.0.113.1"), 30_000);
    await expectRefused(b.slots.claim("203.0.113.1"), 30_000);
    expect(a.events).toEqual([{ outcome: "refused" }]);
    expect(await held("203.0.113.1")).toBe(2);
    // Other clients are counted apart; IPv6 clients by their /64, unknown ones together.
    await admitted(a.slots.claim("203.0.113.2"));
    await admitted(a.slots.claim("2001:db8:1:2::1"));
    await admitted(a.slots.claim("2001:db8:1:2::2"));
    await expectRefused(a.slots.claim("2001:db8:1:2:ffff::3"), 30_000);
    await admitted(a.slots.claim("2001:db8:1:3::1"));
    await admitted(a.slots.claim(null));
    await admitted(a.slots.claim(null));
    await expectRefused(b.slots.claim(null), 30_000);
  });

  it("frees a slot when its stream closes, for a claim made right after the release too", async () => {
    const { instance, held } = cluster();
    // Removals that take their time on the way to Redis.
    const slowRemovals = new Proxy(redis, {
      get(target, property) {
        if (property === "zrem") return (...args: Parameters<Redis["zrem"]>) => sleep(300).then(() => target.zrem(...args)); // justified: the slowness is the fault injected
        const value: unknown = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    const { slots } = instance({ redis: slowRemovals });
    const first = await admitted(slots.claim("198.51.100.1"));
    await admitted(slots.claim("198.51.100.1"));
    // Released and claimed again without waiting (a reload, a resume): never counted twice.
    first.release();
    const third = await admitted(slots.claim("198.51.100.1"));
    expect(await held("198.51.100.1")).toBe(2);
    third.release();
    third.release();
    await expect.poll(() => held("198.51.100.1")).toBe(1);
  });

  it("keeps the slots of a living instance past their lease, and lets a dead instance's lapse within it", async () => {
    const leaseMs = 800;
    const { instance } = cluster();
    const living = instance({ leaseMs, renewEveryMs: 150 });
    // An instance that never renews is, to Redis, one that died right after its claim.
    const dead = instance({ leaseMs, renewEveryMs: 60 * 60 * 1000 });
    const other = instance({ leaseMs });
    const slot = await admitted(living.slots.claim("192.0.2.1"));
    await admitted(dead.slots.claim("192.0.2.1"));
    await expectRefused(other.slots.claim("192.0.2.1"), leaseMs);

    await sleep(leaseMs * 2); // justified: what is tested is what holds once the lease has passed; nothing announces that
    // The dead instance's slot lapsed; the living one's was renewed.
    await admitted(other.slots.claim("192.0.2.1"));
    await expectRefused(other.slots.claim("192.0.2.1"), leaseMs);
    slot.release();
  });

  it("lets a client's key expire with its last lease", async () => {
    const { instance, held } = cluster();
    await admitted(instance({ leaseMs: 300, renewEveryMs: 60 * 60 * 1000 }).slots.claim("192.0.2.9"));
    expect(await held("192.0.2.9")).toBe(1);
    await expect.poll(() => held("192.0.2.9"), { timeout: 600 }).toBe(0);
  });
});

describe("when Redis cannot answer", () => {
  it("admits on a connection error, without waiting for the timeout, and reports it", async () => {
    const dead = await unreachableRedis();
    const events: StreamSlotEvent[] = [];
    const slots = createStreamSlots({ redis: dead, prefix: "unused", limit: 1, timeoutMs: 10_000, onEvent: (event) => events.push(event) });
    const started = performance.now();
    const slot = await admitted(slots.claim("192.0.2.1"));
    await admitted(slots.claim("192.0.2.1"));
    expect(performance.now() - started).toBeLessThan(5_000);
    slot.release();
    await expect.poll(() => events.length).toBe(3);
    expect(events).toEqual([
      { outcome: "redis_failed", operation: "claim", cause: "redis_error" },
      { outcome: "redis_failed", operation: "claim", cause: "redis_error" },
      { outcome: "redis_failed", operation: "release", cause: "redis_error" },
    ]);
  });

  it("admits after the timeout when Redis does not answer", async () => {
    await withSilentRedis(async (stuck) => {
      const events: StreamSlotEvent[] = [];
      const slots = createStreamSlots({ redis: stuck, prefix: "unused", limit: 1, timeoutMs: 100, onEvent: (event) => events.push(event) });
      await admitted(slots.claim("192.0.2.1"));
      expect(events).toEqual([{ outcome: "redis_failed", operation: "claim", cause: "timeout" }]);
    });
  });
});
