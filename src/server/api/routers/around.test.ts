/**
 * leaderboard.around and me's player count over tRPC's HTTP handler, with the app's real services:
 * signed-in only, inputs refused as the spec says, and the answer's shape.
 */
import superjson from "superjson";
import { describe, expect, it } from "vitest";

import { signUp } from "~/server/auth/accounts";
import { services } from "~/server/composition-root";
import { adjustScore } from "~/server/scoring/score-service";
import { callTrpc } from "../../../../test/support/trpc-http";
import { rootAdmin, sessionFor, TEST_PASSWORD } from "../../../../test/support/users";
import { contextServices, type Context } from "../trpc";

const { db, scoreDeps } = services;

const context = (session: Context["session"] = null): Context => ({ ...contextServices(), session, headers: new Headers() });
const query = (input: unknown) => `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
type ErrorData = { code: string; reason: string; fieldErrors?: Record<string, string[]> };

async function player(name: string, score: number) {
  const result = await signUp(db, { username: name, password: TEST_PASSWORD });
  if (!result.ok) throw new Error(`sign-up failed: ${result.reason}`);
  const adjusted = await adjustScore(scoreDeps, { actorId: (await rootAdmin()).id, userId: result.user.id, delta: score, reason: "around over HTTP", ip: null, userAgent: null });
  expect(adjusted.ok).toBe(true);
  return result.user;
}

/** The player who sends the refused inputs: signed up by the first test that needs them. */
let asker: ReturnType<typeof player> | undefined;

describe("leaderboard.around over HTTP", () => {
  it("refuses a signed-out caller with 401 UNAUTHENTICATED", async () => {
    const reply = await callTrpc(`leaderboard.around${query({})}`, context());
    expect(reply.status).toBe(401);
    expect((reply.body as { error: { json: { data: ErrorData } } }).error.json.data.reason).toBe("UNAUTHENTICATED");
  });

  it.each([
    ["a radius of 0", { radius: 0 }, "radius"],
    ["a radius over 10", { radius: 11 }, "radius"],
    ["a radius that is not an integer", { radius: 1.5 }, "radius"],
    ["an unknown window", { window: "year" }, "window"],
    ["a user id (nobody asks about someone else)", { userId: "00000000-0000-0000-0000-000000000000" }, ""],
  ])("refuses %s with 400 INVALID_INPUT", async (_, input, field) => {
    const me = await (asker ??= player("around_asker", 1));
    const reply = await callTrpc(`leaderboard.around${query(input)}`, context(sessionFor(me)));
    expect(reply.status).toBe(400);
    const data = (reply.body as { error: { json: { data: ErrorData } } }).error.json.data;
    expect(data).toMatchObject({ code: "BAD_REQUEST", reason: "INVALID_INPUT" });
    if (field) expect(Object.keys(data.fieldErrors ?? {})).toContain(field);
  });

  it("answers my neighbours with their ranks, me included, and the number of players; me gains total and percentile", async () => {
    const me = await player("around_me", 1_000_003);
    const reply = await callTrpc(`leaderboard.around${query({ radius: 1, window: "day" })}`, context(sessionFor(me)));
    expect(reply.status).toBe(200);
    const around = superjson.deserialize<{ entries: { rank: number; userId: string; score: number }[]; total: number }>((reply.body as { result: { data: never } }).result.data);
    const mine = around.entries.find((entry) => entry.userId === me.id);
    expect(mine).toMatchObject({ rank: 1, score: 1_000_003 });
    expect(around.entries.map((entry) => entry.rank)).toEqual(around.entries.map((_, index) => index + 1));
    expect(around.total).toBeGreaterThanOrEqual(around.entries.length);
    const standing = await callTrpc(`leaderboard.me${query({ window: "day" })}`, context(sessionFor(me)));
    expect((standing.body as { result: { data: { json: unknown } } }).result.data.json).toMatchObject({ rank: 1, total: around.total, percentile: expect.any(Number) });
  });
});
