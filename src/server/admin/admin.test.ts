/**
 * The admin procedures (admin.users, admin.adjustScore, admin.setBanned, admin.auditLog,
 * admin.flags) through the app's router, against real services: this file's own Postgres database
 * (shared by its tests, so each test makes its own users and assumes no table empty) and the app's
 * Redis board (`scoreDeps.leaderboard`, read directly too, to show Redis agrees with Postgres).
 */
import { randomBytes, randomUUID } from "node:crypto";

import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { asc, eq, sql } from "drizzle-orm";
import type { Session } from "next-auth";
import { beforeAll, describe, expect, it } from "vitest";

import { appRouter, createCaller } from "~/server/api/root";
import { contextServices, type Context } from "~/server/api/trpc";
import type { SessionUser } from "~/server/auth/accounts";
import { grantAdmin } from "~/server/auth/roles";
import { ALL_TIME } from "~/server/board/types";
import { services } from "~/server/composition-root";
import { actionRefusals, moderationActions, scoreActions, scores, users } from "~/server/db/schema";
import { readStandingFromDatabase } from "~/server/scoring/board-queries";
import { startAction, submitAction, type ScoreDeps } from "~/server/scoring/score-service";
import { appBoardRank, appBoardStore, buildAppBoard } from "../../../test/support/app-board";
import { expectAppError } from "../../../test/support/app-errors";
import { rootAdmin, sessionFor } from "../../../test/support/users";

const { db, scoreDeps } = services;

// ---------------------------------------------------------------------------
// Helpers

const hex = (bytes = 5) => randomBytes(bytes).toString("hex");

function context(session: Session | null = null, options: { headers?: Headers; scoring?: ScoreDeps } = {}): Context {
  return { ...contextServices(), session, headers: options.headers ?? new Headers(), scoring: options.scoring ?? scoreDeps };
}

const callerFor = (user: SessionUser | null, headers?: Headers) => createCaller(context(user ? sessionFor(user) : null, { headers }));

/** A user with a score row of 0, as sign-up creates, without the cost of hashing a password. */
async function createUser(options: { username?: string; displayName?: string } = {}): Promise<SessionUser> {
  const username = options.username ?? `adm_t_${hex()}`;
  const displayName = options.displayName ?? `Player ${username}`;
  const [row] = await db.insert(users).values({ username, displayName }).returning({ id: users.id });
  await db.insert(scores).values({ userId: row!.id });
  return { id: row!.id, username, name: displayName, role: "user" };
}


/** What a refused call must not have changed about a user. */
async function stateOf(userId: string) {
  const [user] = await db
    .select({ score: scores.score, banned: users.banned, hidden: users.hidden, displayName: users.displayName })
    .from(users)
    .innerJoin(scores, eq(scores.userId, users.id))
    .where(eq(users.id, userId));
  const [audit] = await db.select({ n: sql<number>`count(*)::int` }).from(scoreActions).where(eq(scoreActions.userId, userId));
  const [moderation] = await db
    .select({ n: sql<number>`count(*)::int` })
    .from(moderationActions)
    .where(eq(moderationActions.userId, userId));
  return { ...user, auditRows: audit!.n, moderationRows: moderation!.n };
}

/** A clock the test moves by hand: tokens are issued and checked against it. */
function manualClock(start = Date.now()) {
  let t = start;
  return { now: () => t, advance: (ms: number) => void (t += ms) };
}

/** Completes `count` actions of one type as the user, through the score service, with a hand-moved clock. */
async function completeActions(user: SessionUser, actionType: "COMPLETE_TASK" | "WIN_MATCH" | "DAILY_BONUS", count: number, ip: string | null = null) {
  const clock = manualClock();
  const deps: ScoreDeps = { ...scoreDeps, now: clock.now };
  let score = 0;
  for (let i = 0; i < count; i++) {
    const started = await startAction(deps, { userId: user.id, actionType });
    if (!started.ok) throw new Error(`start ${i} failed: ${started.reason}`);
    clock.advance(6_000);
    const submitted = await submitAction(deps, { userId: user.id, actionId: started.value.actionId, token: started.value.token, ip, userAgent: "admin-test" });
    if (!submitted.ok) throw new Error(`submit ${i} failed: ${submitted.reason}`);
    score = submitted.value.score;
  }
  return score;
}

/** POSTs or GETs one procedure through the fetch adapter, as the app's route does, to see the formatted error. */
async function overHttp(path: string, input: unknown, ctx: Context, method: "GET" | "POST" = "POST") {
  const url =
    method === "GET"
      ? `http://localhost/api/trpc/${path}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`
      : `http://localhost/api/trpc/${path}`;
  const response = await fetchRequestHandler({
    endpoint: "/api/trpc",
    req: new Request(url, method === "POST" ? { method, headers: { "Content-Type": "application/json" }, body: JSON.stringify({ json: input }) } : {}),
    router: appRouter,
    createContext: () => ctx,
  });
  const body = (await response.json()) as {
    result?: { data: { json: unknown } };
    error?: { json: { data: { code: string; reason: string; fieldErrors?: Record<string, string[]> } } };
  };
  return { status: response.status, body };
}

/** The Postgres error behind a failed statement (drizzle may wrap it). */
function pgCode(error: unknown): string | undefined {
  for (let current = error as { code?: unknown; cause?: unknown } | undefined; current; current = current.cause as typeof current) {
    if (typeof current.code === "string" && /^[0-9A-Z]{5}$/.test(current.code)) return current.code;
  }
  return undefined;
}

let admin: SessionUser;

beforeAll(async () => {
  admin = await rootAdmin();
  await buildAppBoard();
});

// ---------------------------------------------------------------------------

describe("access to admin procedures", () => {
  type Call = (caller: ReturnType<typeof callerFor>, target: SessionUser) => Promise<unknown>;
  const procedures: [string, Call][] = [
    ["admin.users", (caller, target) => caller.admin.users({ query: target.username })],
    ["admin.adjustScore", (caller, target) => caller.admin.adjustScore({ userId: target.id, delta: 500, reason: "a refused bonus" })],
    ["admin.setBanned", (caller, target) => caller.admin.setBanned({ userId: target.id, banned: true, reason: "a refused ban" })],
    ["admin.auditLog", (caller, target) => caller.admin.auditLog({ userId: target.id })],
    ["admin.flags", (caller) => caller.admin.flags({ limit: 10 })],
  ];

  it.each(procedures)("%s is refused to a signed-in normal user with FORBIDDEN / NOT_ADMIN, changing nothing", async (_, call) => {
    const [user, target] = [await createUser(), await createUser()];
    const before = await stateOf(target.id);
    await expectAppError(call(callerFor(user), target), "NOT_ADMIN", "FORBIDDEN");
    // A session claiming the admin role is not believed: the role is read from the database.
    await expectAppError(call(callerFor({ ...user, role: "admin" }), target), "NOT_ADMIN", "FORBIDDEN");
    expect(await stateOf(target.id)).toEqual(before);
    expect(before).toMatchObject({ score: 0, banned: false, auditRows: 0, moderationRows: 0 });
  });

  it.each(procedures)("%s is refused to an anonymous caller with UNAUTHORIZED / UNAUTHENTICATED, changing nothing", async (_, call) => {
    const target = await createUser();
    const before = await stateOf(target.id);
    await expectAppError(call(callerFor(null), target), "UNAUTHENTICATED", "UNAUTHORIZED");
    expect(await stateOf(target.id)).toEqual(before);
  });

  const httpInputs: [string, "GET" | "POST", (target: SessionUser) => unknown][] = [
    ["admin.users", "GET", (target) => ({ query: target.username })],
    ["admin.adjustScore", "POST", (target) => ({ userId: target.id, delta: 500, reason: "a refused bonus" })],
    ["admin.setBanned", "POST", (target) => ({ userId: target.id, banned: true, reason: "a refused ban" })],
    ["admin.auditLog", "GET", (target) => ({ userId: target.id })],
    ["admin.flags", "GET", () => ({ limit: 10 })],
  ];

  it.each(httpInputs)("%s answers 403 NOT_ADMIN over HTTP to a normal user, and 401 UNAUTHENTICATED anonymously", async (path, method, inputFor) => {
    const [user, target] = [await createUser(), await createUser()];
    const before = await stateOf(target.id);
    const refused = await overHttp(path, inputFor(target), context(sessionFor(user)), method);
    expect(refused.status).toBe(403);
    expect(refused.body.error?.json.data).toMatchObject({ code: "FORBIDDEN", reason: "NOT_ADMIN" });
    expect(refused.body.result).toBeUndefined();
    const anonymous = await overHttp(path, inputFor(target), context(null), method);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error?.json.data).toMatchObject({ code: "UNAUTHORIZED", reason: "UNAUTHENTICATED" });
    expect(await stateOf(target.id)).toEqual(before);
  });

  it("every admin procedure is allowed for root_admin", async () => {
    const target = await createUser();
    const caller = callerFor(admin);
    expect((await caller.admin.users({ query: target.username })).items.map((item) => item.userId)).toEqual([target.id]);
    expect(await caller.admin.adjustScore({ userId: target.id, delta: 5, reason: "allowed" })).toMatchObject({ userId: target.id, score: 5, delta: 5 });
    expect(await caller.admin.setBanned({ userId: target.id, banned: false, reason: "allowed" })).toMatchObject({ userId: target.id, banned: false });
    expect((await caller.admin.auditLog({ userId: target.id })).items).toHaveLength(1);
    expect(await caller.admin.flags({ limit: 5 })).toEqual({ items: expect.any(Array) });
    // Inputs are optional where the spec says so.
    await expect(caller.admin.users()).resolves.toHaveProperty("items");
    await expect(caller.admin.auditLog()).resolves.toHaveProperty("items");
    await expect(caller.admin.flags()).resolves.toHaveProperty("items");
  });

  it("a banned admin loses the console at once (NOT_ADMIN), whatever its session says", async () => {
    const username = `adm_ban_${hex()}`;
    const other = await createUser({ username });
    await grantAdmin(db, username, "vitest");
    const otherAdmin = { ...other, role: "admin" as const };
    expect(await callerFor(otherAdmin).admin.flags({ limit: 1 })).toHaveProperty("items");
    await callerFor(admin).admin.setBanned({ userId: other.id, banned: true, reason: "rogue admin" });
    await expectAppError(callerFor(otherAdmin).admin.flags({ limit: 1 }), "NOT_ADMIN", "FORBIDDEN");
  });
});

describe("admin.adjustScore", () => {
  it("+250 raises the score, is audited as ADMIN_ADJUST by the admin, and the board (Redis and Postgres) agrees", async () => {
    const target = await createUser();
    const caller = callerFor(admin, new Headers({ "user-agent": "admin-console-test", "x-forwarded-for": "198.51.100.23" }));
    const result = await caller.admin.adjustScore({ userId: target.id, delta: 250, reason: "  tournament prize  " });
    expect(result).toEqual({ userId: target.id, score: 250, delta: 250, rank: expect.any(Number) });

    // The user's score, in the admin list and in Postgres.
    const listed = await caller.admin.users({ query: target.username });
    expect(listed.items).toEqual([
      { userId: target.id, username: target.username, displayName: target.name, score: 250, role: "user", banned: false, hidden: false },
    ]);

    // The audit trail: one ADMIN_ADJUST row with the admin as actor; the reason is kept but not shown.
    const audit = await caller.admin.auditLog({ userId: target.id });
    expect(audit.items).toHaveLength(1);
    const row = audit.items[0]!;
    expect(row).toEqual({
      id: expect.any(Number),
      userId: target.id,
      actionId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      actionType: "ADMIN_ADJUST",
      delta: 250,
      previousScore: 0,
      newScore: 250,
      actorId: admin.id,
      ip: "198.51.100.23",
      userAgent: "admin-console-test",
      createdAt: expect.any(Date),
    });
    expect(row).not.toHaveProperty("metadata");
    expect(JSON.stringify(audit)).not.toContain("tournament prize");
    const [stored] = await db.select().from(scoreActions).where(eq(scoreActions.id, row.id));
    expect(stored?.metadata).toEqual({ reason: "tournament prize" });

    // The board, through the app's leaderboard (Redis, built in beforeAll), and Redis itself.
    const standing = await scoreDeps.leaderboard.standing(target.id);
    const fromDatabase = await readStandingFromDatabase(db, ALL_TIME, target.id);
    expect(standing).toEqual({ userId: target.id, displayName: target.name, score: 250, rank: expect.any(Number), hidden: false, total: expect.any(Number), percentile: expect.any(Number) });
    expect(fromDatabase!.rank).toBe(standing!.rank);
    expect(await appBoardRank(target.id)).toBe(standing!.rank);
    expect(result.rank).toBe(standing!.rank);
    expect(standing!.rank!, "precondition: the user is within the top 100").toBeLessThanOrEqual(100);
    const board = await scoreDeps.leaderboard.top("all", 100);
    expect(board.entries.find((entry) => entry.userId === target.id)).toEqual({
      rank: standing!.rank,
      userId: target.id,
      displayName: target.name,
      score: 250,
    });
    const redisTop = await appBoardStore.top(ALL_TIME, 100);
    expect(redisTop?.entries.find((entry) => entry.userId === target.id)).toMatchObject({ score: 250, rank: standing!.rank });
  });

  it("a negative delta lowers the score and is audited with previous and new score", async () => {
    const target = await createUser();
    const caller = callerFor(admin);
    await caller.admin.adjustScore({ userId: target.id, delta: 250, reason: "prize" });
    const lowered = await caller.admin.adjustScore({ userId: target.id, delta: -100, reason: "correction" });
    expect(lowered).toMatchObject({ userId: target.id, score: 150, delta: -100 });
    const [newest] = (await caller.admin.auditLog({ userId: target.id, limit: 1 })).items;
    expect(newest).toMatchObject({ actionType: "ADMIN_ADJUST", delta: -100, previousScore: 250, newScore: 150, actorId: admin.id });
    expect((await readStandingFromDatabase(db, ALL_TIME, target.id))!.score).toBe(150);
    expect((await scoreDeps.leaderboard.standing(target.id))!.score).toBe(150);
    // The invariant: the score equals the sum of the audit deltas.
    const [sum] = await db
      .select({ total: sql<number>`sum(${scoreActions.delta})::int` })
      .from(scoreActions)
      .where(eq(scoreActions.userId, target.id));
    expect(sum!.total).toBe(150);
  });

  it("accepts the boundaries: |delta| of 1,000,000 and reasons of 3 and 500 characters", async () => {
    const target = await createUser();
    const caller = callerFor(admin);
    expect(await caller.admin.adjustScore({ userId: target.id, delta: 1_000_000, reason: "abc" })).toMatchObject({ score: 1_000_000 });
    expect(await caller.admin.adjustScore({ userId: target.id, delta: -1_000_000, reason: "r".repeat(500) })).toMatchObject({ score: 0 });
  });

  const invalid: [string, Record<string, unknown>, string][] = [
    ["a zero delta", { delta: 0 }, "delta"],
    ["a non-integer delta", { delta: 1.5 }, "delta"],
    ["a delta above 1,000,000", { delta: 1_000_001 }, "delta"],
    ["a delta below -1,000,000", { delta: -1_000_001 }, "delta"],
    ["a delta sent as a string", { delta: "10" }, "delta"],
    ["a missing delta", { delta: undefined }, "delta"],
    ["a reason of 2 characters", { reason: "ab" }, "reason"],
    ["a reason of 2 characters after trimming", { reason: "   ab   " }, "reason"],
    ["a reason of 501 characters", { reason: "r".repeat(501) }, "reason"],
    ["a reason holding a NUL character (Postgres refuses it)", { reason: "fix\u0000up" }, "reason"],
    ["a missing reason", { reason: undefined }, "reason"],
    ["a user id that is not a uuid", { userId: "not-a-uuid" }, "userId"],
  ];

  it.each(invalid)("%s is BAD_REQUEST / INVALID_INPUT with field errors, and changes nothing", async (_, change, field) => {
    const target = await createUser();
    const before = await stateOf(target.id);
    const input = { userId: target.id, delta: 10, reason: "valid reason", ...change };
    await expectAppError(callerFor(admin).admin.adjustScore(input as never), "INVALID_INPUT", "BAD_REQUEST");
    const { status, body } = await overHttp("admin.adjustScore", input, context(sessionFor(admin)));
    expect(status).toBe(400);
    expect(body.error?.json.data).toMatchObject({ code: "BAD_REQUEST", reason: "INVALID_INPUT" });
    expect(body.error?.json.data.fieldErrors?.[field]).toEqual([expect.any(String)]);
    expect(await stateOf(target.id)).toEqual(before);
  });

  it("an unknown extra field (a client-chosen actor) is INVALID_INPUT and changes nothing", async () => {
    const target = await createUser();
    const before = await stateOf(target.id);
    const input = { userId: target.id, delta: 10, reason: "valid reason", actorId: target.id };
    const { status, body } = await overHttp("admin.adjustScore", input, context(sessionFor(admin)));
    expect(status).toBe(400);
    expect(body.error?.json.data).toMatchObject({ reason: "INVALID_INPUT", fieldErrors: expect.any(Object) });
    expect(await stateOf(target.id)).toEqual(before);
  });

  it("an unknown user is NOT_FOUND and writes no audit row", async () => {
    const ghost = randomUUID();
    await expectAppError(callerFor(admin).admin.adjustScore({ userId: ghost, delta: 10, reason: "nobody" }), "NOT_FOUND", "NOT_FOUND");
    expect(await db.select().from(scoreActions).where(eq(scoreActions.userId, ghost))).toEqual([]);
  });
});

describe("admin.setBanned", () => {
  it("a banned user leaves the board at once, cannot start or submit, and is back with their score when unbanned", async () => {
    const target = await createUser();
    const caller = callerFor(admin);
    const targetCaller = callerFor(target);

    // A big score so they are on the top 10.
    const raised = await caller.admin.adjustScore({ userId: target.id, delta: 1_000_000, reason: "to the top" });
    expect(raised.rank, "precondition: the target is on the top 10").not.toBeNull();
    expect(raised.rank!).toBeLessThanOrEqual(10);
    expect((await targetCaller.leaderboard.top()).entries.map((entry) => entry.userId)).toContain(target.id);
    // Started before the ban: its submit must still be refused.
    const pending = await targetCaller.action.start({ actionType: "DAILY_BONUS" });

    const banned = await caller.admin.setBanned({ userId: target.id, banned: true, reason: "  botting on stream  " });
    expect(banned).toEqual({
      userId: target.id,
      username: target.username,
      displayName: target.name,
      score: 1_000_000,
      role: "user",
      banned: true,
      hidden: false,
    });

    // Off the board at once: no waiting, no polling.
    const anonymous = callerFor(null);
    expect((await anonymous.leaderboard.top({ limit: 100 })).entries.map((entry) => entry.userId)).not.toContain(target.id);
    expect((await scoreDeps.leaderboard.top("all", 100)).entries.map((entry) => entry.userId)).not.toContain(target.id);
    expect((await appBoardStore.top(ALL_TIME, 100))?.entries.map((entry) => entry.userId)).not.toContain(target.id);
    expect(await appBoardRank(target.id)).toBeNull();
    expect(await targetCaller.leaderboard.me()).toMatchObject({ score: 1_000_000, rank: null });
    expect((await readStandingFromDatabase(db, ALL_TIME, target.id))!.rank).toBeNull();

    // Cannot play.
    await expectAppError(targetCaller.action.start({ actionType: "COMPLETE_TASK" }), "BANNED", "FORBIDDEN");
    await expectAppError(targetCaller.score.submit({ actionId: pending.actionId, token: pending.token }), "BANNED", "FORBIDDEN");
    expect((await stateOf(target.id)).score).toBe(1_000_000);
    expect((await stateOf(target.id)).auditRows).toBe(1);

    // Recorded with actor and (trimmed) reason.
    const records = await db
      .select()
      .from(moderationActions)
      .where(eq(moderationActions.userId, target.id))
      .orderBy(asc(moderationActions.id));
    expect(records).toEqual([
      { id: expect.any(Number), userId: target.id, actorId: admin.id, action: "ban", reason: "botting on stream", createdAt: expect.any(Date) },
    ]);

    // Unbanned: back on the board with the score, ranked alike by Postgres and Redis.
    const unbanned = await caller.admin.setBanned({ userId: target.id, banned: false, reason: "appeal accepted" });
    expect(unbanned).toMatchObject({ userId: target.id, banned: false, score: 1_000_000 });
    const rank = (await scoreDeps.leaderboard.standing(target.id))!.rank;
    expect(rank).not.toBeNull();
    expect((await readStandingFromDatabase(db, ALL_TIME, target.id))!.rank).toBe(rank);
    expect(rank!).toBeLessThanOrEqual(10);
    expect((await anonymous.leaderboard.top()).entries.find((entry) => entry.userId === target.id)).toEqual({
      rank,
      userId: target.id,
      displayName: target.name,
      score: 1_000_000,
    });
    expect(await appBoardRank(target.id)).toBe(rank);
    expect(await targetCaller.leaderboard.me()).toMatchObject({ score: 1_000_000, rank, hidden: false });
    const started = await targetCaller.action.start({ actionType: "COMPLETE_TASK" });
    expect(started.actionType).toBe("COMPLETE_TASK");
    // The DAILY_BONUS started before the ban counts now.
    expect(await targetCaller.score.submit({ actionId: pending.actionId, token: pending.token })).toMatchObject({ delta: 50, score: 1_000_050 });

    const after = await db.select().from(moderationActions).where(eq(moderationActions.userId, target.id)).orderBy(asc(moderationActions.id));
    expect(after.map((record) => [record.action, record.actorId, record.reason])).toEqual([
      ["ban", admin.id, "botting on stream"],
      ["unban", admin.id, "appeal accepted"],
    ]);
  });

  it("an admin can still correct a banned user's score; the banned user stays off the board", async () => {
    const target = await createUser();
    const caller = callerFor(admin);
    await caller.admin.setBanned({ userId: target.id, banned: true, reason: "cheating" });
    const adjusted = await caller.admin.adjustScore({ userId: target.id, delta: 70, reason: "refund" });
    expect(adjusted.score).toBe(70);
    // Soft, so one run shows every symptom: the rank answered, the public board, Redis's own rank.
    expect.soft(adjusted.rank, "a banned user has no rank").toBeNull();
    expect.soft((await scoreDeps.leaderboard.top("all", 100)).entries.map((entry) => entry.userId), "banned user back on leaderboard.top").not.toContain(target.id);
    expect.soft(await appBoardRank(target.id), "banned user ranked in Redis").toBeNull();
    expect((await readStandingFromDatabase(db, ALL_TIME, target.id))!.rank).toBeNull();
  });

  it("the moderation history is append-only: UPDATE and DELETE are refused by the database", async () => {
    const target = await createUser();
    await callerFor(admin).admin.setBanned({ userId: target.id, banned: true, reason: "spam" });
    const [record] = await db.select().from(moderationActions).where(eq(moderationActions.userId, target.id));
    expect(record).toBeDefined();

    const update = await db.execute(sql`update moderation_actions set reason = 'nothing happened' where id = ${record!.id}`).then(
      () => null,
      (error: unknown) => error,
    );
    expect(update, "UPDATE of moderation_actions must fail").not.toBeNull();
    expect(pgCode(update)).toBe("42501");
    const remove = await db.delete(moderationActions).where(eq(moderationActions.id, record!.id)).then(
      () => null,
      (error: unknown) => error,
    );
    expect(remove, "DELETE of moderation_actions must fail").not.toBeNull();
    expect(pgCode(remove)).toBe("42501");
    const truncate = await db.execute(sql`truncate moderation_actions`).then(
      () => null,
      (error: unknown) => error,
    );
    expect(truncate, "TRUNCATE of moderation_actions must fail").not.toBeNull();

    expect(await db.select().from(moderationActions).where(eq(moderationActions.id, record!.id))).toEqual([record]);
  });

  it("an unknown user is NOT_FOUND and records nothing", async () => {
    const ghost = randomUUID();
    await expectAppError(callerFor(admin).admin.setBanned({ userId: ghost, banned: true, reason: "nobody" }), "NOT_FOUND", "NOT_FOUND");
    expect(await db.select().from(moderationActions).where(eq(moderationActions.userId, ghost))).toEqual([]);
  });

  it.each([
    ["a reason of 2 characters", { reason: "no" }, "reason"],
    ["a reason of 501 characters", { reason: "r".repeat(501) }, "reason"],
    ["a reason holding a NUL character", { reason: "spam\u0000" }, "reason"],
    ["a banned flag that is not a boolean", { banned: "yes" }, "banned"],
    ["a user id that is not a uuid", { userId: "x" }, "userId"],
  ] as const)("%s is INVALID_INPUT with field errors and bans nobody", async (_, change, field) => {
    const target = await createUser();
    const input = { userId: target.id, banned: true, reason: "valid reason", ...change };
    const { status, body } = await overHttp("admin.setBanned", input, context(sessionFor(admin)));
    expect(status).toBe(400);
    expect(body.error?.json.data).toMatchObject({ reason: "INVALID_INPUT" });
    expect(body.error?.json.data.fieldErrors?.[field]).toEqual([expect.any(String)]);
    expect(await stateOf(target.id)).toMatchObject({ banned: false, moderationRows: 0 });
  });
});

describe("admin.auditLog", () => {
  it("pages a user's trail newest first with disjoint pages that cover every row, and filters by action type", async () => {
    const target = await createUser();
    const caller = callerFor(admin);
    for (const delta of [1, 2, 3, 4, 5]) await caller.admin.adjustScore({ userId: target.id, delta, reason: `step ${delta}` });
    await completeActions(target, "COMPLETE_TASK", 2);
    for (const delta of [6, 7]) await caller.admin.adjustScore({ userId: target.id, delta, reason: `step ${delta}` });

    const all = await db.select({ id: scoreActions.id }).from(scoreActions).where(eq(scoreActions.userId, target.id));
    expect(all).toHaveLength(9);

    const pages: Awaited<ReturnType<typeof caller.admin.auditLog>>[] = [];
    let cursor: number | undefined;
    do {
      const page = await caller.admin.auditLog({ userId: target.id, limit: 4, cursor });
      pages.push(page);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined && pages.length < 10);
    expect(pages.map((page) => page.items.length)).toEqual([4, 4, 1]);
    expect(pages.at(-1)!.nextCursor).toBeNull();
    const ids = pages.flatMap((page) => page.items.map((item) => item.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort((a, b) => a - b)).toEqual(all.map((row) => row.id).sort((a, b) => a - b));
    // Newest first: ids and times descending, and each row continues the previous one's score.
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    const items = pages.flatMap((page) => page.items);
    for (let i = 1; i < items.length; i++) {
      expect(items[i - 1]!.createdAt.getTime()).toBeGreaterThanOrEqual(items[i]!.createdAt.getTime());
      expect(items[i - 1]!.previousScore).toBe(items[i]!.newScore);
    }
    expect(items[0]).toMatchObject({ delta: 7, newScore: 48 });
    expect(items.every((item) => item.userId === target.id)).toBe(true);

    const adjustments = await caller.admin.auditLog({ userId: target.id, actionType: "ADMIN_ADJUST" });
    expect(adjustments.items.map((item) => item.delta)).toEqual([7, 6, 5, 4, 3, 2, 1]);
    expect(adjustments.items.every((item) => item.actionType === "ADMIN_ADJUST" && item.actorId === admin.id)).toBe(true);
    expect(adjustments.nextCursor).toBeNull();
    const tasks = await caller.admin.auditLog({ userId: target.id, actionType: "COMPLETE_TASK" });
    expect(tasks.items.map((item) => [item.actionType, item.delta, item.actorId])).toEqual([
      ["COMPLETE_TASK", 10, null],
      ["COMPLETE_TASK", 10, null],
    ]);
    expect((await caller.admin.auditLog({ userId: target.id, actionType: "WIN_MATCH" })).items).toEqual([]);
  });

  it("without a user filter it lists every user's rows newest first; the type filter alone works too", async () => {
    const [a, b] = [await createUser(), await createUser()];
    const caller = callerFor(admin);
    await caller.admin.adjustScore({ userId: a.id, delta: 11, reason: "first" });
    await caller.admin.adjustScore({ userId: b.id, delta: 22, reason: "second" });
    const { items } = await caller.admin.auditLog({ limit: 100 });
    const ids = items.map((item) => item.id);
    expect(ids).toEqual([...ids].sort((x, y) => y - x));
    const mine = items.filter((item) => item.userId === a.id || item.userId === b.id).map((item) => item.userId);
    expect(mine).toEqual([b.id, a.id]);
    const adjustments = await caller.admin.auditLog({ actionType: "ADMIN_ADJUST", limit: 100 });
    expect(adjustments.items.length).toBeGreaterThanOrEqual(2);
    expect(adjustments.items.every((item) => item.actionType === "ADMIN_ADJUST")).toBe(true);
  });

  it.each([
    ["a cursor of 0", { cursor: 0 }, "cursor"],
    ["a limit of 101", { limit: 101 }, "limit"],
    ["a user id that is not a uuid", { userId: "someone" }, "userId"],
    ["an action type holding a NUL character", { actionType: "ADMIN\u0000" }, "actionType"],
  ] as const)("%s is INVALID_INPUT with field errors", async (_, input, field) => {
    const { status, body } = await overHttp("admin.auditLog", input, context(sessionFor(admin)), "GET");
    expect(status).toBe(400);
    expect(body.error?.json.data).toMatchObject({ reason: "INVALID_INPUT" });
    expect(body.error?.json.data.fieldErrors?.[field]).toEqual([expect.any(String)]);
  });
});

describe("admin.users", () => {
  it("matches a substring of the username or of the display name (case-insensitively) and pages by cursor", async () => {
    const marker = hex(4);
    const byName = [
      await createUser({ username: `q_${marker}_c` }),
      await createUser({ username: `q_${marker}_a` }),
      await createUser({ username: `q_${marker}_b` }),
    ];
    const byDisplayName = await createUser({ username: `zz_${hex()}`, displayName: `Champion ${marker.toUpperCase()}!` });
    const unrelated = await createUser();
    const caller = callerFor(admin);

    const all = await caller.admin.users({ query: marker });
    expect(all.nextCursor).toBeNull();
    expect(all.items.map((item) => item.username)).toEqual([...byName.map((user) => user.username).sort(), byDisplayName.username]);
    expect(all.items.map((item) => item.userId)).not.toContain(unrelated.id);
    expect(all.items[3]).toEqual({
      userId: byDisplayName.id,
      username: byDisplayName.username,
      displayName: byDisplayName.name,
      score: 0,
      role: "user",
      banned: false,
      hidden: false,
    });

    const first = await caller.admin.users({ query: marker, limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).toBe(first.items[1]!.username);
    const second = await caller.admin.users({ query: marker, limit: 2, cursor: first.nextCursor! });
    expect(second.items).toHaveLength(2);
    const third = second.nextCursor ? await caller.admin.users({ query: marker, limit: 2, cursor: second.nextCursor }) : { items: [], nextCursor: null };
    expect(third.items).toEqual([]);
    expect(third.nextCursor).toBeNull();
    expect([...first.items, ...second.items]).toEqual(all.items);

    // The display-name match alone, and the username match alone.
    expect((await caller.admin.users({ query: `champion ${marker}` })).items.map((item) => item.userId)).toEqual([byDisplayName.id]);
    expect((await caller.admin.users({ query: `${marker}_b` })).items.map((item) => item.userId)).toEqual([byName[2]!.id]);
  });

  it("treats % and _ in the query literally", async () => {
    const marker = hex(4);
    const percent = await createUser({ displayName: `100% ${marker}` });
    await createUser({ displayName: `100 ${marker}` });
    const caller = callerFor(admin);
    expect((await caller.admin.users({ query: `100% ${marker}` })).items.map((item) => item.userId)).toEqual([percent.id]);
    const percentOnly = await caller.admin.users({ query: "%", limit: 100 });
    expect(percentOnly.items.every((item) => item.username.includes("%") || item.displayName.includes("%"))).toBe(true);
    expect(percentOnly.items.map((item) => item.userId)).toContain(percent.id);
  });

  it("without a query lists everyone by username, paging through all of them", async () => {
    const caller = callerFor(admin);
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let page = 0; page < 1000; page++) {
      const result = await caller.admin.users({ limit: 100, cursor });
      seen.push(...result.items.map((item) => item.username));
      if (!result.nextCursor) break;
      cursor = result.nextCursor;
    }
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual([...seen].sort());
    const [count] = await db.select({ n: sql<number>`count(*)::int` }).from(users);
    expect(seen.length).toBe(count!.n);
    expect(seen).toContain("root_admin");
  });

  it.each([
    ["a query", { query: "ab\u0000" }, "query"],
    ["a cursor", { cursor: "\u0000" }, "cursor"],
  ] as const)("%s holding a NUL character is INVALID_INPUT, not a database error", async (_, input, field) => {
    const { status, body } = await overHttp("admin.users", input, context(sessionFor(admin)), "GET");
    expect(status).toBe(400);
    expect(body.error?.json.data).toMatchObject({ reason: "INVALID_INPUT" });
    expect(body.error?.json.data.fieldErrors?.[field]).toEqual([expect.any(String)]);
  });
});

describe("admin.flags", () => {
  type FlagList = Awaited<ReturnType<ReturnType<typeof callerFor>["admin"]["flags"]>>["items"];
  const flagsOf = (items: FlagList, userId: string) => items.filter((flag) => flag.userId === userId);

  it("REPEATED_REFUSALS: 10 refused submits (too fast, forged) in the last hour, with counts by reason", async () => {
    const cheater = await createUser();
    const almost = await createUser();
    // A clock that stands still: every submit is too fast, however slow the machine.
    const scoring: ScoreDeps = { ...scoreDeps, now: manualClock().now };
    const playing = (user: SessionUser) => createCaller(context(sessionFor(user), { scoring }));
    const cheaterCaller = playing(cheater);
    for (let i = 0; i < 7; i++) {
      const action = await cheaterCaller.action.start({ actionType: "COMPLETE_TASK" });
      await expectAppError(cheaterCaller.score.submit({ actionId: action.actionId, token: action.token }), "TOO_FAST", "BAD_REQUEST");
    }
    for (let i = 0; i < 3; i++) {
      const action = await cheaterCaller.action.start({ actionType: "DAILY_BONUS" });
      const forged = `${action.token.slice(0, action.token.lastIndexOf(".") + 1)}${randomBytes(32).toString("base64url")}`;
      await expectAppError(cheaterCaller.score.submit({ actionId: action.actionId, token: forged }), "INVALID_TOKEN", "FORBIDDEN");
    }
    // One short of the threshold: not flagged.
    const almostCaller = playing(almost);
    for (let i = 0; i < 9; i++) {
      const action = await almostCaller.action.start({ actionType: "COMPLETE_TASK" });
      await expectAppError(almostCaller.score.submit({ actionId: action.actionId, token: action.token }), "TOO_FAST", "BAD_REQUEST");
    }
    const recorded = await db.select().from(actionRefusals).where(eq(actionRefusals.userId, cheater.id));
    expect(recorded).toHaveLength(10);

    const { items } = await callerFor(admin).admin.flags({ limit: 100 });
    expect(flagsOf(items, cheater.id)).toEqual([
      {
        userId: cheater.id,
        username: cheater.username,
        kind: "REPEATED_REFUSALS",
        evidence: { refusedLastHour: 10, byReason: { TOO_FAST: 7, INVALID_TOKEN: 3 } },
        since: expect.any(Date),
      },
    ]);
    const since = flagsOf(items, cheater.id)[0]!.since;
    expect(since.getTime()).toBe(Math.min(...recorded.map((row) => row.createdAt.getTime())));
    expect(flagsOf(items, almost.id)).toEqual([]);
  });

  it("POINTS_RATE_OUTLIER: hourly points above 5× the median and at least 200; admin adjustments do not count", async () => {
    // Normal players: 10 points each this hour, so the median is small.
    const normals = await Promise.all(Array.from({ length: 15 }, () => createUser()));
    for (const user of normals) await completeActions(user, "COMPLETE_TASK", 1);
    const grinder = await createUser();
    expect(await completeActions(grinder, "COMPLETE_TASK", 120)).toBe(1200);
    // Rich only through an admin: not an outlier.
    const rewarded = await createUser();
    await callerFor(admin).admin.adjustScore({ userId: rewarded.id, delta: 50_000, reason: "prize" });

    const { items } = await callerFor(admin).admin.flags({ limit: 100 });
    const flags = flagsOf(items, grinder.id);
    expect(flags).toEqual([
      {
        userId: grinder.id,
        username: grinder.username,
        kind: "POINTS_RATE_OUTLIER",
        evidence: { pointsLastHour: 1200, medianPointsLastHour: expect.any(Number) },
        since: expect.any(Date),
      },
    ]);
    const median = flags[0]!.evidence.medianPointsLastHour as number;
    expect(median).toBeGreaterThan(0);
    expect(1200).toBeGreaterThan(5 * median);
    expect(flagsOf(items, rewarded.id)).toEqual([]);
    for (const user of normals) expect(flagsOf(items, user.id)).toEqual([]);
  }, 60_000);

  it("SHARED_IP: four accounts scoring from one address are each flagged; three are not", async () => {
    // Addresses no other test here scores from.
    const ip = "192.0.2.4";
    const threeIp = "192.0.2.3";
    const four = await Promise.all(Array.from({ length: 4 }, () => createUser()));
    const three = await Promise.all(Array.from({ length: 3 }, () => createUser()));
    for (const [group, address] of [
      [four, ip],
      [three, threeIp],
    ] as const) {
      for (const user of group) {
        const caller = callerFor(user, new Headers({ "x-forwarded-for": address }));
        const action = await caller.action.start({ actionType: "DAILY_BONUS" });
        expect(await caller.score.submit({ actionId: action.actionId, token: action.token })).toMatchObject({ delta: 50 });
      }
    }
    const { items } = await callerFor(admin).admin.flags({ limit: 100 });
    for (const user of four) {
      expect(flagsOf(items, user.id)).toEqual([
        { userId: user.id, username: user.username, kind: "SHARED_IP", evidence: { ip, accounts: 4 }, since: expect.any(Date) },
      ]);
    }
    for (const user of three) expect(flagsOf(items, user.id)).toEqual([]);
  });

  it("limit is 1..100", async () => {
    const { status, body } = await overHttp("admin.flags", { limit: 0 }, context(sessionFor(admin)), "GET");
    expect(status).toBe(400);
    expect(body.error?.json.data.fieldErrors?.limit).toEqual([expect.any(String)]);
    expect((await callerFor(admin).admin.flags({ limit: 1 })).items.length).toBeLessThanOrEqual(1);
  });
});
