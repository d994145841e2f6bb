import { randomBytes, randomUUID } from "node:crypto";

import { Redis } from "@upstash/redis";
import { eq } from "drizzle-orm";
import type { Session } from "next-auth";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

import type { BoardWindow } from "~/lib/board-windows";
import { signUp, type SessionUser } from "~/server/auth/accounts";
import { grantAdmin } from "~/server/auth/roles";
import { scopeAt } from "~/server/board/types";
import { services } from "~/server/composition-root";
import { createDatabase } from "~/server/db";
import { scores, users } from "~/server/db/schema";
import { createBoardChangeFeed } from "~/server/redis/board-changes";
import { createBoardStore } from "~/server/redis/board-store";
import { redisKeys } from "~/server/redis/keys";
import { createLeaderboard } from "~/server/scoring/leaderboard";
import { createLiveBoard, LIVE_BOARD_SIZE } from "~/server/scoring/live-board";
import { caught, expectAppError } from "../../../test/support/app-errors";
import { reasonOf } from "./errors";
import { createCaller } from "./root";
import { adminProcedure, contextServices, createCallerFactory, createTRPCRouter, type Context } from "./trpc";
import { TEST_PASSWORD, rootAdmin, sessionFor } from "../../../test/support/users";
import { callTrpc } from "../../../test/support/trpc-http";

const { db, scoreDeps } = services;

const PASSWORD = TEST_PASSWORD;
const uniqueName = (prefix = "t") => `${prefix}_${randomBytes(6).toString("hex")}`;

const adminRouter = createTRPCRouter({ ping: adminProcedure.query(() => "pong") });
const createAdminCaller = createCallerFactory(adminRouter);

/** A database client that can never connect: nothing listens on port 1. */
const deadDatabase = createDatabase("postgres://postgres@127.0.0.1:1/nowhere");

afterAll(async () => {
  await deadDatabase.client.end({ timeout: 1 });
});

/** Redis at an address where nothing listens (a "bad port" like 1 would fail before connecting). */
const deadRedis = new Redis({ url: "http://127.0.0.1:47", token: "dead", retry: false, enableTelemetry: false });

/** The app's services, or — for a dead database — services whose Redis is dead too, so reads reach the database. */
function context(session: Session | null = null, database: Context["db"] = db): Context {
  if (database === db) return { ...contextServices(), session, headers: new Headers() };
  const keys = redisKeys("dead:").board;
  const leaderboard = createLeaderboard({ db: database, store: createBoardStore(deadRedis, keys), onRedisError: () => {} });
  const live = (window: BoardWindow) =>
    createLiveBoard({
      readBoard: () => leaderboard.top(window, LIVE_BOARD_SIZE),
      changeFeed: createBoardChangeFeed(deadRedis, keys, () => scopeAt(window, Date.now()), () => {}),
      onError: () => {},
    });
  const liveBoards = { all: live("all"), week: live("week"), day: live("day") };
  return { ...contextServices(), db: database, session, headers: new Headers(), scoring: { ...scoreDeps, db: database, leaderboard }, liveBoards };
}

async function signUpUser(username = uniqueName()): Promise<SessionUser> {
  const result = await signUp(db, { username, password: PASSWORD });
  if (!result.ok) throw new Error(`sign-up of ${username} failed: ${result.reason}`);
  return result.user;
}

/** Users on the board, in Postgres and in Redis, without the cost of hashing passwords. */
async function addUsersToBoard(count: number) {
  const usernames = Array.from({ length: count }, () => uniqueName("b"));
  const created = await db
    .insert(users)
    .values(usernames.map((username) => ({ username, displayName: username })))
    .returning({ id: users.id });
  await db.insert(scores).values(created.map((user) => ({ userId: user.id })));
  await scoreDeps.leaderboard.refresh(created.map((user) => user.id));
}

describe("leaderboard procedures through createCaller", () => {
  it("leaderboard.me without a session is UNAUTHENTICATED / UNAUTHORIZED", async () => {
    await expectAppError(createCaller(context()).leaderboard.me(), "UNAUTHENTICATED", "UNAUTHORIZED");
  });

  it("leaderboard.me for a signed-up user returns their score 0, a numeric rank and their display name", async () => {
    const user = await signUpUser();
    const standing = await createCaller(context(sessionFor(user))).leaderboard.me();
    expect(standing).toEqual({ userId: user.id, displayName: user.name, score: 0, rank: expect.any(Number), hidden: false, total: expect.any(Number), percentile: expect.any(Number) });
    expect(standing.rank).toBeLessThanOrEqual(standing.total);
    expect(standing.rank).toBeGreaterThanOrEqual(1);
  });

  it("leaderboard.me for a session whose user no longer exists is NOT_FOUND", async () => {
    const ghost: SessionUser = { id: randomUUID(), username: uniqueName(), name: "ghost", role: "user" };
    await expectAppError(createCaller(context(sessionFor(ghost))).leaderboard.me(), "NOT_FOUND", "NOT_FOUND");
  });

  it("leaderboard.top is public, gives 10 entries by default, and accepts 1..100", async () => {
    await addUsersToBoard(11);
    const caller = createCaller(context());
    const board = await caller.leaderboard.top();
    expect(board.entries.map((entry) => entry.rank)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect((await caller.leaderboard.top({ limit: 1 })).entries).toHaveLength(1);
    expect((await caller.leaderboard.top({ limit: 100 })).entries.length).toBeGreaterThanOrEqual(11);
  });

  it.each([0, 101, 1.5, -1])("leaderboard.top with limit %s is BAD_REQUEST / INVALID_INPUT", async (limit) => {
    const error = await caught(createCaller(context()).leaderboard.top({ limit }));
    expect(error.code).toBe("BAD_REQUEST");
    expect(reasonOf(error)).toBe("INVALID_INPUT");
  });

  it("maps an unreachable database to DB_UNAVAILABLE / SERVICE_UNAVAILABLE", async () => {
    await expectAppError(
      createCaller(context(null, deadDatabase.db)).leaderboard.top(),
      "DB_UNAVAILABLE",
      "SERVICE_UNAVAILABLE",
    );
  });
});

describe("adminProcedure", () => {
  it("refuses a normal user with NOT_ADMIN / FORBIDDEN", async () => {
    const user = await signUpUser();
    await expectAppError(createAdminCaller(context(sessionFor(user))).ping(), "NOT_ADMIN", "FORBIDDEN");
  });

  it("refuses a normal user whose session claims role admin (the role is re-read, not trusted)", async () => {
    const user = await signUpUser();
    await expectAppError(
      createAdminCaller(context(sessionFor({ ...user, role: "admin" }))).ping(),
      "NOT_ADMIN",
      "FORBIDDEN",
    );
  });

  it("lets root_admin (granted the role) through", async () => {
    const admin = await rootAdmin();
    expect(await createAdminCaller(context(sessionFor(admin))).ping()).toBe("pong");
  });

  it("refuses a banned admin with NOT_ADMIN", async () => {
    // An admin of this test alone, so banning it cannot disturb the tests using root_admin.
    const username = uniqueName("adm");
    const admin = { ...(await signUpUser(username)), role: "admin" as const };
    await grantAdmin(db, username, "vitest");
    const caller = createAdminCaller(context(sessionFor(admin)));
    expect(await caller.ping()).toBe("pong");

    await db.update(users).set({ banned: true }).where(eq(users.id, admin.id));
    await expectAppError(caller.ping(), "NOT_ADMIN", "FORBIDDEN");
  });

  it("refuses a session whose user no longer exists, even with role admin", async () => {
    const ghost: SessionUser = { id: randomUUID(), username: "root_admin", name: "root_admin", role: "admin" };
    await expectAppError(createAdminCaller(context(sessionFor(ghost))).ping(), "NOT_ADMIN", "FORBIDDEN");
  });

  it("refuses no session with UNAUTHENTICATED / UNAUTHORIZED", async () => {
    await expectAppError(createAdminCaller(context()).ping(), "UNAUTHENTICATED", "UNAUTHORIZED");
  });
});

type ErrorBody = {
  error: {
    json: {
      message: string;
      code: number;
      data: { code: string; httpStatus: number; reason: string; fieldErrors?: Record<string, string[]>; stack?: unknown };
    };
  };
};

describe("the error formatter over HTTP (fetch adapter)", () => {
  let signedIn: Session;

  beforeAll(async () => {
    signedIn = sessionFor(await signUpUser());
  });

  function call(pathAndQuery: string, ctx: Context = context(), init?: RequestInit) {
    return callTrpc(pathAndQuery, ctx, init);
  }

  function errorOf(body: unknown) {
    const error = (body as Partial<ErrorBody>).error?.json;
    expect(error, JSON.stringify(body)).toBeDefined();
    return error!;
  }

  /** NODE_ENV is test: no error body may carry a stack. */
  function expectNoStack(text: string, body: unknown) {
    expect(errorOf(body).data.stack ?? null).toBeNull();
    expect(text).not.toMatch(/"stack"\s*:\s*"/);
    expect(text).not.toMatch(/\n\s+at /);
    expect(text).not.toContain("node_modules");
  }

  const input = (value: unknown) => `input=${encodeURIComponent(JSON.stringify({ json: value }))}`;

  it("answers a successful query with 200 and the board", async () => {
    const { status, body } = await call(`leaderboard.top?${input({ limit: 3 })}`);
    expect(status).toBe(200);
    const result = (body as { result: { data: { json: { entries: unknown[]; version: number } } } }).result.data.json;
    expect(result.entries.length).toBeLessThanOrEqual(3);
    expect(typeof result.version).toBe("number");
  });

  it("answers invalid input with 400, INVALID_INPUT and field errors", async () => {
    const { status, text, body } = await call(`leaderboard.top?${input({ limit: 1000 })}`);
    expect(status).toBe(400);
    const error = errorOf(body);
    expect(error.data.code).toBe("BAD_REQUEST");
    expect(error.data.reason).toBe("INVALID_INPUT");
    expect(error.data.fieldErrors?.limit).toEqual([expect.any(String)]);
    expect(error.data.fieldErrors?.limit?.[0]?.length).toBeGreaterThan(0);
    expectNoStack(text, body);
  });

  it("answers leaderboard.me without a session with 401 UNAUTHENTICATED", async () => {
    const { status, text, body } = await call("leaderboard.me");
    expect(status).toBe(401);
    expect(errorOf(body).data.reason).toBe("UNAUTHENTICATED");
    expectNoStack(text, body);
  });

  it("answers leaderboard.me with a session with 200 and the user's standing", async () => {
    const { status, body } = await call("leaderboard.me", context(signedIn));
    expect(status).toBe(200);
    const result = (body as { result: { data: { json: { userId: string; score: number } } } }).result.data.json;
    expect(result).toMatchObject({ userId: signedIn.user.id, score: 0 });
  });

  it("answers an unknown procedure with 404 NOT_FOUND", async () => {
    const { status, text, body } = await call("leaderboard.nope");
    expect(status).toBe(404);
    expect(errorOf(body).data.reason).toBe("NOT_FOUND");
    expectNoStack(text, body);
  });

  it("answers malformed input JSON with 400 INVALID_INPUT, never 500", async () => {
    const { status, text, body } = await call("leaderboard.top?input=%7Bnot-json");
    expect(status).toBe(400);
    expect(errorOf(body).data.reason).toBe("INVALID_INPUT");
    expectNoStack(text, body);
  });

  it("answers a query sent as POST with 405 METHOD_NOT_SUPPORTED", async () => {
    const { status, body } = await call("leaderboard.top", context(), {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ json: {} }),
    });
    expect(status).toBe(405);
    expect(errorOf(body).data.reason).toBe("METHOD_NOT_SUPPORTED");
  });

  it("answers with 503 DB_UNAVAILABLE when the database is down, without leaking the connection string", async () => {
    const { status, text, body } = await call(`leaderboard.top?${input({ limit: 5 })}`, context(null, deadDatabase.db));
    expect(status).toBe(503);
    expect(errorOf(body).data.reason).toBe("DB_UNAVAILABLE");
    expect(text).not.toContain("postgres://");
    expectNoStack(text, body);
  });
});
