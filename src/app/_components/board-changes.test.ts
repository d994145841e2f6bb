/**
 * What the page reads from consecutive frames: the changes it lists, whether my standing is worth
 * reading again (and my standing from my neighbourhood), and who passed me.
 */
import { describe, expect, it } from "vitest";

import { ACTION_RULES } from "~/server/scoring/rules";
import { couldMoveMe, createPassWatch, frameChanges, frameReach, readsAfterFrame, standingFromAround, viewAround, type Frame, type RankedEntry } from "./board-changes";

/** A frame of all time's board from [name, score] pairs, best first; user ids are the names. */
function frame(rows: [string, number][], window: Frame["window"] = "all", period: string | null = null): Frame {
  return { window, period, entries: rows.map(([name, score], index) => entry(name, score, index + 1)) };
}

function entry(name: string, score: number, rank: number): RankedEntry {
  return { rank, userId: name, displayName: name, score };
}

describe("frameChanges", () => {
  it("lists changed scores with their new rank, players new on the board and players gone, best rank first", () => {
    const before = frame([["ann", 100], ["bob", 90], ["cat", 80], ["dan", 70]]);
    const after = frame([["zoe", 120], ["bob", 115], ["ann", 100], ["cat", 60]]);
    expect(frameChanges(before, after)).toEqual([
      { kind: "entered", userId: "zoe", displayName: "zoe", rank: 1 },
      { kind: "score", userId: "bob", displayName: "bob", delta: 25, rank: 2 },
      { kind: "score", userId: "cat", displayName: "cat", delta: -20, rank: 4 },
      { kind: "left", userId: "dan", displayName: "dan" },
    ]);
  });

  it("says nothing across tabs or periods, or when only ranks moved", () => {
    const today = frame([["ann", 10]], "day", "2026-05-01");
    expect(frameChanges(today, frame([["ann", 20]], "day", "2026-05-02"))).toEqual([]);
    expect(frameChanges(today, frame([["ann", 20]], "week", "2026-W18"))).toEqual([]);
    expect(frameChanges(frame([["ann", 10], ["bob", 5]]), frame([["ann", 10], ["bob", 5]]))).toEqual([]);
  });
});

describe("frameReach", () => {
  it("is two of the best action: the page's bound, from the server's rules (two daily bonuses)", () => {
    expect(frameReach(Object.values(ACTION_RULES).map((rule) => rule.delta))).toBe(100);
    expect(frameReach([10, 25])).toBe(50);
  });
});

describe("couldMoveMe", () => {
  const reach = 100;
  /** Me with 50 points; jim is one of my neighbours. */
  const me = { userId: "me", score: 50, neighbours: new Set(["jim"]) };
  const top = frame([["ann", 500], ["bob", 300], ["cat", 200]]);

  it("is false while I stay on the shown board, and while players above me only trade points", () => {
    expect(couldMoveMe(frame([["ann", 10], ["me", 5]]), frame([["me", 50], ["ann", 10]]), me, reach)).toBe(false);
    expect(couldMoveMe(top, frame([["bob", 600], ["ann", 500], ["cat", 200]]), me, reach)).toBe(false);
  });

  it("is true when I join or leave the board", () => {
    expect(couldMoveMe(frame([["ann", 10]]), frame([["me", 20], ["ann", 10]]), me, reach)).toBe(true);
    expect(couldMoveMe(frame([["me", 20]]), frame([["ann", 30]]), me, reach)).toBe(true);
  });

  it("is true for a player new on the board within a frame's reach of my score: they may have come from below me", () => {
    const board = frame([["ann", 100], ["bob", 90]]);
    expect(couldMoveMe(board, frame([["ann", 100], ["zoe", 95]]), me, reach)).toBe(true);
    // At the bound itself too.
    expect(couldMoveMe(board, frame([["ann", 150], ["zoe", 150]]), me, reach)).toBe(true);
  });

  it("is false for a player new on the board far above me: more than a frame brings, so they were above me already", () => {
    expect(couldMoveMe(top, frame([["zoe", 900], ["ann", 500], ["bob", 300]]), me, reach)).toBe(false);
    expect(couldMoveMe(frame([["ann", 100], ["bob", 90]]), frame([["ann", 151], ["zoe", 151]]), me, reach)).toBe(false);
  });

  it("is false for a player gone from the board: pushed off, still above me; removed, the idle refresh shows it", () => {
    expect(couldMoveMe(top, frame([["ann", 500], ["bob", 300]]), me, reach)).toBe(false);
    expect(couldMoveMe(top, frame([["ann", 500], ["cat", 200]]), me, reach)).toBe(false);
  });

  it("is true when one of my neighbours on the board changes score, or is new on it", () => {
    expect(couldMoveMe(frame([["ann", 500], ["jim", 90]]), frame([["ann", 500], ["jim", 95]]), me, reach)).toBe(true);
    expect(couldMoveMe(frame([["ann", 500], ["bob", 300]]), frame([["ann", 500], ["jim", 400]]), me, reach)).toBe(true);
    expect(couldMoveMe(frame([["ann", 500], ["jim", 90]]), frame([["ann", 510], ["jim", 90]]), me, reach)).toBe(false);
  });

  it("is false across tabs and periods (those are read again on their own)", () => {
    expect(couldMoveMe(frame([["ann", 1]], "day", "2026-05-01"), frame([["zoe", 1]], "day", "2026-05-02"), me, reach)).toBe(false);
  });
});

describe("readsAfterFrame", () => {
  const reach = 100;
  const me = { userId: "me", score: 50, ranked: true, neighbours: new Set<string>() };
  const board = frame([["ann", 100], ["bob", 90]]);
  const entrant = frame([["ann", 100], ["zoe", 95]]);

  it("reads my neighbourhood after a frame that could move me and does not show me", () => {
    expect(readsAfterFrame(board, entrant, me, reach)).toBe(true);
    expect(readsAfterFrame(frame([["me", 120], ["ann", 100]]), board, me, reach)).toBe(true);
    expect(readsAfterFrame(board, frame([["ann", 130], ["bob", 90]]), me, reach)).toBe(false);
  });

  it("reads nothing while the frame shows me: it says my rank and score", () => {
    expect(readsAfterFrame(board, frame([["me", 120], ["ann", 100]]), me, reach)).toBe(false);
    expect(readsAfterFrame(frame([["me", 120], ["ann", 100]]), frame([["ann", 130], ["me", 120]]), me, reach)).toBe(false);
  });

  it("reads nothing for a player without a rank, unless the frame before showed them", () => {
    const unranked = { ...me, ranked: false };
    expect(readsAfterFrame(board, entrant, unranked, reach)).toBe(false);
    expect(readsAfterFrame(frame([["me", 120], ["ann", 100]]), board, unranked, reach)).toBe(true);
  });
});

describe("standingFromAround", () => {
  it("is my score, rank, the board's total and my percentile, rounded up as the server rounds it", () => {
    const around = { entries: [entry("grace", 1_239, 152), entry("me", 1_200, 153), entry("low", 1_000, 154)], total: 2_104 };
    expect(standingFromAround(around, "me")).toEqual({ score: 1_200, rank: 153, total: 2_104, percentile: 8 });
  });

  it("is null when I am not among them (hidden, or off the board)", () => {
    expect(standingFromAround({ entries: [], total: 40 }, "me")).toBeNull();
  });
});

describe("createPassWatch", () => {
  const scope = "all:";

  it("names a player seen below me who is now above me with more points, once", () => {
    const watch = createPassWatch();
    expect(watch.observe(scope, viewAround(frame([["ann", 100], ["me", 50], ["bob", 40]]).entries, "me")!, 0)).toEqual([]);
    const passed = watch.observe(scope, viewAround(frame([["ann", 100], ["bob", 60], ["me", 50]]).entries, "me")!, 1_000);
    expect(passed.map((player) => player.userId)).toEqual(["bob"]);
    // The same pass seen again (a later read, or an older one in between) is not news.
    watch.observe(scope, viewAround(frame([["ann", 100], ["me", 50], ["bob", 40]]).entries, "me")!, 2_000);
    expect(watch.observe(scope, viewAround(frame([["ann", 100], ["bob", 60], ["me", 50]]).entries, "me")!, 3_000)).toEqual([]);
  });

  it("counts a player who reaches the top while I am below it, when I saw them below me", () => {
    const watch = createPassWatch();
    // My neighbourhood around #12: grace is just below me.
    watch.observe(scope, { above: [entry("kim", 70, 11)], below: [entry("grace", 55, 13)], myScore: 60 }, 0);
    // A frame of the top that does not show me: everyone on it is above me; grace is on it now.
    const passed = watch.observe(scope, { above: [entry("ann", 500, 1), entry("grace", 300, 10)], below: [], myScore: 60 }, 1_000);
    expect(passed.map((player) => player.userId)).toEqual(["grace"]);
  });

  it("does not count players who moved above me without passing my score (I was hidden, or left the board)", () => {
    const watch = createPassWatch();
    watch.observe(scope, viewAround(frame([["ann", 100], ["me", 50], ["bob", 40]]).entries, "me")!, 0);
    expect(watch.observe(scope, { above: frame([["ann", 100], ["bob", 40]]).entries, below: [], myScore: 50 }, 1_000)).toEqual([]);
  });

  it("starts over, silently, on another board", () => {
    const watch = createPassWatch();
    watch.observe("day:2026-05-01", viewAround(frame([["me", 50], ["bob", 40]]).entries, "me")!, 0);
    expect(watch.observe("day:2026-05-02", viewAround(frame([["bob", 60], ["me", 50]]).entries, "me")!, 1_000)).toEqual([]);
  });
});
