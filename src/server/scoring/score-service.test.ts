/**
 * The scoring core against real services: Postgres, and Redis through the Upstash bridge.
 *
 * Each test builds what it needs: its own users, clock and board (its own Redis keys under this
 * file's prefix and its own leaderboard, built from this file's own database). So Redis and
 * Postgres are compared exactly, whole boards included, whatever ran before.
 */
import { randomBytes, randomUUID } from "node:crypto";

import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { Redis } from "@upstash/redis";
import { asc, eq, inArray, sql } from "drizzle-orm";
import { Redis as IORedis } from "ioredis";
import type { Session } from "next-auth";
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from "vitest";

import { startUpstashBridge } from "../../../scripts/upstash-bridge";
import { env } from "~/env.js";
import { AppError } from "~/server/api/errors";
import { appRouter, createCaller } from "~/server/api/root";
import { contextServices, type Context } from "~/server/api/trpc";
import type { SessionUser } from "~/server/auth/accounts";
import { ALL_TIME, scopesAt } from "~/server/board/types";
import { services } from "~/server/composition-root";
import { createDatabase } from "~/server/db";
import { scoreActions, scores, users } from "~/server/db/schema";
import { boardMember, boardMemberUserId, createBoardStore, type BoardStore } from "~/server/redis/board-store";
import { redisKeys, type BoardKeys } from "~/server/redis/keys";
import { createRateLimits, type RateLimits } from "~/server/redis/rate-limit";
import { readStandingFromDatabase, readTopFromDatabase } from "./board-queries";
import { createLeaderboard, type Leaderboard } from "./leaderboard";
import { ACTION_RULES, type ActionType } from "./rules";
import { startAction, submitAction, type Outcome, type ScoreDeps, type ScoreFailure, type ScoreResult } from "./score-service";
import { actionTokenKey, issueActionToken, type IssuedAction } from "./token";
import { expectAppError } from "../../../test/support/app-errors";
import { sessionFor } from "../../../test/support/users";

const { db, redis, scoreDeps } = services;

// ---------------------------------------------------------------------------
// Helpers

const hex = (bytes = 6) => randomBytes(bytes).toString("hex");

/** Raw access to the run's redis-server, to inspect and flush the tests' own boards. */
const raw = new IORedis(env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });

beforeAll(async () => {
  await raw.connect();
});

afterAll(() => {
  raw.disconnect();
});

/** A clock the test moves by hand: tokens are issued and checked against it. */
function manualClock(start = Date.now()) {
  let t = start;
  return {
    now: () => t,
    advance(ms: number) {
      t += ms;
    },
  };
}
type Clock = ReturnType<typeof manualClock>;

/** A user with a score row of 0, as sign-up creates (without the cost of hashing a password). */
async function createUser(): Promise<SessionUser> {
  const username = `u_${hex()}`;
  const displayName = `Player ${username}`;
  const [row] = await db.insert(users).values({ username, displayName }).returning({ id: users.id });
  await db.insert(scores).values({ userId: row!.id });
  return { id: row!.id, username, name: displayName, role: "user" };
}

async function createUsers(count: number) {
  return Promise.all(Array.from({ length: count }, () => createUser()));
}

type Isolated = {
  /** The prefix of every Redis key of this board (all time's, and each day's and week's). */
  prefix: string;
  keys: BoardKeys;
  store: BoardStore;
  leaderboard: Leaderboard;
  deps: ScoreDeps;
  clock: Clock;
  redisErrors: string[];
  /** The first line of each reported Redis error, for failure messages. */
  redisErrorMessages: string[];
  /** Resolves once `operation` has failed `times` times in all. */
  failures(operation: string, times: number): Promise<void>;
  /** Resolves once the leaderboard's background work (rebuilds, the repair loop) has finished. */
  settled(): Promise<void>;
};

/**
 * A board of the test's own: own keys under this file's prefix, own leaderboard, own clock; the
 * file's database. A passing test ends once its background work has.
 */
function isolatedBoard(client: Redis = redis, options: { repairDelaysMs?: number[] } = {}): Isolated {
  const prefix = `${env.REDIS_KEY_PREFIX}iso_${hex()}:`;
  const keys = redisKeys(prefix).board;
  const store = createBoardStore(client, keys);
  const redisErrors: string[] = [];
  const redisErrorMessages: string[] = [];
  const failureWaits: { operation: string; times: number; resolve: () => void }[] = [];
  const background: Promise<unknown>[] = [];
  const failuresOf = (operation: string) => redisErrors.filter((failed) => failed === operation).length;
  const leaderboard = createLeaderboard({
    db,
    store,
    onRedisError: (operation, error) => {
      redisErrors.push(operation);
      redisErrorMessages.push(`${operation}: ${error instanceof Error ? error.message.split("\n")[0] : String(error)}`);
      for (const wait of failureWaits) if (failuresOf(wait.operation) >= wait.times) wait.resolve();
    },
    keepAlive: (task) => background.push(task),
    repairDelaysMs: options.repairDelaysMs,
  });
  const clock = manualClock();
  const settled = async () => {
    while (background.length > 0) await Promise.all(background.splice(0));
  };
  // After a failure the work may never end (a repair loop whose Redis stays away): the failure is reported already.
  onTestFinished(({ task }) => (task.result?.state === "fail" ? undefined : settled()));
  return {
    prefix,
    keys,
    store,
    leaderboard,
    clock,
    redisErrors,
    redisErrorMessages,
    deps: { db, leaderboard, tokenKey: scoreDeps.tokenKey, now: clock.now },
    failures: (operation, times) =>
      failuresOf(operation) >= times ? Promise.resolve() : new Promise((resolve) => failureWaits.push({ operation, times, resolve })),
    settled,
  };
}

/** Builds the isolated all-time board from Postgres (as the first read of a fresh Redis does) and waits for it. */
async function buildBoard(iso: Isolated) {
  await iso.leaderboard.top("all", 1);
  await iso.settled();
  expect(await iso.store.top(ALL_TIME, 1), `board built (Redis errors: ${iso.redisErrorMessages.join("; ")})`).not.toBeNull();
}

/** A flush: every key of the isolated boards goes, all time's and each period's. */
async function deleteBoardKeys(iso: Isolated) {
  // SCAN, not KEYS: the server is shared.
  const keys: string[] = [];
  let cursor = "0";
  do {
    const [next, found] = await raw.scan(cursor, "MATCH", `${iso.prefix}*`, "COUNT", 1000);
    keys.push(...found);
    cursor = next;
  } while (cursor !== "0");
  expect(keys, "the board had keys to flush").toContain(iso.keys.ready);
  await raw.del(...keys);
}

function ok<T>(outcome: Outcome<T>): T {
  if (!outcome.ok) throw new Error(`expected success, got ${outcome.reason}`);
  return outcome.value;
}

function refused(outcome: Outcome<unknown>): ScoreFailure | "OK" {
  return outcome.ok ? "OK" : outcome.reason;
}

async function start(deps: ScoreDeps, user: SessionUser, actionType: ActionType | string = "COMPLETE_TASK") {
  return ok(await startAction(deps, { userId: user.id, actionType }));
}

async function startMany(deps: ScoreDeps, user: SessionUser, count: number, actionType: ActionType = "COMPLETE_TASK") {
  return Promise.all(Array.from({ length: count }, () => start(deps, user, actionType)));
}

function submit(deps: ScoreDeps, user: SessionUser, action: Pick<IssuedAction, "actionId" | "token">, meta: { ip?: string; userAgent?: string } = {}) {
  return submitAction(deps, {
    userId: user.id,
    actionId: action.actionId,
    token: action.token,
    ip: meta.ip ?? null,
    userAgent: meta.userAgent ?? null,
  });
}

/** Moves the clock past the longest minimum (WIN_MATCH, 5 s): every started action may be submitted. */
const pastMinimum = (clock: Clock) => clock.advance(6_000);

async function auditRows(userId: string) {
  return db.select().from(scoreActions).where(eq(scoreActions.userId, userId)).orderBy(asc(scoreActions.id));
}

async function dbScore(userId: string) {
  const [row] = await db.select({ score: scores.score }).from(scores).where(eq(scores.userId, userId));
  return row!.score;
}

/** Invariant: the score in Postgres equals the sum of the user's audit deltas. */
async function expectScoreIsSumOfDeltas(userIds: string[]) {
  const [scoreRows, totals] = await Promise.all([
    db.select({ userId: scores.userId, score: scores.score }).from(scores).where(inArray(scores.userId, userIds)),
    db
      .select({ userId: scoreActions.userId, total: sql<string>`sum(${scoreActions.delta})::text` })
      .from(scoreActions)
      .where(inArray(scoreActions.userId, userIds))
      .groupBy(scoreActions.userId),
  ]);
  const totalOf = new Map(totals.map((row) => [row.userId, Number(row.total)]));
  expect(scoreRows).toHaveLength(userIds.length);
  expect(scoreRows.map((row) => ({ userId: row.userId, sumOfDeltas: totalOf.get(row.userId) ?? 0 }))).toEqual(
    scoreRows.map((row) => ({ userId: row.userId, sumOfDeltas: row.score })),
  );
}

/** The database's view of a user, in the terms the Redis board stores. */
async function databaseState(userIds: string[]) {
  const rows = await db
    .select({
      userId: users.id,
      score: scores.score,
      version: scores.version,
      hidden: users.hidden,
      banned: users.banned,
      reachedMicros: sql<string>`(extract(epoch from ${scores.reachedAt}) * 1000000)::bigint::text`,
    })
    .from(users)
    .innerJoin(scores, eq(scores.userId, users.id))
    .where(inArray(users.id, userIds));
  return new Map(rows.map((row) => [row.userId, row]));
}

/** The Redis board's view of users, read directly: the applied hash (version|member) and the sorted set. */
async function redisState(keys: BoardKeys, userIds: string[]) {
  const members = await raw.zrange(keys.ranking, 0, -1, "WITHSCORES");
  const byUser = new Map<string, { member: string; score: number }[]>();
  for (let i = 0; i < members.length; i += 2) {
    const member = members[i]!;
    const userId = boardMemberUserId(member);
    const list = byUser.get(userId) ?? [];
    list.push({ member, score: Number(members[i + 1]) });
    byUser.set(userId, list);
  }
  const applied = userIds.length > 0 ? await raw.hmget(keys.applied, ...userIds) : [];
  return new Map(
    userIds.map((userId, index) => {
      const write = applied[index] ?? null;
      const version = write === null ? null : Number(write.slice(0, write.indexOf("|")));
      return [userId, { version, members: byUser.get(userId) ?? [] }];
    }),
  );
}

/**
 * For each user: Redis holds exactly one member, encoding the reached-at time Postgres has, with
 * the score Postgres has, at the version Postgres has. Throws (an assertion) when not.
 */
async function expectRedisMatchesDatabase(keys: BoardKeys, userIds: string[]) {
  const [inDb, inRedis] = await Promise.all([databaseState(userIds), redisState(keys, userIds)]);
  const actual = userIds.map((userId) => ({ userId, ...inRedis.get(userId)! }));
  const expected = userIds.map((userId) => {
    const row = inDb.get(userId)!;
    const visible = !row.hidden && !row.banned;
    return {
      userId,
      version: row.version,
      members: visible ? [{ member: boardMember(row.reachedMicros, userId), score: row.score }] : [],
    };
  });
  expect(actual).toEqual(expected);
}

/** Ranks through the leaderboard (Redis rank, Postgres score) and Redis's own, against Postgres's count. */
async function expectRanksMatchDatabase(iso: Isolated, userIds: string[]) {
  const [standings, redisRanks, fromDb] = await Promise.all([
    Promise.all(userIds.map((userId) => iso.leaderboard.standing(userId))),
    Promise.all(userIds.map(async (userId) => ((answer) => (answer === "unbuilt" ? answer : (answer.entry?.rank ?? null)))(await iso.store.rank(ALL_TIME, userId)))),
    Promise.all(userIds.map((userId) => readStandingFromDatabase(db, ALL_TIME, userId))),
  ]);
  expect(redisRanks).toEqual(fromDb.map((standing) => standing?.rank));
  expect(standings).toEqual(fromDb);
}

/** More entries than this file's database ever holds users: the whole board (the API caps at 100; the service does not). */
const WHOLE_BOARD = 5_000;

/** The board through the leaderboard and straight from Postgres, both whole. */
async function expectBoardMatchesDatabase(iso: Isolated) {
  const [fromLeaderboard, fromDb] = await Promise.all([iso.leaderboard.top("all", WHOLE_BOARD), readTopFromDatabase(db, ALL_TIME, WHOLE_BOARD)]);
  expect(fromLeaderboard.entries).toEqual(fromDb.entries);
}

/** For the tests that make hundreds of submits: on a loaded machine they take a while (this only bounds a hang). */
const HEAVY_TEST_TIMEOUT_MS = 60_000;

function shuffle<T>(items: T[]): T[] {
  const copy = [...items];
  for (let i = copy.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy;
}

/** Limits that never refuse (RATE_LIMIT_DISABLED), for tests about something else. */
const noLimits = createRateLimits({ redis, prefix: "unused", user: "20/10s", auth: "10/60s", signInUser: "10/15m", disabled: true });

function routerContext(session: Session | null, scoring: ScoreDeps, rateLimits: RateLimits = noLimits, headers = new Headers()): Context {
  return { ...contextServices(), db: scoring.db, session, headers, scoring, rateLimits };
}



// ---------------------------------------------------------------------------

describe("score service: refusals", () => {
  it("refuses to start an unknown action type with UNKNOWN_ACTION", async () => {
    const { deps } = isolatedBoard();
    const user = await createUser();
    for (const actionType of ["NOPE", "", "complete_task", "ADMIN_ADJUST", "__proto__", "constructor", "toString", "hasOwnProperty"]) {
      expect(refused(await startAction(deps, { userId: user.id, actionType })), actionType).toBe("UNKNOWN_ACTION");
    }
    expect(await auditRows(user.id)).toEqual([]);
  });

  it("refuses a forged token (signed with another key) with INVALID_TOKEN and changes nothing", async () => {
    const { deps, clock } = isolatedBoard();
    const user = await createUser();
    const otherKey = actionTokenKey({ authSecret: randomBytes(32).toString("base64url"), environment: "production" });
    const forged = issueActionToken(otherKey, { userId: user.id, actionType: "DAILY_BONUS", actionId: randomUUID(), issuedAt: clock.now() });
    pastMinimum(clock);
    expect(refused(await submit(deps, user, forged))).toBe("INVALID_TOKEN");
    // A real token with a forged action id next to it is no better.
    const real = await start(deps, user, "COMPLETE_TASK");
    pastMinimum(clock);
    expect(refused(await submit(deps, user, { actionId: randomUUID(), token: real.token }))).toBe("INVALID_TOKEN");
    expect(await dbScore(user.id)).toBe(0);
    expect(await auditRows(user.id)).toEqual([]);
  });

  it("refuses another user's token with INVALID_TOKEN; the owner can still complete it", async () => {
    const { deps, clock } = isolatedBoard();
    const [owner, thief] = (await createUsers(2)) as [SessionUser, SessionUser];
    const action = await start(deps, owner, "WIN_MATCH");
    pastMinimum(clock);
    expect(refused(await submit(deps, thief, action))).toBe("INVALID_TOKEN");
    expect(await dbScore(thief.id)).toBe(0);
    expect(await auditRows(thief.id)).toEqual([]);
    expect(await dbScore(owner.id)).toBe(0);

    expect(ok(await submit(deps, owner, action))).toMatchObject({ userId: owner.id, score: 25, delta: 25, replayed: false });
  });

  it("refuses a token at issuedAt + 5 min with TOKEN_EXPIRED and records nothing", async () => {
    const { deps, clock } = isolatedBoard();
    const user = await createUser();
    const action = await start(deps, user, "COMPLETE_TASK");
    clock.advance(5 * 60 * 1000);
    expect(refused(await submit(deps, user, action))).toBe("TOKEN_EXPIRED");
    expect(await dbScore(user.id)).toBe(0);
    expect(await auditRows(user.id)).toEqual([]);
  });

  it("refuses a submit before minCompleteAt with TOO_FAST; the same action counts once its time has come", async () => {
    const { deps, clock } = isolatedBoard();
    const user = await createUser();
    const action = await start(deps, user, "WIN_MATCH");
    expect(action.minCompleteAt.getTime() - action.issuedAt.getTime()).toBe(5_000);
    expect(refused(await submit(deps, user, action))).toBe("TOO_FAST");
    clock.advance(4_999);
    expect(refused(await submit(deps, user, action))).toBe("TOO_FAST");
    expect(await auditRows(user.id)).toEqual([]);
    clock.advance(1);
    expect(ok(await submit(deps, user, action))).toMatchObject({ score: 25, delta: 25, replayed: false });
  });

  it("allows one DAILY_BONUS per UTC day: a second action is ACTION_CAP_REACHED, and so is starting a third", async () => {
    const { deps } = isolatedBoard();
    const user = await createUser();
    const [first, second] = (await startMany(deps, user, 2, "DAILY_BONUS")) as [IssuedAction, IssuedAction];
    // DAILY_BONUS has no minimum: it may be submitted at once.
    expect(ok(await submit(deps, user, first))).toMatchObject({ score: 50, delta: 50, replayed: false });
    expect(refused(await submit(deps, user, second))).toBe("ACTION_CAP_REACHED");
    expect(refused(await startAction(deps, { userId: user.id, actionType: "DAILY_BONUS" }))).toBe("ACTION_CAP_REACHED");
    expect(await dbScore(user.id)).toBe(50);
    expect((await auditRows(user.id)).map((row) => row.actionId)).toEqual([first.actionId]);
    // The cap is per action type: other actions are still open.
    expect((await startAction(deps, { userId: user.id, actionType: "COMPLETE_TASK" })).ok).toBe(true);
  });

  it("allows 30 WIN_MATCH per hour: 30 succeed, the 31st is ACTION_CAP_REACHED, then starting is refused too", async () => {
    const { deps, clock } = isolatedBoard();
    const user = await createUser();
    const actions = await startMany(deps, user, 31, "WIN_MATCH");
    pastMinimum(clock);
    for (const [index, action] of actions.slice(0, 30).entries()) {
      expect(ok(await submit(deps, user, action))).toMatchObject({ score: 25 * (index + 1), delta: 25, replayed: false });
    }
    expect(refused(await submit(deps, user, actions[30]!))).toBe("ACTION_CAP_REACHED");
    expect(refused(await startAction(deps, { userId: user.id, actionType: "WIN_MATCH" }))).toBe("ACTION_CAP_REACHED");
    expect(await dbScore(user.id)).toBe(750);
    expect(await auditRows(user.id)).toHaveLength(30);
    // A capped action that was recorded still replays as recorded.
    expect(ok(await submit(deps, user, actions[0]!))).toMatchObject({ score: 750, delta: 0, replayed: true });
  });

  it("holds the cap under a concurrent burst: of 31 WIN_MATCH submitted at once exactly 30 count, none fails otherwise", async () => {
    const { deps, clock } = isolatedBoard();
    const user = await createUser();
    const actions = await startMany(deps, user, 31, "WIN_MATCH");
    pastMinimum(clock);
    const settled = await Promise.allSettled(actions.map((action) => submit(deps, user, action)));
    const outcomes = settled.map((result) => (result.status === "fulfilled" ? refused(result.value) : `threw: ${String(result.reason)}`));
    const tally = outcomes.reduce<Record<string, number>>((acc, outcome) => ({ ...acc, [outcome]: (acc[outcome] ?? 0) + 1 }), {});
    expect(tally).toEqual({ OK: 30, ACTION_CAP_REACHED: 1 });
    expect(await dbScore(user.id)).toBe(750);
    expect(await auditRows(user.id)).toHaveLength(30);
    await expectScoreIsSumOfDeltas([user.id]);
  });

  it("refuses a banned user with BANNED at start and at submit, and writes no audit row", async () => {
    const { deps, clock } = isolatedBoard();
    const user = await createUser();
    const startedBeforeBan = await start(deps, user, "COMPLETE_TASK");
    const daily = await start(deps, user, "DAILY_BONUS");
    await db.update(users).set({ banned: true }).where(eq(users.id, user.id));
    pastMinimum(clock);
    expect(refused(await startAction(deps, { userId: user.id, actionType: "COMPLETE_TASK" }))).toBe("BANNED");
    expect(refused(await submit(deps, user, startedBeforeBan))).toBe("BANNED");
    expect(refused(await submit(deps, user, daily))).toBe("BANNED");
    expect(await dbScore(user.id)).toBe(0);
    expect(await auditRows(user.id)).toEqual([]);
  });
});

describe("score service: success, audit and replay", () => {
  /** A built board of the test's own. */
  async function builtBoard() {
    const iso = isolatedBoard();
    await buildBoard(iso);
    return { iso, deps: iso.deps, clock: iso.clock };
  }

  it("raises the score by the server-side delta and returns score, delta, rank and replayed: false", async () => {
    const { deps, clock } = await builtBoard();
    const user = await createUser();
    const action = await start(deps, user, "COMPLETE_TASK");
    expect(action).toMatchObject({ actionType: "COMPLETE_TASK", actionId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
    expect(action.minCompleteAt.getTime() - action.issuedAt.getTime()).toBe(2_000);
    expect(action.expiresAt.getTime() - action.issuedAt.getTime()).toBe(5 * 60 * 1000);
    clock.advance(2_000);
    const result = ok(await submit(deps, user, action));
    const standing = await readStandingFromDatabase(db, ALL_TIME, user.id);
    expect(result).toEqual({ userId: user.id, score: 10, delta: ACTION_RULES.COMPLETE_TASK.delta, rank: standing!.rank, replayed: false });
    expect(result.rank).toBeGreaterThanOrEqual(1);
    expect(await dbScore(user.id)).toBe(10);
  });

  it("writes one audit row per change with previous_score, new_score, delta, action_type, ip and user_agent as submitted", async () => {
    const { iso, deps, clock } = await builtBoard();
    const user = await createUser();
    const [{ version: initialVersion }] = (await db.select({ version: scores.version }).from(scores).where(eq(scores.userId, user.id))) as [{ version: number }];
    const task = await start(deps, user, "COMPLETE_TASK");
    const match = await start(deps, user, "WIN_MATCH");
    pastMinimum(clock);
    ok(await submit(deps, user, task, { ip: "203.0.113.7", userAgent: "Mozilla/5.0 (scoreboard test)" }));
    ok(await submit(deps, user, match, { ip: "2001:db8::1", userAgent: "agent-two" }));

    const rows = await auditRows(user.id);
    expect(rows).toEqual([
      expect.objectContaining({
        userId: user.id,
        actionId: task.actionId,
        actionType: "COMPLETE_TASK",
        delta: 10,
        previousScore: 0,
        newScore: 10,
        actorId: null,
        ip: "203.0.113.7",
        userAgent: "Mozilla/5.0 (scoreboard test)",
      }),
      expect.objectContaining({
        userId: user.id,
        actionId: match.actionId,
        actionType: "WIN_MATCH",
        delta: 25,
        previousScore: 10,
        newScore: 35,
        actorId: null,
        ip: "2001:db8::1",
        userAgent: "agent-two",
      }),
    ]);
    // The score's reached-at time is the commit of the latest change.
    const [row] = await db.select().from(scores).where(eq(scores.userId, user.id));
    expect(row).toMatchObject({ score: 35 });
    // Each change draws a new board version; the row carries the latest, above the sign-up's.
    expect(row!.version).toBeGreaterThan(initialVersion);
    expect(row!.reachedAt.getTime()).toBe(rows[1]!.createdAt.getTime());
    await expectScoreIsSumOfDeltas([user.id]);
    // Redis got the change too.
    await expectRedisMatchesDatabase(iso.keys, [user.id]);
  });

  it("answers a repeated (actionId, token) with replayed: true, delta 0 and the current score, and records it once", async () => {
    const { deps, clock } = await builtBoard();
    const user = await createUser();
    const [first, second] = (await startMany(deps, user, 2)) as [IssuedAction, IssuedAction];
    clock.advance(2_000);
    const original = ok(await submit(deps, user, first));
    expect(original).toMatchObject({ score: 10, delta: 10, replayed: false });

    const again = ok(await submit(deps, user, first));
    expect(again).toEqual({ ...original, delta: 0, replayed: true });

    ok(await submit(deps, user, second));
    // A later replay reports the score as it is now, still without adding.
    expect(ok(await submit(deps, user, first))).toMatchObject({ userId: user.id, score: 20, delta: 0, replayed: true });
    expect(await dbScore(user.id)).toBe(20);
    expect((await auditRows(user.id)).map((row) => row.actionId)).toEqual([first.actionId, second.actionId]);
  });

  it("credits 20 actions exactly once when each is submitted 10 times, all 200 at once", async () => {
    const { iso, deps, clock } = await builtBoard();
    const user = await createUser();
    const actions = await startMany(deps, user, 20, "COMPLETE_TASK");
    clock.advance(2_000);
    const calls = shuffle(actions.flatMap((action) => Array.from({ length: 10 }, () => action)));
    const settled = await Promise.allSettled(calls.map((action) => submit(deps, user, action)));

    const rejected = settled.filter((result) => result.status === "rejected").map((result) => String(result.reason));
    expect(rejected).toEqual([]);
    const results = settled.map((result, index) => ({ action: calls[index]!, outcome: (result as PromiseFulfilledResult<Outcome<ScoreResult>>).value }));
    const failures = results.filter(({ outcome }) => !outcome.ok).map(({ outcome }) => refused(outcome));
    expect(failures).toEqual([]);

    const values = results.map(({ action, outcome }) => ({ action, value: ok(outcome) }));
    const fresh = values.filter(({ value }) => !value.replayed);
    const replays = values.filter(({ value }) => value.replayed);
    expect(fresh).toHaveLength(20);
    expect(replays).toHaveLength(180);
    // Each action was credited exactly once, each credit added 10, and the credits form one sequence 10, 20, …, 200.
    expect(new Set(fresh.map(({ action }) => action.actionId)).size).toBe(20);
    expect(fresh.every(({ value }) => value.delta === 10)).toBe(true);
    expect(fresh.map(({ value }) => value.score).sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => 10 * (i + 1)));
    expect(replays.every(({ value }) => value.delta === 0 && value.score >= 10 && value.score <= 200)).toBe(true);

    expect(await dbScore(user.id)).toBe(200);
    const rows = await auditRows(user.id);
    expect(rows).toHaveLength(20);
    expect(new Set(rows.map((row) => row.actionId))).toEqual(new Set(actions.map((action) => action.actionId)));
    await expectScoreIsSumOfDeltas([user.id]);
    // Redis took the change too (by a repair, should a write have failed under the load).
    await iso.settled();
    await expectRedisMatchesDatabase(iso.keys, [user.id]);
  }, HEAVY_TEST_TIMEOUT_MS);
});

describe("board consistency: Redis converges to Postgres", () => {
  it("50 users × 10 actions, interleaved at random and concurrently: Redis agrees with Postgres for every user", async () => {
    const iso = isolatedBoard();
    const { deps, clock } = iso;
    const players = await createUsers(50);
    const userIds = players.map((player) => player.id);
    await buildBoard(iso);

    const types: ActionType[] = ["COMPLETE_TASK", "WIN_MATCH"];
    const planned = await Promise.all(
      players.flatMap((player) =>
        Array.from({ length: 10 }, async () => {
          const actionType = types[Math.floor(Math.random() * types.length)]!;
          return { player, action: await start(deps, player, actionType) };
        }),
      ),
    );
    pastMinimum(clock);
    const outcomes = await Promise.all(
      shuffle(planned).map(async ({ player, action }) => ({ player, action, outcome: await submit(deps, player, action) })),
    );

    for (const { action, outcome } of outcomes) {
      expect(ok(outcome)).toMatchObject({ delta: ACTION_RULES[action.actionType].delta, replayed: false });
    }
    const expectedScores = new Map(userIds.map((id) => [id, 0]));
    for (const { player, action } of outcomes) expectedScores.set(player.id, expectedScores.get(player.id)! + ACTION_RULES[action.actionType].delta);
    const inDb = await databaseState(userIds);
    expect(userIds.map((id) => inDb.get(id)!.score)).toEqual(userIds.map((id) => expectedScores.get(id)));
    // Board versions come from one sequence: every user's latest is distinct.
    expect(new Set(userIds.map((id) => inDb.get(id)!.version)).size).toBe(userIds.length);
    await expectScoreIsSumOfDeltas(userIds);

    await iso.settled();
    await expectRedisMatchesDatabase(iso.keys, userIds);
    await expectRanksMatchDatabase(iso, userIds);

    // The two read paths give the same board: same order, names, scores and version.
    for (const limit of [10, 100, WHOLE_BOARD]) {
      const [fromRedis, fromDb] = await Promise.all([iso.store.top(ALL_TIME, limit), readTopFromDatabase(db, ALL_TIME, limit)]);
      expect(fromRedis, `top ${limit}`).toEqual({ entries: fromDb.entries, version: fromDb.version });
    }
    // And through the leaderboard's own read (Redis, as the board is built).
    await expectBoardMatchesDatabase(iso);
  }, HEAVY_TEST_TIMEOUT_MS);

  it("after a flush of the board's keys mid-run, reads fall back to Postgres, trigger a rebuild and converge", async () => {
    const iso = isolatedBoard();
    const { deps, clock } = iso;
    const players = await createUsers(10);
    const userIds = players.map((player) => player.id);
    await buildBoard(iso);

    const planned = shuffle((await Promise.all(players.map(async (player) => (await startMany(deps, player, 8)).map((action) => ({ player, action }))))).flat());
    clock.advance(2_000);
    const submitAll = (batch: typeof planned) => Promise.all(batch.map(({ player, action }) => submit(deps, player, action)));
    // A quarter of the submits land before the flush, half race it, the last quarter come after it.
    const outcomes = await submitAll(planned.slice(0, 20));
    const racing = submitAll(planned.slice(20, 60));
    await deleteBoardKeys(iso);
    outcomes.push(...(await racing), ...(await submitAll(planned.slice(60))));
    expect(outcomes).toHaveLength(80);
    expect(outcomes.map(refused).filter((reason) => reason !== "OK")).toEqual([]);

    // Whichever path answers (a submit after the flush may already have started the rebuild),
    // the first read is Postgres's board.
    const firstRead = await iso.leaderboard.top("all", WHOLE_BOARD);
    const fromDb = await readTopFromDatabase(db, ALL_TIME, WHOLE_BOARD);
    expect(firstRead.entries).toEqual(fromDb.entries);
    expect(firstRead.entries.filter((entry) => userIds.includes(entry.userId))).toHaveLength(10);

    // That read started a rebuild; once it is done Redis answers again, equal to Postgres.
    await iso.settled();
    expect(await iso.store.top(ALL_TIME, 1)).not.toBeNull();
    await expectRedisMatchesDatabase(iso.keys, userIds);
    await expectRanksMatchDatabase(iso, userIds);
    await expectBoardMatchesDatabase(iso);
    await expectScoreIsSumOfDeltas(userIds);
  });

  it("right after a flush, a submit reports the user's true rank, not their place in a half-empty board", async () => {
    const iso = isolatedBoard();
    const { deps, clock } = iso;
    const [leader, chaser] = (await createUsers(2)) as [SessionUser, SessionUser];
    await buildBoard(iso);
    const leaderAction = await start(deps, leader, "WIN_MATCH");
    const chaserActions = await startMany(deps, chaser, 2, "COMPLETE_TASK");
    pastMinimum(clock);
    ok(await submit(deps, leader, leaderAction)); // 25
    ok(await submit(deps, chaser, chaserActions[0]!)); // 10

    await deleteBoardKeys(iso);
    const result = ok(await submit(deps, chaser, chaserActions[1]!)); // 20, still behind the leader's 25
    const truth = await readStandingFromDatabase(db, ALL_TIME, chaser.id);
    const leaderTruth = await readStandingFromDatabase(db, ALL_TIME, leader.id);
    expect(truth!.rank).toBeGreaterThan(leaderTruth!.rank!);
    expect(result).toMatchObject({ score: 20, delta: 10, replayed: false });
    expect(result.rank, "rank returned by submit vs Postgres's rank").toBe(truth!.rank);
  });

  it("keeps leaderboard.top's version from going backwards as reads move between Postgres and Redis", async () => {
    const iso = isolatedBoard();
    const { deps, clock } = iso;
    const user = await createUser();
    const actions = await startMany(deps, user, 2, "COMPLETE_TASK");
    clock.advance(2_000);

    const versions: { when: string; version: number }[] = [];
    const read = async (when: string) => versions.push({ when, version: (await iso.leaderboard.top("all", 10)).version });
    await read("fresh Redis (Postgres answers)");
    await iso.settled();
    await read("after the rebuild (Redis answers)");
    ok(await submit(deps, user, actions[0]!));
    await read("after a change");
    await deleteBoardKeys(iso);
    await read("after a flush (Postgres answers)");
    await iso.settled();
    await read("after the second rebuild");
    ok(await submit(deps, user, actions[1]!));
    await read("after another change");

    for (let i = 1; i < versions.length; i++) {
      expect(versions[i]!.version, `${versions[i - 1]!.when} → ${versions[i]!.when}: ${JSON.stringify(versions)}`).toBeGreaterThanOrEqual(
        versions[i - 1]!.version,
      );
    }
  });

  it("with the Upstash bridge down, submits still commit and reads come from Postgres; after it returns, Redis converges", async () => {
    const token = randomBytes(24).toString("base64url");
    let bridge = await startUpstashBridge({ port: 0, token, redisUrl: env.REDIS_URL });
    onTestFinished(() => bridge.close());
    const port = bridge.port;
    const client = new Redis({ url: bridge.url, token, retry: false, enableTelemetry: false, automaticDeserialization: false });
    const iso = isolatedBoard(client, { repairDelaysMs: [10, 20, 40] });
    const { deps, clock } = iso;
    const players = await createUsers(5);
    const userIds = players.map((player) => player.id);
    await buildBoard(iso);

    const actions = new Map(await Promise.all(players.map(async (player) => [player.id, await startMany(deps, player, 4)] as const)));
    clock.advance(2_000);
    const roundOf = async (index: number, player: SessionUser) => ({ player, result: ok(await submit(deps, player, actions.get(player.id)![index]!)) });
    const round = (index: number) => Promise.all(players.map((player) => roundOf(index, player)));
    /** One submit after the other: no later commit reorders the ranks handed out before it. */
    const roundInTurn = async (index: number) => {
      const results = [];
      for (const player of players) results.push(await roundOf(index, player));
      return results;
    };

    // Bridge up: a normal round, Redis in step.
    await round(0);
    await expectRedisMatchesDatabase(iso.keys, userIds);
    const before = await redisState(iso.keys, userIds);

    // Stop the bridge while a round is in flight, then run two more rounds with it down.
    const inFlight = round(1);
    await bridge.close();
    const downRounds = [...(await inFlight), ...(await round(2)), ...(await roundInTurn(3))];
    expect(downRounds).toHaveLength(15);
    for (const { player, result } of downRounds) {
      expect(result).toMatchObject({ userId: player.id, delta: 10, replayed: false });
      expect(result.rank, "a rank even without Redis").toEqual(expect.any(Number));
    }
    // Committed in Postgres…
    const inDb = await databaseState(userIds);
    expect(userIds.map((id) => inDb.get(id)!.score)).toEqual(userIds.map(() => 40));
    await expectScoreIsSumOfDeltas(userIds);
    // …and the rank each of the last submits got is still Postgres's (they ran in turn: of two
    // concurrent ones, the transaction that began first reaches 40 first even if it commits last).
    for (const { player, result } of downRounds.slice(10)) {
      expect(result.rank).toBe((await readStandingFromDatabase(db, ALL_TIME, player.id))!.rank);
    }
    // …while Redis, unreachable, still has (at most) the state before the outage for some users.
    const during = await redisState(iso.keys, userIds);
    expect(userIds.some((id) => during.get(id)!.version! < inDb.get(id)!.version)).toBe(true);
    expect(userIds.every((id) => during.get(id)!.version! >= before.get(id)!.version!)).toBe(true);
    expect(iso.redisErrors).toContain("publish");

    // Reads still answer, from Postgres.
    const board = await iso.leaderboard.top("all", WHOLE_BOARD);
    expect(board.entries).toEqual((await readTopFromDatabase(db, ALL_TIME, WHOLE_BOARD)).entries);
    expect(board.entries.filter((entry) => userIds.includes(entry.userId)).map((entry) => entry.score)).toEqual(userIds.map(() => 40));
    const standing = await iso.leaderboard.standing(players[0]!.id);
    expect(standing).toEqual(await readStandingFromDatabase(db, ALL_TIME, players[0]!.id));

    // Once the repair loop has failed twice against the missing bridge, bring a new one up on the same port.
    await iso.failures("repair", 2);
    bridge = await startUpstashBridge({ port, token, redisUrl: env.REDIS_URL });
    expect(bridge.port).toBe(port);
    // The repair loop ends once Redis has taken every write it missed.
    await iso.settled();
    await expectRedisMatchesDatabase(iso.keys, userIds);
    // Redis answers reads again, and agrees with Postgres.
    const [fromRedis, fromDb] = await Promise.all([iso.store.top(ALL_TIME, WHOLE_BOARD), readTopFromDatabase(db, ALL_TIME, WHOLE_BOARD)]);
    expect(fromRedis).toEqual({ entries: fromDb.entries, version: fromDb.version });
  });
});

describe("through the router (createCaller and HTTP)", () => {
  /** Two users of the test's own, and the score service on a board and clock of its own. */
  async function routerSetup() {
    const { deps: scoring, clock } = isolatedBoard();
    const [player, other] = (await createUsers(2)) as [SessionUser, SessionUser];
    return { scoring, clock, player, other };
  }

  it("refuses a submit carrying a delta, a score or a user id with INVALID_INPUT and changes nothing", async () => {
    const { scoring, clock, player, other } = await routerSetup();
    const caller = createCaller(routerContext(sessionFor(player), scoring));
    const action = await caller.action.start({ actionType: "WIN_MATCH" });
    pastMinimum(clock);
    const hostile: Record<string, unknown>[] = [
      { actionId: action.actionId, token: action.token, delta: 1000 },
      { actionId: action.actionId, token: action.token, score: 1e9 },
      { actionId: action.actionId, token: action.token, userId: other.id },
      { actionId: action.actionId, token: action.token, actionType: "DAILY_BONUS" },
    ];
    for (const input of hostile) {
      const error = await expectAppError(
        caller.score.submit(input as unknown as { actionId: string; token: string }),
        "INVALID_INPUT",
        "BAD_REQUEST",
      );
      expect(error.message.length).toBeGreaterThan(0);
    }
    expect(await dbScore(player.id)).toBe(0);
    expect(await dbScore(other.id)).toBe(0);
    expect(await auditRows(player.id)).toEqual([]);
    expect(await auditRows(other.id)).toEqual([]);
    // The action was not used up by the refused calls, and counts its server-side delta only.
    expect(await caller.score.submit({ actionId: action.actionId, token: action.token })).toMatchObject({
      userId: player.id,
      score: 25,
      delta: 25,
      replayed: false,
    });
  });

  it("refuses a non-uuid actionId and a missing or oversized token with INVALID_INPUT", async () => {
    const { scoring, player } = await routerSetup();
    const caller = createCaller(routerContext(sessionFor(player), scoring));
    const action = await caller.action.start({ actionType: "COMPLETE_TASK" });
    const scoreBefore = await dbScore(player.id);
    const bad: unknown[] = [
      { actionId: "not-a-uuid", token: action.token },
      { actionId: `${action.actionId}x`, token: action.token },
      { actionId: 42, token: action.token },
      { actionId: action.actionId, token: "" },
      { actionId: action.actionId, token: "x".repeat(513) },
      { actionId: action.actionId },
      { token: action.token },
      null,
      "a string",
    ];
    for (const input of bad) {
      await expectAppError(caller.score.submit(input as { actionId: string; token: string }), "INVALID_INPUT", "BAD_REQUEST");
    }
    expect(await dbScore(player.id)).toBe(scoreBefore);
  });

  it("refuses action.start of an unknown type with UNKNOWN_ACTION (BAD_REQUEST)", async () => {
    const { scoring, player } = await routerSetup();
    const caller = createCaller(routerContext(sessionFor(player), scoring));
    await expectAppError(caller.action.start({ actionType: "NOPE" }), "UNKNOWN_ACTION", "BAD_REQUEST");
  });

  it("maps service refusals to their reasons: INVALID_TOKEN (FORBIDDEN), TOO_FAST, TOKEN_EXPIRED (BAD_REQUEST)", async () => {
    const { scoring, clock, player, other } = await routerSetup();
    const mineCaller = createCaller(routerContext(sessionFor(player), scoring));
    const otherCaller = createCaller(routerContext(sessionFor(other), scoring));
    const action = await mineCaller.action.start({ actionType: "WIN_MATCH" });
    await expectAppError(mineCaller.score.submit({ actionId: action.actionId, token: action.token }), "TOO_FAST", "BAD_REQUEST");
    pastMinimum(clock);
    await expectAppError(otherCaller.score.submit({ actionId: action.actionId, token: action.token }), "INVALID_TOKEN", "FORBIDDEN");
    clock.advance(5 * 60 * 1000);
    await expectAppError(mineCaller.score.submit({ actionId: action.actionId, token: action.token }), "TOKEN_EXPIRED", "BAD_REQUEST");
  });

  it("refuses start and submit without a session with UNAUTHENTICATED (UNAUTHORIZED)", async () => {
    const { scoring, player } = await routerSetup();
    const caller = createCaller(routerContext(null, scoring));
    await expectAppError(caller.action.start({ actionType: "COMPLETE_TASK" }), "UNAUTHENTICATED", "UNAUTHORIZED");
    const action = await createCaller(routerContext(sessionFor(player), scoring)).action.start({ actionType: "DAILY_BONUS" });
    const before = await dbScore(player.id);
    await expectAppError(caller.score.submit({ actionId: action.actionId, token: action.token }), "UNAUTHENTICATED", "UNAUTHORIZED");
    expect(await dbScore(player.id)).toBe(before);
  });

  it("rate-limits action.start per user (2 per 60 s here, longer than the test): the third is RATE_LIMITED with retryAfterMs, by caller and over HTTP", async () => {
    const { scoring, player, other } = await routerSetup();
    const limits = createRateLimits({ redis, prefix: redisKeys(`${env.REDIS_KEY_PREFIX}iso_${hex()}:`).rateLimit, user: "2/60s", auth: "10/60s", signInUser: "10/15m", disabled: false });

    const caller = createCaller(routerContext(sessionFor(player), scoring, limits));
    await caller.action.start({ actionType: "COMPLETE_TASK" });
    await caller.action.start({ actionType: "COMPLETE_TASK" });
    const error = await expectAppError(caller.action.start({ actionType: "COMPLETE_TASK" }), "RATE_LIMITED", "TOO_MANY_REQUESTS");
    expect(error).toBeInstanceOf(AppError);
    const retryAfterMs = (error as AppError).details.retryAfterMs;
    expect(retryAfterMs).toBeGreaterThan(0);
    expect(retryAfterMs).toBeLessThanOrEqual(60_000);
    // Another user is not affected by this user's count.
    await expect(createCaller(routerContext(sessionFor(other), scoring, limits)).action.start({ actionType: "COMPLETE_TASK" })).resolves.toHaveProperty(
      "token",
    );

    // Over HTTP, for a user with a fresh count.
    const ctx = routerContext(sessionFor(await createUser()), scoring, limits);
    const post = async () => {
      const response = await fetchRequestHandler({
        endpoint: "/api/trpc",
        req: new Request("http://localhost/api/trpc/action.start", {
          method: "POST",
          headers: { "Content-Type": "application/json" },
          body: JSON.stringify({ json: { actionType: "COMPLETE_TASK" } }),
        }),
        router: appRouter,
        createContext: () => ctx,
      });
      return { status: response.status, body: (await response.json()) as { error?: { json: { data: { reason: string; retryAfterMs?: number } } } } };
    };
    expect((await post()).status).toBe(200);
    expect((await post()).status).toBe(200);
    const third = await post();
    expect(third.status).toBe(429);
    expect(third.body.error?.json.data.reason).toBe("RATE_LIMITED");
    expect(third.body.error?.json.data.retryAfterMs).toBeGreaterThan(0);
    expect(third.body.error?.json.data.retryAfterMs).toBeLessThanOrEqual(60_000);
  });

  it("answers a submit with SERVICE_UNAVAILABLE / DB_UNAVAILABLE when Postgres is down, and leaves Redis untouched", async () => {
    const dead = createDatabase("postgres://postgres@127.0.0.1:47/none");
    onTestFinished(() => dead.client.end({ timeout: 1 }));
    const iso = isolatedBoard();
    const user = await createUser();
    await buildBoard(iso);
    const action = await start(iso.deps, user, "WIN_MATCH");
    pastMinimum(iso.clock);
    const deadScoring: ScoreDeps = {
      db: dead.db,
      leaderboard: createLeaderboard({ db: dead.db, store: iso.store, onRedisError: () => {} }),
      tokenKey: iso.deps.tokenKey,
      now: iso.clock.now,
    };
    // Every board a submit would write: all time, today's and this week's.
    const rankings = scopesAt(Date.now()).map((scope) => (scope.period ? iso.keys.period(scope.window, scope.period.name) : iso.keys));
    const snapshot = async () => ({
      names: await raw.hgetall(iso.keys.names),
      boards: await Promise.all(
        rankings.map(async (ranking) => ({
          ranking: await raw.zrange(ranking.ranking, 0, -1, "WITHSCORES"),
          applied: await raw.hgetall(ranking.applied),
          version: await raw.get(ranking.version),
          ready: await raw.get(ranking.ready),
        })),
      ),
    });
    const before = await snapshot();
    expect(before.boards[0]!.applied[user.id]).toBeDefined(); // built after the user existed: they are on the board with 0

    const caller = createCaller(routerContext(sessionFor(user), deadScoring));
    await expectAppError(caller.score.submit({ actionId: action.actionId, token: action.token }), "DB_UNAVAILABLE", "SERVICE_UNAVAILABLE");

    const response = await fetchRequestHandler({
      endpoint: "/api/trpc",
      req: new Request("http://localhost/api/trpc/score.submit", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ json: { actionId: action.actionId, token: action.token } }),
      }),
      router: appRouter,
      createContext: () => routerContext(sessionFor(user), deadScoring),
    });
    const text = await response.text();
    expect(response.status).toBe(503);
    expect((JSON.parse(text) as { error: { json: { data: { reason: string } } } }).error.json.data.reason).toBe("DB_UNAVAILABLE");
    expect(text).not.toContain("postgres://");

    expect(await snapshot()).toEqual(before);
    expect(await dbScore(user.id)).toBe(0);
    expect(await auditRows(user.id)).toEqual([]);
    // Nothing was used up: with the database back, the same action counts once.
    expect(ok(await submit(iso.deps, user, action))).toMatchObject({ score: 25, delta: 25, replayed: false });
  });
});
