/**
 * The leaderboard procedures' windows over tRPC's HTTP handler, with the app's real services
 * (this file's Postgres database and Redis keys): inputs refused as the spec says, a window's
 * current board and a finished period by name, one's own standing per window, and live event ids
 * that name the period.
 */
import superjson from "superjson";
import { describe, expect, it } from "vitest";

import { boardEventId, periodAt } from "~/lib/board-windows";
import { signUp } from "~/server/auth/accounts";
import { services } from "~/server/composition-root";
import { adjustScore } from "~/server/scoring/score-service";
import { callTrpc } from "../../../../test/support/trpc-http";
import { rootAdmin, sessionFor, TEST_PASSWORD } from "../../../../test/support/users";
import { parseLiveRequest, parseTopRequest } from "../board/answers";
import { createCaller } from "../root";
import { contextServices, type Context } from "../trpc";

const { db, scoreDeps } = services;

const context = (session: Context["session"] = null): Context => ({ ...contextServices(), session, headers: new Headers() });
const query = (input: unknown) => `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;

type ErrorBody = { error: { json: { data: { code: string; httpStatus: number; reason: string; fieldErrors?: Record<string, string[]> } } } };
type BoardBody = { result: { data: { json: { window: string; period: string | null; entries: { displayName: string; score: number }[] } } } };

async function signedUpPlayer(name: string) {
  const result = await signUp(db, { username: name, password: TEST_PASSWORD });
  if (!result.ok) throw new Error(`sign-up failed: ${result.reason}`);
  return result.user;
}

describe("window and period inputs", () => {
  it.each([
    ["an unknown window", { window: "month" }, "window"],
    ["a malformed day", { window: "day", period: "2026-13-01" }, "period"],
    ["a day that does not exist", { window: "day", period: "2026-02-30" }, "period"],
    ["a week name for the day window", { window: "day", period: "2026-W48" }, "period"],
    ["a week 53 the year does not have", { window: "week", period: "2025-W53" }, "period"],
    ["a period of all time", { window: "all", period: "2026-11-29" }, "period"],
    ["a period that is not a string", { window: "week", period: 202648 }, "period"],
  ])("refuses %s in leaderboard.top with 400 INVALID_INPUT on that field", async (_, input, field) => {
    const reply = await callTrpc(`leaderboard.top${query(input)}`, context());
    expect(reply.status).toBe(400);
    const { data } = (reply.body as ErrorBody).error.json;
    expect(data).toMatchObject({ code: "BAD_REQUEST", reason: "INVALID_INPUT" });
    expect(Object.keys(data.fieldErrors ?? {})).toContain(field);
  });

  it("refuses the same in leaderboard.me and an unknown window in leaderboard.live", async () => {
    const player = await signedUpPlayer("win_inputs");
    const me = await callTrpc(`leaderboard.me${query({ window: "week", period: "2026-11-30" })}`, context(sessionFor(player)));
    expect(me.status).toBe(400);
    expect((me.body as ErrorBody).error.json.data.reason).toBe("INVALID_INPUT");
    const caller = createCaller(context());
    await expect(caller.leaderboard.live({ window: "year" as never })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });

  it("leaves reads of a named period to tRPC, and carries the window of the board's own requests", () => {
    const url = (path: string, input: unknown) => new URL(`http://localhost/api/trpc/${path}${query(input)}`);
    expect(parseTopRequest(url("leaderboard.top", { window: "day", limit: 5 }))).toEqual({ limit: 5, window: "day", batch: false });
    expect(parseTopRequest(url("leaderboard.top", {}))).toEqual({ limit: 10, window: "all", batch: false });
    expect(parseTopRequest(url("leaderboard.top", { window: "day", period: "2026-11-29" }))).toBeNull();
    expect(parseTopRequest(url("leaderboard.top", { window: "fortnight" }))).toBeNull();
    expect(parseLiveRequest(url("leaderboard.live", { window: "week" }), "2026-W49:12")).toEqual({ limit: 10, window: "week", lastEventId: "2026-W49:12" });
  });
});

describe("boards per window", () => {
  it("answers the current day, week and all-time boards, a finished day by name, and my standing in each", async () => {
    const [admin, player] = [await rootAdmin(), await signedUpPlayer("win_player")];
    const adjusted = await adjustScore(scoreDeps, { actorId: admin.id, userId: player.id, delta: 35, reason: "windows over HTTP", ip: null, userAgent: null });
    expect(adjusted.ok).toBe(true);
    const now = Date.now();
    for (const window of ["day", "week"] as const) {
      const period = periodAt(window, now);
      const reply = await callTrpc(`leaderboard.top${query({ window, limit: 100 })}`, context());
      expect(reply.status).toBe(200);
      const board = superjson.deserialize<{ window: string; period: string; resetsAt: Date; entries: { displayName: string; score: number }[] }>(
        (reply.body as { result: { data: never } }).result.data,
      );
      expect(board).toMatchObject({ window, period: period.name, resetsAt: period.resetsAt });
      expect(board.entries).toContainEqual(expect.objectContaining({ displayName: "win_player", score: 35 }));
    }
    const allTime = (await callTrpc(`leaderboard.top${query({ limit: 100 })}`, context())).body as BoardBody;
    expect(allTime.result.data.json).toMatchObject({ window: "all", period: null });

    // Yesterday was a finished day with nothing of ours in it.
    const yesterday = periodAt("day", now - 86_400_000);
    const finished = (await callTrpc(`leaderboard.top${query({ window: "day", period: yesterday.name })}`, context())).body as BoardBody;
    expect(finished.result.data.json).toMatchObject({ window: "day", period: yesterday.name });
    expect(finished.result.data.json.entries.map((entry) => entry.displayName)).not.toContain("win_player");

    const caller = createCaller(context(sessionFor(player)));
    expect(await caller.leaderboard.me({ window: "day" })).toMatchObject({ score: 35, rank: expect.any(Number) });
    expect(await caller.leaderboard.me({ window: "day", period: yesterday.name })).toMatchObject({ score: 0, rank: null });
    expect(await caller.leaderboard.me()).toMatchObject({ score: 35 });
  });

  it("names each live snapshot of a day or week by its period and version, so a resumed stream knows which board it had", async () => {
    const caller = createCaller(context());
    const stream = (await caller.leaderboard.live({ window: "week", limit: 3 }))[Symbol.asyncIterator]();
    try {
      const first = await stream.next();
      const [id, board] = first.value as unknown as [string, { version: number; period: string }];
      expect(board.period).toBe(periodAt("week", Date.now()).name);
      expect(id).toBe(boardEventId(board));
      expect(id).toMatch(/^\d{4}-W\d{2}:\d+$/);
    } finally {
      await stream.return?.();
    }
  });
});
