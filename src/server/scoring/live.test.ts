/**
 * The live board's fan-out (src/server/scoring/live.ts) against real services: Postgres, and
 * Redis through the Upstash bridge — pub/sub included, no mocks.
 *
 * Every test builds its own board: its own Redis keys under this run's prefix (cleaned up
 * afterwards), marked built but holding only the users this test publishes, so the shared
 * database's other users (other test files seed huge scores) never appear on it. "Two
 * processes" are two complete stacks over the same keys: own Upstash client, own leaderboard,
 * own remote-changes subscription, own live board.
 */
import { randomBytes } from "node:crypto";

import { Redis } from "@upstash/redis";
import { Redis as IORedis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import { env } from "~/env.js";
import { createCaller } from "~/server/api/root";
import type { Context } from "~/server/api/trpc";
import type { SessionUser } from "~/server/auth/accounts";
import { db } from "~/server/db";
import { scores, users } from "~/server/db/schema";
import { createRedisBoard, createRemoteChanges, type BoardKeys, boardKeysUnder } from "~/server/redis/board";
import { createRateLimits } from "~/server/redis/rate-limit";
import { scoreDeps } from "~/server/scoring";
import { createLeaderboard, type Board } from "./board";
import { createLiveBoard, LIVE_BOARD_SIZE, type LiveBoard } from "./live";
import { startAction, submitAction, type ScoreDeps } from "./score-service";
import { deleteKeys } from "../../../test/support/services";

// ---------------------------------------------------------------------------
// Helpers

const hex = (bytes = 6) => randomBytes(bytes).toString("hex");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const raw = new IORedis(env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
const isolatedPrefixes: string[] = [];
const cleanups: (() => void | Promise<void>)[] = [];

beforeAll(async () => {
  await raw.connect();
});

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => {});
  for (const prefix of isolatedPrefixes) await deleteKeys(prefix);
  raw.disconnect();
});

/** Polls `predicate` every few ms; resolves with the elapsed ms, or throws naming `what`. */
async function waitUntil(predicate: () => boolean | Promise<boolean>, timeoutMs: number, what: string) {
  const started = Date.now();
  for (;;) {
    if (await predicate()) return Date.now() - started;
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(5);
  }
}

/** Resolves with the promise's value, or with `timedOut` when it has not settled within `ms`. */
function isAbortError(error: unknown) {
  return error instanceof Error && error.name === "AbortError";
}

async function within<T>(promise: Promise<T>, ms: number): Promise<T | "timed out"> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<"timed out">((resolve) => (timer = setTimeout(() => resolve("timed out"), ms)));
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Fresh board keys under this run's prefix, marked built: the board holds only what this test publishes. */
async function freshBoardKeys(): Promise<BoardKeys> {
  const prefix = `${env.REDIS_KEY_PREFIX}live_${hex()}:`;
  isolatedPrefixes.push(prefix);
  const base = `${prefix}board`;
  const keys = boardKeysUnder(base);
  await raw.set(keys.ready, "1");
  return keys;
}

/** How many Redis connections are subscribed to the board's change channel (one per open remote subscription). */
async function channelSubscribers(keys: BoardKeys) {
  const [, count] = (await raw.pubsub("NUMSUB", keys.changes)) as [string, number];
  return Number(count);
}

async function boardVersion(keys: BoardKeys) {
  return Number((await raw.get(keys.version)) ?? "0");
}

/** A clock the test moves by hand: action tokens are issued and checked against it. */
function manualClock(start = Date.now()) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

type Instance = {
  name: string;
  live: LiveBoard;
  deps: ScoreDeps;
  clock: ReturnType<typeof manualClock>;
  /** readBoard calls so far. */
  reads: () => number;
  errors: string[];
};

/** One "process": its own Upstash client, leaderboard, remote changes and live board, over shared keys. */
function createInstance(
  name: string,
  keys: BoardKeys,
  options: { afterRead?: () => Promise<void> } = {},
): Instance {
  const client = new Redis({
    url: env.UPSTASH_REDIS_REST_URL,
    token: env.UPSTASH_REDIS_REST_TOKEN,
    retry: { retries: 1, backoff: () => 50 },
    enableTelemetry: false,
    automaticDeserialization: false,
  });
  const errors: string[] = [];
  const onError = (operation: string, error: unknown) =>
    errors.push(`${operation}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
  let readCount = 0;
  // The leaderboard notifies the live board (created just below) after every publish, as in index.ts.
  const leaderboard = createLeaderboard({ db, redisBoard: createRedisBoard(client, keys), onRedisError: onError, onPublished: () => live.notify() });
  const live: LiveBoard = createLiveBoard({
    readBoard: async () => {
      readCount += 1;
      const board = await leaderboard.top(LIVE_BOARD_SIZE);
      // A test may hold a read's result back (a slow Redis answer) after it was taken.
      await options.afterRead?.();
      return board;
    },
    remote: createRemoteChanges(client, keys, onError),
    onError,
  });
  const clock = manualClock();
  return { name, live, clock, errors, reads: () => readCount, deps: { db, leaderboard, tokenKey: scoreDeps.tokenKey, now: clock.now } };
}

/** A user with a score row of 0 (not on the fresh board until they score). */
async function createUser(): Promise<SessionUser> {
  const username = `l_${hex()}`;
  const displayName = `Player ${username}`;
  const [row] = await db.insert(users).values({ username, displayName }).returning({ id: users.id });
  await db.insert(scores).values({ userId: row!.id });
  return { id: row!.id, username, name: displayName, role: "user" };
}

type ActionType = "COMPLETE_TASK" | "WIN_MATCH" | "DAILY_BONUS";
const MIN_MS: Record<ActionType, number> = { COMPLETE_TASK: 2_000, WIN_MATCH: 5_000, DAILY_BONUS: 0 };

/** Starts and submits one action through the instance's score service (its clock moved past the minimum). */
async function score(instance: Instance, user: SessionUser, actionType: ActionType = "COMPLETE_TASK") {
  const started = await startAction(instance.deps, { userId: user.id, actionType });
  if (!started.ok) throw new Error(`start refused: ${started.reason}`);
  instance.clock.advance(MIN_MS[actionType]);
  const submitted = await submitAction(instance.deps, {
    userId: user.id,
    actionId: started.value.actionId,
    token: started.value.token,
    ip: null,
    userAgent: null,
  });
  if (!submitted.ok) throw new Error(`submit refused: ${submitted.reason}`);
  return submitted.value;
}

type Collector = {
  controller: AbortController;
  boards: Board[];
  /** Set once the consuming loop has exited. */
  ended: boolean;
  error: unknown;
  done: Promise<void>;
};

/** One subscriber: consumes `watch(signal)` in a loop, collecting every snapshot. */
function collect(live: LiveBoard): Collector {
  const controller = new AbortController();
  const collector: Collector = { controller, boards: [], ended: false, error: undefined, done: Promise.resolve() };
  collector.done = (async () => {
    try {
      for await (const board of live.watch(controller.signal)) collector.boards.push(board);
    } catch (error) {
      // A watch ends with an AbortError by design (tRPC then lets the client reconnect).
      if (!isAbortError(error)) collector.error = error;
    } finally {
      collector.ended = true;
    }
  })();
  return collector;
}

const lastVersion = (collector: Collector) => collector.boards.at(-1)?.version ?? -1;
const versionsOf = (collector: Collector) => collector.boards.map((board) => board.version);

function expectStrictlyIncreasing(values: number[]) {
  for (let i = 1; i < values.length; i++) expect(values[i], `versions ${values.join(",")}`).toBeGreaterThan(values[i - 1]!);
}

/** Two instances over one fresh board, 50 subscribers on each, all holding the initial snapshot. */
async function twoInstancesWithSubscribers(perInstance = 50) {
  const keys = await freshBoardKeys();
  const a = createInstance("A", keys);
  const b = createInstance("B", keys);
  const onA = Array.from({ length: perInstance }, () => collect(a.live));
  const onB = Array.from({ length: perInstance }, () => collect(b.live));
  const all = [...onA, ...onB];
  cleanups.push(() => all.forEach((collector) => collector.controller.abort()));
  await waitUntil(() => all.every((collector) => collector.boards.length >= 1), 5_000, "every subscriber's first snapshot");
  // Both remote subscriptions are open before anything is published (a PUBLISH before that is lost by design).
  await waitUntil(async () => (await channelSubscribers(keys)) === 2, 5_000, "both instances subscribed to the change channel");
  expect(a.live.subscriberCount).toBe(perInstance);
  expect(b.live.subscriberCount).toBe(perInstance);
  return { keys, a, b, onA, onB, all };
}

// ---------------------------------------------------------------------------

describe("live board: one watcher per process, fan-out across instances", () => {
  it("delivers a change made on instance A to 50 subscribers on A and 50 on B within 1 s, in version order, with O(instances) board reads", async () => {
    const { keys, a, b, all } = await twoInstancesWithSubscribers(50);
    const player = await createUser();
    const rival = await createUser();
    // Let the joins' coalesced reads finish before counting.
    await sleep(100);
    const readsBefore = { A: a.reads(), B: b.reads() };

    const changes = 5;
    const latencies: number[] = [];
    for (let i = 0; i < changes; i++) {
      const user = i % 2 === 0 ? player : rival;
      const sentAt = Date.now();
      const result = await score(a, user);
      const version = await boardVersion(keys);
      await waitUntil(
        () => all.every((collector) => lastVersion(collector) >= version),
        1_000 - (Date.now() - sentAt),
        `change ${i + 1} (version ${version}) at all 100 subscribers; behind: ${all.filter((c) => lastVersion(c) < version).length}`,
      );
      latencies.push(Date.now() - sentAt);
      // Every subscriber holds the submitted score.
      for (const collector of all) {
        expect(collector.boards.at(-1)!.entries.find((entry) => entry.userId === user.id)?.score).toBe(result.score);
      }
    }
    await sleep(300); // trailing reads (A also hears its own PUBLISH)
    const reads = { A: a.reads() - readsBefore.A, B: b.reads() - readsBefore.B };

    for (const collector of all) {
      expect(collector.error).toBeUndefined();
      expect(collector.ended).toBe(false);
      // First the empty board, then one snapshot per change: increasing, no duplicates.
      const versions = versionsOf(collector);
      expectStrictlyIncreasing(versions);
      expect(versions).toHaveLength(1 + changes);
    }
    // Independent of 100 subscribers: at most 3 reads per instance per change.
    expect(reads.A, `reads on A ${JSON.stringify(reads)}`).toBeLessThanOrEqual(3 * changes);
    expect(reads.B, `reads on B ${JSON.stringify(reads)}`).toBeLessThanOrEqual(3 * changes);
    expect(reads.B, "B learnt of the changes through Redis").toBeGreaterThanOrEqual(1);
    expect([...a.errors, ...b.errors]).toEqual([]);
    console.info(`live fan-out: latency to all 100 subscribers per change (ms) ${latencies.join(", ")}; board reads ${JSON.stringify(reads)} for ${changes} changes`);
  });

  it("ends every generator when its signal aborts, drops to 0 subscribers and closes the remote subscription", async () => {
    const { keys, a, b, all } = await twoInstancesWithSubscribers(50);
    const player = await createUser();
    await score(a, player);
    const version = await boardVersion(keys);
    await waitUntil(() => all.every((collector) => lastVersion(collector) >= version), 1_000, "the first change at every subscriber");

    for (const collector of all) collector.controller.abort();
    const settled = await within(Promise.all(all.map((collector) => collector.done)), 2_000);
    expect(settled, `loops still running: ${all.filter((c) => !c.ended).length}`).not.toBe("timed out");
    expect(all.every((collector) => collector.ended)).toBe(true);
    expect(all.map((collector) => collector.error).filter(Boolean)).toEqual([]);
    expect(a.live.subscriberCount).toBe(0);
    expect(b.live.subscriberCount).toBe(0);
    // Both instances' pub/sub streams are gone from Redis.
    await waitUntil(async () => (await channelSubscribers(keys)) === 0, 3_000, "the change channel to have no subscribers");

    // A later change costs no read anywhere, not even after the version poll's interval.
    const readsBefore = { A: a.reads(), B: b.reads() };
    await score(a, player);
    await score(b, player);
    await sleep(2_500);
    expect({ A: a.reads(), B: b.reads() }).toEqual(readsBefore);
    expect(await channelSubscribers(keys)).toBe(0);
  });

  it("gives a subscriber that stopped pulling only the newest snapshot, not a backlog", async () => {
    const keys = await freshBoardKeys();
    const a = createInstance("A", keys);
    const player = await createUser();
    const slowController = new AbortController();
    cleanups.push(() => slowController.abort());
    const slow = a.live.watch(slowController.signal);
    const first = await slow.next();
    expect(first.done).toBe(false);
    const fast = collect(a.live);
    cleanups.push(() => fast.controller.abort());
    await waitUntil(() => fast.boards.length >= 1, 2_000, "the fast subscriber's first snapshot");

    const results = [];
    for (let i = 0; i < 4; i++) results.push(await score(a, player));
    const newest = await boardVersion(keys);
    await waitUntil(() => lastVersion(fast) >= newest, 1_000, "the fast subscriber to see every change");
    expect(fast.boards.length).toBeGreaterThanOrEqual(2);

    // The slow one pulls now: the newest board at once...
    const next = await within(slow.next(), 500);
    expect(next).not.toBe("timed out");
    const board = (next as IteratorResult<Board>).value as Board;
    expect(board.version).toBe(newest);
    expect(board.entries.find((entry) => entry.userId === player.id)?.score).toBe(results.at(-1)!.score);
    // ...and nothing queued behind it.
    const afterThat = slow.next();
    expect(await within(afterThat, 300)).toBe("timed out");
    slowController.abort();
    await expect(within(afterThat, 1_000)).rejects.toMatchObject({ name: "AbortError" });
  });

  it("gives a subscriber who joins after everyone left the current board, not one a read took before they left", async () => {
    const keys = await freshBoardKeys();
    let gate: Promise<void> | null = null;
    let release = () => {};
    let held = 0;
    const a = createInstance("A", keys, {
      afterRead: async () => {
        if (!gate) return;
        held += 1;
        await gate;
      },
    });
    const player = await createUser();
    const early = collect(a.live);
    cleanups.push(() => early.controller.abort());
    await waitUntil(() => early.boards.length >= 1, 2_000, "the first subscriber's snapshot");

    // A change whose board read is slow to come back...
    gate = new Promise<void>((resolve) => (release = resolve));
    await score(a, player);
    const readVersion = await boardVersion(keys);
    await waitUntil(() => held >= 1, 2_000, "the watcher's read of the change");
    // ...while the last subscriber leaves: the watcher stops.
    early.controller.abort();
    await within(early.done, 1_000);
    expect(a.live.subscriberCount).toBe(0);
    gate = null;
    release();
    await sleep(50);

    // The board moves on while nobody watches.
    const latest = await score(a, player);
    const currentVersion = await boardVersion(keys);
    expect(currentVersion).toBeGreaterThan(readVersion);

    const late = collect(a.live);
    cleanups.push(() => late.controller.abort());
    await waitUntil(() => late.boards.length >= 1, 1_000, "the late subscriber's first snapshot");
    const first = late.boards[0]!;
    expect(
      { version: first.version, score: first.entries.find((entry) => entry.userId === player.id)?.score },
      `first snapshot of a new subscriber (the version read before the watcher stopped was ${readVersion})`,
    ).toEqual({ version: currentVersion, score: latest.score });
  });
});

// ---------------------------------------------------------------------------

/** Limits that never refuse: `leaderboard.live` uses none, the context needs some. */
const noLimits = createRateLimits({ redis: new Redis({ url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN }), prefix: "unused", user: "20/10s", auth: "10/60s", disabled: true });

type Envelope = { id: string; data: Board };

/** tRPC v11's tracked() envelope is `[id, data, trackedSymbol]`; accept `{ id, data }` too, and say which. */
function envelope(value: unknown): Envelope & { shape: "tuple" | "object" } {
  if (Array.isArray(value)) {
    expect(value).toHaveLength(3);
    expect(typeof value[2]).toBe("symbol");
    return { id: value[0] as string, data: value[1] as Board, shape: "tuple" };
  }
  const object = value as Envelope;
  expect(object).toMatchObject({ id: expect.any(String), data: expect.any(Object) });
  return { ...object, shape: "object" };
}

describe("leaderboard.live through the router (createCaller)", () => {
  /** A fresh board on one instance with four players: DAILY 50, WIN 25, TASK 20, TASK 10 (top 3 = first three). */
  async function routerSetup() {
    const keys = await freshBoardKeys();
    const a = createInstance("A", keys);
    const [first, second, third, fourth] = await Promise.all([createUser(), createUser(), createUser(), createUser()]);
    await score(a, first!, "DAILY_BONUS");
    await score(a, second!, "WIN_MATCH");
    await score(a, third!);
    await score(a, third!);
    await score(a, fourth!);
    const controller = new AbortController();
    cleanups.push(() => controller.abort());
    const ctx: Context = { db, session: null, headers: new Headers(), scoring: a.deps, rateLimits: noLimits, live: a.live };
    const caller = createCaller(ctx, { signal: controller.signal });
    return { keys, a, players: { first: first!, second: second!, third: third!, fourth: fourth! }, caller, controller };
  }

  it("returns an async iterable; with lastEventId = the current version it waits for the next change of its top `limit`", async () => {
    const { keys, a, players, caller, controller } = await routerSetup();
    const current = await boardVersion(keys);
    const stream = await caller.leaderboard.live({ limit: 3, lastEventId: String(current) });
    expect(typeof (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]).toBe("function");
    const iterator = (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]();

    const pending = iterator.next();
    expect(await within(pending, 500), "the client already holds the current board").toBe("timed out");

    // A change below the top 3 (the fourth player 10 → 20, behind the third's 20 reached earlier) moves the version only.
    await score(a, players.fourth);
    const outside = await boardVersion(keys);
    expect(outside).toBeGreaterThan(current);
    expect(await within(pending, 500), "a change outside the top 3 yields nothing").toBe("timed out");

    // The third player overtakes the second: 30 > 25.
    await score(a, players.third);
    const inside = await boardVersion(keys);
    const result = await within(pending, 1_000);
    expect(result).not.toBe("timed out");
    const item = envelope((result as IteratorResult<unknown>).value);
    expect(item.id).toBe(String(inside));
    expect(item.data.version).toBe(inside);
    expect(item.data.entries.map((entry) => [entry.rank, entry.userId, entry.score])).toEqual([
      [1, players.first.id, 50],
      [2, players.third.id, 30],
      [3, players.second.id, 25],
    ]);
    console.info(`leaderboard.live yields tracked envelopes shaped as ${item.shape === "tuple" ? "[id, data, symbol]" : "{ id, data }"}`);

    controller.abort();
    await expect(within(iterator.next(), 1_000)).rejects.toMatchObject({ name: "AbortError" });
    await waitUntil(() => a.live.subscriberCount === 0, 1_000, "the router's watch to end");
  });

  it("with a stale lastEventId yields the current board at once, then each change with strictly increasing ids", async () => {
    const { keys, a, players, caller, controller } = await routerSetup();
    const current = await boardVersion(keys);
    const stream = await caller.leaderboard.live({ limit: 3, lastEventId: String(current - 1) });
    const iterator = (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]();

    const first = await within(iterator.next(), 1_000);
    expect(first, "a stale id gets the current board at once").not.toBe("timed out");
    const initial = envelope((first as IteratorResult<unknown>).value);
    expect(initial.id).toBe(String(current));
    expect(initial.data.entries.map((entry) => entry.userId)).toEqual([players.first.id, players.second.id, players.third.id]);
    expect(initial.data.entries).toHaveLength(3);

    const ids = [Number(initial.id)];
    const nextItem = async (pull: Promise<IteratorResult<unknown>>, version: number) => {
      const result = await within(pull, 1_000);
      expect(result, `a top-3 change (version ${version}) yields`).not.toBe("timed out");
      const item = envelope((result as IteratorResult<unknown>).value);
      expect(item.id).toBe(String(version));
      expect(item.data.version).toBe(version);
      expect(item.data.entries).toHaveLength(3);
      ids.push(Number(item.id));
      return item.data;
    };

    // The third overtakes the second: 30 > 25.
    await score(a, players.third);
    let board = await nextItem(iterator.next(), await boardVersion(keys));
    expect(board.entries.map((entry) => entry.userId)).toEqual([players.first.id, players.third.id, players.second.id]);

    // The fourth reaches 20, still below the top 3: nothing is yielded...
    await score(a, players.fourth);
    const pull = iterator.next();
    expect(await within(pull, 400), "a change below the top 3 yields nothing").toBe("timed out");
    // ...and the pending pull is answered by the next change of the top 3: the second reaches 35.
    await score(a, players.second);
    board = await nextItem(pull, await boardVersion(keys));
    expect(board.entries.map((entry) => [entry.userId, entry.score])).toEqual([
      [players.first.id, 50],
      [players.second.id, 35],
      [players.third.id, 30],
    ]);

    // A rescore at the top without any reordering is a change too.
    await score(a, players.first);
    board = await nextItem(iterator.next(), await boardVersion(keys));
    expect(board.entries[0]).toMatchObject({ userId: players.first.id, score: 60 });

    expectStrictlyIncreasing(ids);
    expect(ids.length).toBeGreaterThanOrEqual(4);

    controller.abort();
    await expect(within(iterator.next(), 1_000)).rejects.toMatchObject({ name: "AbortError" });
  });
});

