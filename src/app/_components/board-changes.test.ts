/**
 * What the page reads from consecutive frames: the changes it lists, whether my standing is worth
 * reading again, and who passed me.
 */
import { describe, expect, it } from "vitest";

import { couldMoveMe, createPassWatch, frameChanges, viewAround, type Frame, type RankedEntry } from "./board-changes";

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

describe("couldMoveMe", () => {
  const neighbours = new Set(["jim"]);

  it("is false while I stay on the shown board, and while players above me only trade points", () => {
    expect(couldMoveMe(frame([["ann", 10], ["me", 5]]), frame([["me", 50], ["ann", 10]]), "me", neighbours)).toBe(false);
    expect(couldMoveMe(frame([["ann", 100], ["bob", 90]]), frame([["bob", 120], ["ann", 100]]), "me", neighbours)).toBe(false);
  });

  it("is true when I join or leave the board, its membership changes, or a neighbour's score on it changes", () => {
    expect(couldMoveMe(frame([["ann", 10]]), frame([["me", 20], ["ann", 10]]), "me", neighbours)).toBe(true);
    expect(couldMoveMe(frame([["me", 20]]), frame([["ann", 30]]), "me", neighbours)).toBe(true);
    expect(couldMoveMe(frame([["ann", 100], ["bob", 90]]), frame([["ann", 100], ["zoe", 95]]), "me", neighbours)).toBe(true);
    expect(couldMoveMe(frame([["ann", 100], ["jim", 90]]), frame([["ann", 100], ["jim", 95]]), "me", neighbours)).toBe(true);
  });

  it("is false across tabs and periods (those are read again on their own)", () => {
    expect(couldMoveMe(frame([["ann", 1]], "day", "2026-05-01"), frame([["zoe", 1]], "day", "2026-05-02"), "me", neighbours)).toBe(false);
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
