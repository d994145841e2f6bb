/**
 * account.update through the app's router, against real services: the display name and the
 * "hide me" switch, and how the board (the app's Redis board, and Postgres) follows at once.
 */
import { randomBytes } from "node:crypto";

import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { eq } from "drizzle-orm";
import fc from "fast-check";
import type { Session } from "next-auth";
import { beforeAll, describe, expect, it } from "vitest";

import { appRouter, createCaller } from "~/server/api/root";
import { contextServices, type Context } from "~/server/api/trpc";
import type { SessionUser } from "~/server/auth/accounts";
import { ALL_TIME } from "~/server/board/types";
import { services } from "~/server/composition-root";
import { scores, users } from "~/server/db/schema";
import { readStandingFromDatabase, readTopFromDatabase } from "~/server/scoring/board-queries";
import { adjustScore } from "~/server/scoring/score-service";
import { appBoardRank, appBoardStore, buildAppBoard } from "../../../test/support/app-board";
import { expectAppError } from "../../../test/support/app-errors";
import { rootAdmin, sessionFor } from "../../../test/support/users";
import { displayNameSchema, sanitizeDisplayName } from "./profile";

const { db, scoreDeps } = services;

const hex = (bytes = 5) => randomBytes(bytes).toString("hex");

function context(session: Session | null): Context {
  return { ...contextServices(), session, headers: new Headers() };
}

const callerFor = (user: SessionUser | null) => createCaller(context(user ? sessionFor(user) : null));

let actor: SessionUser;

/** A user who is on the top 100 of the board (points granted through the score service). */
async function playerOnBoard(points = 40_000): Promise<SessionUser> {
  const username = `prof_${hex()}`;
  const displayName = `Player ${username}`;
  const [row] = await db.insert(users).values({ username, displayName }).returning({ id: users.id });
  await db.insert(scores).values({ userId: row!.id });
  const outcome = await adjustScore(scoreDeps, { actorId: actor.id, userId: row!.id, delta: points, reason: "profile test", ip: null, userAgent: null });
  if (!outcome.ok) throw new Error(outcome.reason);
  expect(outcome.value.rank, "precondition: the player is on the top 100").not.toBeNull();
  expect(outcome.value.rank!).toBeLessThanOrEqual(100);
  return { id: row!.id, username, name: displayName, role: "user" };
}

async function boardEntry(userId: string) {
  return (await callerFor(null).leaderboard.top({ limit: 100 })).entries.find((entry) => entry.userId === userId);
}

async function storedProfile(userId: string) {
  const [row] = await db.select({ displayName: users.displayName, hidden: users.hidden }).from(users).where(eq(users.id, userId));
  return row;
}

async function overHttp(input: unknown, user: SessionUser) {
  const response = await fetchRequestHandler({
    endpoint: "/api/trpc",
    req: new Request("http://localhost/api/trpc/account.update", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ json: input }),
    }),
    router: appRouter,
    createContext: () => context(sessionFor(user)),
  });
  const body = (await response.json()) as {
    result?: { data: { json: unknown } };
    error?: { json: { data: { code: string; reason: string; fieldErrors?: Record<string, string[]> } } };
  };
  return { status: response.status, body };
}

beforeAll(async () => {
  actor = await rootAdmin();
  await buildAppBoard();
});

describe("account.update: display name", () => {
  it("changes the display name (trimmed) and the board shows it at once, from Redis", async () => {
    const player = await playerOnBoard();
    const newName = `Ace ${hex(3)}`;
    const profile = await callerFor(player).account.update({ displayName: `   ${newName}\t ` });
    expect(profile).toEqual({ userId: player.id, username: player.username, displayName: newName, hidden: false });
    expect(await storedProfile(player.id)).toEqual({ displayName: newName, hidden: false });

    expect(await boardEntry(player.id)).toMatchObject({ displayName: newName, score: 40_000 });
    expect((await appBoardStore.top(ALL_TIME, 100))?.entries.find((entry) => entry.userId === player.id)?.displayName).toBe(newName);
    expect((await readTopFromDatabase(db, ALL_TIME, 100)).entries.find((entry) => entry.userId === player.id)?.displayName).toBe(newName);
    expect(await callerFor(player).leaderboard.me()).toMatchObject({ displayName: newName, score: 40_000, hidden: false });
  });

  it("accepts 32 characters (after trimming), HTML-looking text and non-Latin letters verbatim", async () => {
    const player = await playerOnBoard();
    const caller = callerFor(player);
    const longest = "n".repeat(32);
    expect((await caller.account.update({ displayName: `  ${longest}  ` })).displayName).toBe(longest);
    const markup = "<script>alert(1)</script><b>x";
    expect((await caller.account.update({ displayName: markup })).displayName).toBe(markup);
    expect((await boardEntry(player.id))?.displayName).toBe(markup);
    const unicode = "Zoë 🎯 Łódź 東京";
    expect((await caller.account.update({ displayName: unicode })).displayName).toBe(unicode);
    expect((await boardEntry(player.id))?.displayName).toBe(unicode);
  });

  const invalid: [string, unknown, string][] = [
    ["an empty name", { displayName: "" }, "displayName"],
    ["a name of spaces only", { displayName: "    " }, "displayName"],
    ["a name of 33 characters", { displayName: "x".repeat(33) }, "displayName"],
    ["a NUL character", { displayName: "bad\u0000name" }, "displayName"],
    ["a newline", { displayName: "two\nlines" }, "displayName"],
    ["an escape character", { displayName: "red\u001b[31m" }, "displayName"],
    ["a zero-width space", { displayName: "in\u200bvisible" }, "displayName"],
    ["a right-to-left override", { displayName: "evil\u202eexe.txt" }, "displayName"],
    ["a zero-width joiner", { displayName: "a\u200db" }, "displayName"],
    ["a byte-order mark inside the name", { displayName: "na\ufeffme" }, "displayName"],
    ["a line separator", { displayName: "a\u2028b" }, "displayName"],
    ["a number for a name", { displayName: 42 }, "displayName"],
    ["a hidden flag that is not a boolean", { hidden: "yes" }, "hidden"],
  ];

  it.each(invalid)("%s is BAD_REQUEST / INVALID_INPUT with field errors, and changes nothing", async (_, input, field) => {
    const player = await playerOnBoard(100);
    const before = await storedProfile(player.id);
    await expectAppError(callerFor(player).account.update(input as never), "INVALID_INPUT", "BAD_REQUEST");
    const { status, body } = await overHttp(input, player);
    expect(status).toBe(400);
    expect(body.error?.json.data).toMatchObject({ code: "BAD_REQUEST", reason: "INVALID_INPUT" });
    expect(body.error?.json.data.fieldErrors?.[field]).toEqual([expect.any(String)]);
    expect(await storedProfile(player.id)).toEqual(before);
  });

  it.each([
    ["an unknown extra field (a role)", { displayName: "fine name", role: "admin" }],
    ["an unknown extra field (a score)", { hidden: false, score: 1_000_000 }],
    ["nothing to change", {}],
  ])("%s is INVALID_INPUT and changes nothing", async (_, input) => {
    const player = await playerOnBoard(100);
    const before = await storedProfile(player.id);
    const { status, body } = await overHttp(input, player);
    expect(status).toBe(400);
    expect(body.error?.json.data).toMatchObject({ code: "BAD_REQUEST", reason: "INVALID_INPUT", fieldErrors: expect.any(Object) });
    expect(await storedProfile(player.id)).toEqual(before);
    const [row] = await db.select({ role: users.role, score: scores.score }).from(users).innerJoin(scores, eq(scores.userId, users.id)).where(eq(users.id, player.id));
    expect(row).toEqual({ role: "user", score: 100 });
  });

  it("is refused without a session (UNAUTHENTICATED)", async () => {
    await expectAppError(callerFor(null).account.update({ displayName: "nobody" }), "UNAUTHENTICATED", "UNAUTHORIZED");
  });
});

describe("account.update: hidden", () => {
  it("hidden: true takes the user off the board, leaderboard.me keeps their score with rank null; hidden: false brings them back", async () => {
    const player = await playerOnBoard(30_000);
    const caller = callerFor(player);
    expect(await boardEntry(player.id)).toMatchObject({ score: 30_000 });

    const hidden = await caller.account.update({ hidden: true });
    expect(hidden).toEqual({ userId: player.id, username: player.username, displayName: player.name, hidden: true });
    expect(await boardEntry(player.id)).toBeUndefined();
    expect((await appBoardStore.top(ALL_TIME, 100))?.entries.map((entry) => entry.userId)).not.toContain(player.id);
    expect(await appBoardRank(player.id)).toBeNull();
    expect((await readTopFromDatabase(db, ALL_TIME, 100)).entries.map((entry) => entry.userId)).not.toContain(player.id);
    expect(await caller.leaderboard.me()).toEqual({ userId: player.id, displayName: player.name, score: 30_000, rank: null, hidden: true, total: expect.any(Number), percentile: null });
    expect(await readStandingFromDatabase(db, ALL_TIME, player.id)).toMatchObject({ score: 30_000, rank: null, hidden: true });

    // Still plays while hidden: the score rises, the board does not show it.
    const started = await caller.action.start({ actionType: "DAILY_BONUS" });
    expect(await caller.score.submit({ actionId: started.actionId, token: started.token })).toMatchObject({ score: 30_050, rank: null });
    expect(await boardEntry(player.id)).toBeUndefined();
    expect(await caller.leaderboard.me()).toMatchObject({ score: 30_050, rank: null, hidden: true });

    const shown = await caller.account.update({ hidden: false });
    expect(shown.hidden).toBe(false);
    const entry = await boardEntry(player.id);
    expect(entry).toEqual({ rank: expect.any(Number), userId: player.id, displayName: player.name, score: 30_050 });
    expect(await appBoardRank(player.id)).toBe(entry!.rank);
    expect((await readStandingFromDatabase(db, ALL_TIME, player.id))!.rank).toBe(entry!.rank);
    expect(await caller.leaderboard.me()).toEqual({
      userId: player.id,
      displayName: player.name,
      score: 30_050,
      rank: entry!.rank,
      hidden: false,
      total: expect.any(Number),
      percentile: expect.any(Number),
    });
  });

  it("renaming while hidden keeps the user hidden; unhiding shows the new name", async () => {
    const player = await playerOnBoard();
    const caller = callerFor(player);
    await caller.account.update({ hidden: true });
    const newName = `Ghost ${hex(3)}`;
    expect(await caller.account.update({ displayName: newName })).toMatchObject({ displayName: newName, hidden: true });
    expect(await boardEntry(player.id)).toBeUndefined();
    expect(await caller.account.update({ hidden: false, displayName: `${newName}!` })).toMatchObject({ displayName: `${newName}!`, hidden: false });
    expect(await boardEntry(player.id)).toMatchObject({ displayName: `${newName}!`, score: 40_000 });
  });
});

describe("displayNameSchema", () => {
  it("refuses an unpaired surrogate (it would be stored mangled) but keeps real emoji", () => {
    expect(displayNameSchema.safeParse("!\ud800!").success).toBe(false);
    expect(displayNameSchema.safeParse("Ace 😀").success).toBe(true);
  });
});

describe("sanitizeDisplayName (names from GitHub profiles)", () => {
  it.each([
    ["a plain name", "Ada Lovelace", "Ada Lovelace"],
    ["bidi overrides and isolates", "\u202Eevil\u202C \u2066name\u2069", "evil name"],
    ["zero-width characters and a BOM", "Z\u200Be\u200Cr\u200Do\u2060\uFEFF", "Zero"],
    ["control characters and line separators", "tab\tbell\u0007nl\n\u2028end", "tabbellnlend"],
    ["a lone surrogate", "half\ud800moon", "halfmoon"],
    ["spaces around", "   spaced   ", "spaced"],
    ["33 ASCII characters", "a".repeat(33), "a".repeat(32)],
    ["emoji past the limit: cut between them, never inside one", "😀".repeat(20), "😀".repeat(16)],
    ["an emoji across the limit", `${"a".repeat(31)}😀`, "a".repeat(31)],
    ["a combining mark at the limit", `${"a".repeat(31)}e\u0301`, "a".repeat(31)],
    ["a cut that leaves a trailing space", `${"a".repeat(31)} b`, "a".repeat(31)],
    ["nothing visible", "\u200B\u202E \u2066", "gh-fallback"],
    ["empty", "", "gh-fallback"],
  ])("%s", (_, raw, expected) => {
    expect(sanitizeDisplayName(raw, "gh-fallback")).toBe(expected);
  });

  it("always yields a name displayNameSchema accepts, with no unpaired surrogate", () => {
    const codeUnits = fc.string({ unit: fc.integer({ min: 0, max: 0xffff }).map((unit) => String.fromCharCode(unit)), maxLength: 80 });
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: "binary", maxLength: 80 }), codeUnits), (raw) => {
        const name = sanitizeDisplayName(raw, "gh-fallback");
        expect(displayNameSchema.safeParse(name)).toMatchObject({ success: true, data: name });
        expect(name).not.toMatch(/\p{Cs}/u);
      }),
      { numRuns: 500 },
    );
  });
});
