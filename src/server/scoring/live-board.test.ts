/**
 * The live board's fan-out (src/server/scoring/live-board.ts) against real services: Postgres, and
 * Redis through the Upstash bridge — pub/sub included, no mocks.
 *
 * Every test builds its own board: fresh Redis keys under this file's prefix, marked built but
 * holding only the users the test publishes. "Two processes" are two complete stacks over the
 * same keys: own Upstash client, own leaderboard, own change-feed subscription, own live board.
 *
 * Tests wait on what they observe (a snapshot, a board read, a version poll, a pub/sub message),
 * and prove that something did not happen by a later event that would have come after it.
 */
import { randomBytes } from "node:crypto";

import { isTrackedEnvelope } from "@trpc/server";
import { Redis } from "@upstash/redis";
import { Redis as IORedis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";

import { env } from "~/env.js";
import { createCaller } from "~/server/api/root";
import { contextServices, type Context } from "~/server/api/trpc";
import type { SessionUser } from "~/server/auth/accounts";
import { services } from "~/server/composition-root";
import { scores, users } from "~/server/db/schema";
import { ALL_TIME, scopesAt, type Board, type BoardChangeFeed } from "~/server/board/types";
import { createBoardChangeFeed } from "~/server/redis/board-changes";
import { createBoardStore } from "~/server/redis/board-store";
import { redisKeys, type BoardKeys } from "~/server/redis/keys";
import { createRateLimits } from "~/server/redis/rate-limit";
import { createLeaderboard } from "./leaderboard";
import { createLiveBoard, LIVE_BOARD_SIZE, type LiveBoard } from "./live-board";
import { startAction, submitAction, type ScoreDeps } from "./score-service";

const { db, scoreDeps } = services;

// ---------------------------------------------------------------------------
// Helpers

const hex = (bytes = 6) => randomBytes(bytes).toString("hex");

/** Longer than any test: the watcher hears of changes only by notify and pub/sub. */
const POLL_NEVER_MS = 60 * 60_000;
/** Short enough to watch the version poll tick within a test. */
const POLL_SOON_MS = 20;

const raw = new IORedis(env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });

beforeAll(async () => {
  await raw.connect();
});

afterAll(() => {
  raw.disconnect();
});

const waiters = new Set<() => void>();
let checkScheduled = false;

/**
 * Re-checks the pending `until`s after something observable happened, once the code reacting to
 * it has run (its microtasks): a read that ends may start the next one coalesced behind it.
 */
function observed() {
  if (checkScheduled) return;
  checkScheduled = true;
  setImmediate(() => {
    checkScheduled = false;
    for (const check of [...waiters]) check();
  });
}

/** Resolves once `condition` holds, checked after each observation; fails after `timeoutMs`, naming `what`. */
function until(condition: () => boolean, what: string | (() => string), timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      waiters.delete(check);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${typeof what === "string" ? what : what()}`));
    }, timeoutMs);
    const check = () => {
      if (!condition()) return;
      clearTimeout(timer);
      waiters.delete(check);
      resolve();
    };
    waiters.add(check);
    observed();
  });
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

function isAbortError(error: unknown) {
  return error instanceof Error && error.name === "AbortError";
}

/**
 * Fresh board keys under this file's prefix, marked built: the board holds only what this test
 * publishes. The current day's and week's boards, which every submit writes too, are marked built
 * alike, so that no rebuild of theirs runs in the background of a test about the all-time board.
 */
async function freshBoardKeys(): Promise<BoardKeys> {
  const keys = redisKeys(`${env.REDIS_KEY_PREFIX}live_${hex()}:`).board;
  const periods = scopesAt(Date.now()).flatMap((scope) => (scope.period ? [keys.period(scope.window, scope.period.name)] : []));
  await raw.mset(...[keys, ...periods].flatMap((ranking) => [ranking.ready, "1"]));
  return keys;
}

/**
 * Resolves once `count` Redis connections are subscribed to the board's change channel (one per
 * open change-feed subscription). Polls Redis: an instance opens and closes its pub/sub stream in
 * the background and tells nobody when the bridge has it.
 */
async function channelSubscribersReach(keys: BoardKeys, count: number, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [, subscribed] = (await raw.pubsub("NUMSUB", keys.changes)) as [string, number];
    if (Number(subscribed) === count) return;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${count} subscribers to the change channel (now ${subscribed})`);
    await new Promise((resolve) => setTimeout(resolve, 5)); // sleep: nothing to await, only Redis knows (see above)
  }
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
  live: LiveBoard;
  deps: ScoreDeps;
  clock: ReturnType<typeof manualClock>;
  /** Board reads started so far, and how many of them have not returned yet. */
  reads: () => number;
  readsInFlight: () => number;
  /** Board-change messages pub/sub delivered to the watcher. */
  heard: () => number;
  /** Version polls answered so far, and how many are still waiting for Redis. */
  polls: () => number;
  pollsInFlight: () => number;
  /** Pub/sub streams opened so far, and how many of them are still open. */
  streamsOpened: () => number;
  openStreams: () => number;
  errors: string[];
};

/** One "process": its own Upstash client, leaderboard, change feed and live board, over shared keys. */
function createInstance(
  keys: BoardKeys,
  options: {
    pollIntervalMs?: number;
    readerLeaseMs?: number;
    /** Holds a board read's result back after it was taken (a slow Redis answer). */
    afterRead?: () => Promise<void>;
    /** The first pub/sub stream delivers nothing: it died without anyone noticing. */
    firstStreamDead?: boolean;
  } = {},
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
  const count = { reads: 0, readsInFlight: 0, heard: 0, polls: 0, pollsInFlight: 0, streamsOpened: 0, openStreams: 0 };

  const feed = createBoardChangeFeed(client, keys, () => ALL_TIME, onError);
  const observedFeed: BoardChangeFeed = {
    subscribe(handlers) {
      count.streamsOpened += 1;
      count.openStreams += 1;
      const dead = options.firstStreamDead === true && count.streamsOpened === 1;
      const stop = feed.subscribe({
        ...handlers,
        onChange() {
          if (dead) return;
          count.heard += 1;
          handlers.onChange();
          observed();
        },
      });
      observed();
      return () => {
        count.openStreams -= 1;
        stop();
        observed();
      };
    },
    async currentVersion() {
      count.pollsInFlight += 1;
      try {
        return await feed.currentVersion();
      } finally {
        count.pollsInFlight -= 1;
        count.polls += 1;
        observed();
      }
    },
  };
  // The leaderboard notifies the live board (created just below) after every publish, as in index.ts.
  const leaderboard = createLeaderboard({ db, store: createBoardStore(client, keys), onRedisError: onError, onPublished: () => live.notify() });
  const live: LiveBoard = createLiveBoard({
    readBoard: async () => {
      count.reads += 1;
      count.readsInFlight += 1;
      observed();
      try {
        const board = await leaderboard.top("all", LIVE_BOARD_SIZE);
        await options.afterRead?.();
        return board;
      } finally {
        count.readsInFlight -= 1;
        observed();
      }
    },
    changeFeed: observedFeed,
    onError,
    timing: { pollIntervalMs: options.pollIntervalMs ?? POLL_NEVER_MS, ...(options.readerLeaseMs === undefined ? {} : { readerLeaseMs: options.readerLeaseMs }) },
  });
  const clock = manualClock();
  return {
    live,
    clock,
    errors,
    deps: { db, leaderboard, tokenKey: scoreDeps.tokenKey, now: clock.now },
    reads: () => count.reads,
    readsInFlight: () => count.readsInFlight,
    heard: () => count.heard,
    polls: () => count.polls,
    pollsInFlight: () => count.pollsInFlight,
    streamsOpened: () => count.streamsOpened,
    openStreams: () => count.openStreams,
  };
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

/** One subscriber until the end of the test: consumes `watch(signal)` in a loop, collecting every snapshot. */
function collect(live: LiveBoard): Collector {
  const controller = new AbortController();
  onTestFinished(() => controller.abort());
  const collector: Collector = { controller, boards: [], ended: false, error: undefined, done: Promise.resolve() };
  collector.done = (async () => {
    try {
      for await (const board of live.watch(controller.signal)) {
        collector.boards.push(board);
        observed();
      }
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
const scoreOf = (board: Board | undefined, user: SessionUser) => board?.entries.find((entry) => entry.userId === user.id)?.score;

function expectStrictlyIncreasing(values: number[]) {
  for (let i = 1; i < values.length; i++) expect(values[i], `versions ${values.join(",")}`).toBeGreaterThan(values[i - 1]!);
}

/** Two instances over one fresh board, `perInstance` subscribers on each, all holding the initial snapshot. */
async function twoInstancesWithSubscribers(perInstance: number, pollIntervalMs?: number) {
  const keys = await freshBoardKeys();
  const a = createInstance(keys, { pollIntervalMs });
  const b = createInstance(keys, { pollIntervalMs });
  const all = [...Array.from({ length: perInstance }, () => collect(a.live)), ...Array.from({ length: perInstance }, () => collect(b.live))];
  await until(() => all.every((collector) => collector.boards.length >= 1), "every subscriber's first snapshot");
  // Both change-feed subscriptions are open before anything is published (a PUBLISH before that is lost by design).
  await channelSubscribersReach(keys, 2);
  expect(a.live.subscriberCount).toBe(perInstance);
  expect(b.live.subscriberCount).toBe(perInstance);
  return { keys, a, b, all };
}

// ---------------------------------------------------------------------------

describe("live board: one watcher per process, fan-out across instances", () => {
  it("delivers each change made on instance A to 50 subscribers on A and 50 on B, in version order, with O(instances) board reads", async () => {
    const { keys, a, b, all } = await twoInstancesWithSubscribers(50);
    const player = await createUser();
    const rival = await createUser();
    await until(() => a.readsInFlight() === 0 && b.readsInFlight() === 0, "the joins' coalesced reads to end");
    const readsBefore = { A: a.reads(), B: b.reads() };

    const changes = 5;
    for (let i = 0; i < changes; i++) {
      const user = i % 2 === 0 ? player : rival;
      const result = await score(a, user);
      const version = await boardVersion(keys);
      await until(
        () => all.every((collector) => lastVersion(collector) >= version),
        () => `change ${i + 1} (version ${version}) at all 100 subscribers; behind: ${all.filter((c) => lastVersion(c) < version).length}`,
      );
      // Every subscriber holds the submitted score.
      for (const collector of all) expect(scoreOf(collector.boards.at(-1), user)).toBe(result.score);
    }
    // Every change's message reached both instances (A hears its own too), and the reads they started have ended.
    await until(
      () => a.heard() === changes && b.heard() === changes && a.readsInFlight() === 0 && b.readsInFlight() === 0,
      () => `${changes} change messages at each instance (A heard ${a.heard()}, B ${b.heard()})`,
    );
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
  });

  it("ends every generator when its signal aborts, drops to 0 subscribers, closes the change-feed subscription and stops polling", async () => {
    const { keys, a, b, all } = await twoInstancesWithSubscribers(50, POLL_SOON_MS);
    const player = await createUser();
    await score(a, player);
    const version = await boardVersion(keys);
    await until(() => all.every((collector) => lastVersion(collector) >= version), "the change at every subscriber");
    // Both watchers poll while they serve. Abort when neither has a poll outstanding: an answer
    // that arrives after its watcher stopped reopens a subscription (a known race in live-board.ts).
    await until(
      () => a.polls() >= 1 && b.polls() >= 1 && a.pollsInFlight() === 0 && b.pollsInFlight() === 0,
      "both watchers' version polls, none outstanding",
    );

    for (const collector of all) collector.controller.abort();
    await Promise.all(all.map((collector) => collector.done));
    expect(all.every((collector) => collector.ended)).toBe(true);
    expect(all.map((collector) => collector.error).filter(Boolean)).toEqual([]);
    expect(a.live.subscriberCount).toBe(0);
    expect(b.live.subscriberCount).toBe(0);
    expect({ A: a.openStreams(), B: b.openStreams() }).toEqual({ A: 0, B: 0 });
    // Both instances' pub/sub streams are gone from Redis too.
    await channelSubscribersReach(keys, 0);

    // Later changes cost neither a read nor a poll on the stopped watchers, while a third instance
    // with the same poll interval hears both changes and polls on.
    const before = { A: { reads: a.reads(), polls: a.polls() }, B: { reads: b.reads(), polls: b.polls() } };
    const control = createInstance(keys, { pollIntervalMs: POLL_SOON_MS });
    const watcher = collect(control.live);
    await until(() => watcher.boards.length >= 1, "the third instance's first snapshot");
    await score(a, player);
    await score(b, player);
    const latest = await boardVersion(keys);
    await until(() => lastVersion(watcher) >= latest, "both changes at the third instance");
    const controlPolls = control.polls();
    await until(() => control.polls() >= controlPolls + 3, "three more version polls on the third instance");

    expect({ A: { reads: a.reads(), polls: a.polls() }, B: { reads: b.reads(), polls: b.polls() } }).toEqual(before);
    expect({ A: a.openStreams(), B: b.openStreams() }).toEqual({ A: 0, B: 0 });
    expect([...a.errors, ...b.errors, ...control.errors]).toEqual([]);
  });

  it("delivers a change whose pub/sub message was lost through the version poll, on a new subscription", async () => {
    const keys = await freshBoardKeys();
    const a = createInstance(keys, { pollIntervalMs: POLL_SOON_MS, firstStreamDead: true });
    const b = createInstance(keys);
    const player = await createUser();
    const watcher = collect(a.live);
    // A reads at start and again once its subscription is in place: after that, only news makes it read.
    await until(() => watcher.boards.length >= 1 && a.reads() >= 2 && a.readsInFlight() === 0, "A's start-up reads");

    // B has no subscribers of its own: only Redis can tell A.
    const result = await score(b, player);
    const version = await boardVersion(keys);
    await until(() => lastVersion(watcher) >= version, "the change at A's subscriber");

    expect(scoreOf(watcher.boards.at(-1), player)).toBe(result.score);
    expect(a.heard(), "nothing came through the dead stream").toBe(0);
    expect({ opened: a.streamsOpened(), open: a.openStreams() }, "the dead stream replaced by a new one").toEqual({ opened: 2, open: 1 });
    expect([...a.errors, ...b.errors]).toEqual([]);
  });

  it("gives a subscriber that stopped pulling only the newest snapshot, not a backlog", async () => {
    const keys = await freshBoardKeys();
    const a = createInstance(keys);
    const player = await createUser();
    const slowController = new AbortController();
    onTestFinished(() => slowController.abort());
    const slow = a.live.watch(slowController.signal);
    expect((await slow.next()).done).toBe(false);
    const fast = collect(a.live);
    await until(() => fast.boards.length >= 1, "the fast subscriber's first snapshot");

    const results = [];
    for (let i = 0; i < 4; i++) results.push(await score(a, player));
    const newest = await boardVersion(keys);
    await until(() => lastVersion(fast) >= newest, "the fast subscriber to see every change");
    expect(fast.boards.length).toBeGreaterThanOrEqual(2);

    // The slow one pulls now: the newest board...
    const pulled = await slow.next();
    expect(pulled.done).toBe(false);
    expect(pulled.value!.version).toBe(newest);
    expect(scoreOf(pulled.value!, player)).toBe(results.at(-1)!.score);
    // ...and nothing queued behind it: what it gets next is the next change.
    const afterThat = slow.next();
    const next = await score(a, player);
    const nextVersion = await boardVersion(keys);
    const following = await afterThat;
    expect(following.done).toBe(false);
    expect(following.value!.version).toBe(nextVersion);
    expect(scoreOf(following.value!, player)).toBe(next.score);

    slowController.abort();
    await expect(slow.next()).rejects.toMatchObject({ name: "AbortError" });
  });

  it("gives a subscriber who joins after everyone left the current board, not one a read took before they left", async () => {
    const keys = await freshBoardKeys();
    let holdNextRead = false;
    const readTaken = deferred();
    const release = deferred();
    const a = createInstance(keys, {
      afterRead: async () => {
        if (!holdNextRead) return;
        holdNextRead = false;
        readTaken.resolve();
        await release.promise;
      },
    });
    const player = await createUser();
    const early = collect(a.live);
    await until(() => early.boards.length >= 1 && a.readsInFlight() === 0, "the first subscriber's snapshot");

    // A change whose board read is slow to come back...
    holdNextRead = true;
    await score(a, player);
    const readVersion = await boardVersion(keys);
    await readTaken.promise;
    // ...while the last subscriber leaves: the watcher stops.
    early.controller.abort();
    await early.done;
    expect(a.live.subscriberCount).toBe(0);
    release.resolve();
    await until(() => a.readsInFlight() === 0, "the held read to come back to the stopped watcher");

    // The board moves on while nobody watches.
    const latest = await score(a, player);
    const currentVersion = await boardVersion(keys);
    expect(currentVersion).toBeGreaterThan(readVersion);

    const late = collect(a.live);
    await until(() => late.boards.length >= 1, "the late subscriber's first snapshot");
    const first = late.boards[0]!;
    expect(
      { version: first.version, score: scoreOf(first, player) },
      `first snapshot of a new subscriber (the version read before the watcher stopped was ${readVersion})`,
    ).toEqual({ version: currentVersion, score: latest.score });
  });
});

// ---------------------------------------------------------------------------

/** Limits that never refuse: `leaderboard.live` uses none, the context needs some. */
const noLimits = createRateLimits({ redis: new Redis({ url: env.UPSTASH_REDIS_REST_URL, token: env.UPSTASH_REDIS_REST_TOKEN }), prefix: "unused", user: "20/10s", auth: "10/60s", signInUser: "10/15m", disabled: true });

/** One item of leaderboard.live: tRPC v11's tracked(id, data), the tuple [id, data, symbol]. */
function envelope(value: unknown): { id: string; data: Board } {
  expect(isTrackedEnvelope(value), "a tracked() envelope").toBe(true);
  const [id, data] = value as [string, Board, symbol];
  return { id, data };
}

describe("leaderboard.live through the router (createCaller)", () => {
  /**
   * A fresh board on one instance with four players: DAILY 50, WIN 25, TASK 20, TASK 10 (top 3 =
   * first three), and a witness: a subscriber of the same watcher, to tell when it handed out a board.
   */
  async function routerSetup() {
    const keys = await freshBoardKeys();
    const a = createInstance(keys);
    const [first, second, third, fourth] = await Promise.all([createUser(), createUser(), createUser(), createUser()]);
    await score(a, first!, "DAILY_BONUS");
    await score(a, second!, "WIN_MATCH");
    await score(a, third!);
    await score(a, third!);
    await score(a, fourth!);
    const controller = new AbortController();
    onTestFinished(() => controller.abort());
    // The instance's live board is the all-time one; no test here watches another window.
    const liveBoards = { ...services.liveBoards, all: a.live };
    const ctx: Context = { ...contextServices(), session: null, headers: new Headers(), scoring: a.deps, rateLimits: noLimits, liveBoards };
    const caller = createCaller(ctx, { signal: controller.signal });
    const witness = collect(a.live);
    await until(() => witness.boards.length >= 1, "the witness's first snapshot");
    return { keys, a, players: { first: first!, second: second!, third: third!, fourth: fourth! }, caller, controller, witness };
  }

  /**
   * Resolves once the watcher has handed the board of `version` to its subscribers. The router's
   * stream has then taken it too: it runs on the same hand-out without waiting on I/O, so it is
   * done with it before anything the test does next reaches Redis.
   */
  const handedOut = (witness: Collector, version: number) => until(() => lastVersion(witness) >= version, `version ${version} at the witness`);

  it("returns an async iterable; with lastEventId = the current version it waits for the next change of its top `limit`", async () => {
    const { keys, a, players, caller, controller, witness } = await routerSetup();
    const current = await boardVersion(keys);
    const stream = await caller.leaderboard.live({ limit: 3, lastEventId: String(current) });
    expect(typeof (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]).toBe("function");
    const iterator = (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    const pending = iterator.next();

    // A change below the top 3 (the fourth player 10 → 20, behind the third's 20 reached earlier) moves the version only.
    await score(a, players.fourth);
    const outside = await boardVersion(keys);
    expect(outside).toBeGreaterThan(current);
    await handedOut(witness, outside);

    // The third player overtakes the second: 30 > 25. This is the first item: neither the board the
    // client already holds nor the change outside its top 3 was yielded before it.
    await score(a, players.third);
    const inside = await boardVersion(keys);
    const result = await pending;
    expect(result.done).toBe(false);
    const item = envelope(result.value);
    expect(item.id).toBe(String(inside));
    expect(item.data.version).toBe(inside);
    expect(item.data.entries.map((entry) => [entry.rank, entry.userId, entry.score])).toEqual([
      [1, players.first.id, 50],
      [2, players.third.id, 30],
      [3, players.second.id, 25],
    ]);

    witness.controller.abort();
    await witness.done;
    controller.abort();
    await expect(iterator.next()).rejects.toMatchObject({ name: "AbortError" });
    expect(a.live.subscriberCount, "the router's watch ended with its stream").toBe(0);
  });

  it("with a stale lastEventId yields the current board at once, then each change with strictly increasing ids", async () => {
    const { keys, a, players, caller, controller, witness } = await routerSetup();
    const current = await boardVersion(keys);
    const stream = await caller.leaderboard.live({ limit: 3, lastEventId: String(current - 1) });
    const iterator = (stream as AsyncIterable<unknown>)[Symbol.asyncIterator]();

    const initial = envelope((await iterator.next()).value);
    expect(initial.id).toBe(String(current));
    expect(initial.data.entries.map((entry) => entry.userId)).toEqual([players.first.id, players.second.id, players.third.id]);

    const ids = [Number(initial.id)];
    const nextItem = async (pull: Promise<IteratorResult<unknown>>, version: number) => {
      const result = await pull;
      expect(result.done, `a top-3 change (version ${version}) yields`).toBe(false);
      const item = envelope(result.value);
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
    const pull = iterator.next();
    await score(a, players.fourth);
    await handedOut(witness, await boardVersion(keys));
    // ...so the pending pull is answered by the next change of the top 3: the second reaches 35.
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
    expect(ids).toHaveLength(4);

    controller.abort();
    await expect(iterator.next()).rejects.toMatchObject({ name: "AbortError" });
  });
});

// ---------------------------------------------------------------------------

describe("live board: reads from memory", () => {
  /** An instance whose watcher runs, subscribed, answering from memory: a read that reads nothing new. */
  async function settledInstance(keys: BoardKeys, options: Parameters<typeof createInstance>[1] = {}) {
    const instance = createInstance(keys, options);
    const deadline = Date.now() + 10_000;
    // Reads go to Redis until the subscription is in place and a read after it shows every change.
    while (!instance.live.peek()) {
      if (Date.now() > deadline) throw new Error("the watcher never came to answer from memory");
      await instance.live.current();
    }
    return instance;
  }

  it("answers readers from memory while the board is known to be current: no Redis read per request", async () => {
    const keys = await freshBoardKeys();
    const a = createInstance(keys);
    await score(a, await createUser());
    const settled = await settledInstance(keys);
    const readsBefore = settled.reads();
    const boards = await Promise.all(Array.from({ length: 50 }, () => settled.live.current()));
    expect(settled.reads()).toBe(readsBefore);
    for (const board of boards) expect(board).toBe(boards[0]);
    expect(boards[0]!.version).toBe(await boardVersion(keys));
  });

  it("after a change made in this process, the next reader gets the new board (a submit, then a read, sees it)", async () => {
    const keys = await freshBoardKeys();
    const a = await settledInstance(keys);
    const player = await createUser();
    for (let i = 0; i < 3; i++) {
      const result = await score(a, player);
      const board = await a.live.current();
      expect(scoreOf(board, player)).toBe(result.score);
      expect(board.version).toBe(await boardVersion(keys));
    }
  });

  it("readers arriving together after a change share one Redis read", async () => {
    const keys = await freshBoardKeys();
    const a = await settledInstance(keys);
    const player = await createUser();
    const result = await score(a, player);
    const readsBefore = a.reads();
    const boards = await Promise.all(Array.from({ length: 20 }, () => a.live.current()));
    for (const board of boards) expect(board).toBe(boards[0]);
    expect(scoreOf(boards[0], player)).toBe(result.score);
    expect(a.reads() - readsBefore).toBe(1);
  });

  it("hears a change made on another instance, and then answers it from memory", async () => {
    const keys = await freshBoardKeys();
    const a = await settledInstance(keys);
    const b = createInstance(keys);
    const player = await createUser();
    const heardBefore = a.heard();
    const result = await score(b, player);
    await until(() => a.heard() > heardBefore, "A to hear of B's change");
    // The first reader after the news may wait for the read it caused; the next ones do not read.
    expect(scoreOf(await a.live.current(), player)).toBe(result.score);
    const readsBefore = a.reads();
    expect(scoreOf(await a.live.current(), player)).toBe(result.score);
    expect(a.reads()).toBe(readsBefore);
  });

  it("stops its watcher once readers have been away for the reader lease and nobody listens", async () => {
    const keys = await freshBoardKeys();
    const a = createInstance(keys, { pollIntervalMs: POLL_SOON_MS, readerLeaseMs: 1 });
    await a.live.current();
    // The first poll after the lease finds nobody: the watcher stops and closes its pub/sub stream.
    await until(() => !a.live.running && a.openStreams() === 0, "the watcher to stop");
    const opened = a.streamsOpened();
    expect(opened).toBeGreaterThanOrEqual(1);
    // A later read starts it again (with a 1 ms lease it may stop again at once: count openings,
    // not what is open at one moment).
    const player = await createUser();
    const result = await score(a, player);
    expect(scoreOf(await a.live.current(), player)).toBe(result.score);
    await until(() => a.streamsOpened() > opened, "the watcher to start again");
  });
});

describe("live board: readers are never starved by changes", () => {
  it("answers a reader with the read after the one in flight, however many changes keep coming", async () => {
    const keys = await freshBoardKeys();
    /** Each read after the start-up ones waits for the next of these, if the test queued one. */
    const holds: ReturnType<typeof deferred>[] = [];
    const a = createInstance(keys, { afterRead: () => holds.shift()?.promise ?? Promise.resolve() });
    // A live stream listens, so every change is read as it comes (the case that starved readers).
    const listening = a.live.listen(() => {});
    onTestFinished(() => listening.stop());
    await a.live.current();
    // One read at start, one once the subscription is in place: then only news makes it read.
    await until(() => a.reads() >= 2 && a.readsInFlight() === 0, "the start-up reads");

    const first = deferred();
    holds.push(first);
    a.live.notify(); // a change: a read starts and is held
    await until(() => a.readsInFlight() === 1, "the first read to start");
    a.live.notify(); // a change that read will not show
    let answered = false;
    const reader = a.live.current().then((board) => {
      answered = true;
      observed();
      return board;
    });

    const second = deferred();
    holds.push(second);
    const readsBefore = a.reads();
    first.resolve();
    await until(() => a.reads() > readsBefore, "the next read, started at once for the waiting reader");
    expect(answered).toBe(false);
    a.live.notify(); // changes keep coming during that read, and the read after it is held...
    a.live.notify();
    const third = deferred();
    holds.push(third);
    second.resolve(); // ...but when this one ends, the reader has its board
    await reader;
    expect(answered).toBe(true);
    third.resolve();
  });
});
