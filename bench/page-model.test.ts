import superjson from "superjson";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import { browserCall } from "../test/support/wire";
import { couldMoveMe, refreshPath, StandingRefresh, type FrameEntry } from "./page-model";

const frame = (...entries: [string, number][]): FrameEntry[] => entries.map(([userId, score]) => ({ userId, score }));

describe("a frame that could move the viewer (the page's rule)", () => {
  const me = { userId: "me", ranked: true, neighbours: new Set(["n1", "n2"]) };
  const before = frame(["a", 900], ["b", 800], ["c", 700]);

  it("the first frame of a stream is the board as loaded, not a change", () => {
    expect(couldMoveMe(null, before, me)).toBe(false);
  });

  it("a player new on the top, or one gone from it, could move me; scores changing among players above me cannot", () => {
    expect(couldMoveMe(before, frame(["d", 950], ["a", 900], ["b", 800]), me)).toBe(true);
    expect(couldMoveMe(before, frame(["a", 900], ["b", 800]), me)).toBe(true);
    expect(couldMoveMe(before, frame(["b", 1000], ["a", 900], ["c", 700]), me)).toBe(false);
  });

  it("a neighbour's score changing on the top moves my neighbourhood", () => {
    expect(couldMoveMe(frame(["a", 900], ["n1", 600]), frame(["a", 900], ["n1", 650]), me)).toBe(true);
  });

  it("joining or leaving the top: yes; staying on it: no (the frame says my standing)", () => {
    expect(couldMoveMe(before, frame(["me", 1000], ["a", 900], ["b", 800]), me)).toBe(true);
    expect(couldMoveMe(frame(["me", 1000], ["a", 900]), frame(["d", 1100], ["a", 900]), me)).toBe(true);
    expect(couldMoveMe(frame(["me", 1000], ["a", 900]), frame(["d", 1100], ["me", 1000]), me)).toBe(false);
  });

  it("a viewer without a rank, on neither frame, has nothing to read", () => {
    expect(couldMoveMe(before, frame(["d", 950], ["a", 900], ["b", 800]), { ...me, ranked: false })).toBe(false);
  });
});

describe("the refresh's GET", () => {
  it("is the browser's batch: one call as browserCall sends it, two calls in one request in order", () => {
    expect(refreshPath(true)).toBe(browserCall("leaderboard.me", { window: "all" }).queryPath);
    const both = new URL(refreshPath(false), "http://localhost");
    expect(both.pathname).toBe("/api/trpc/leaderboard.me,leaderboard.around");
    expect(both.searchParams.get("batch")).toBe("1");
    const inputs = JSON.parse(both.searchParams.get("input")!) as Record<string, Parameters<typeof superjson.deserialize>[0]>;
    expect(Object.keys(inputs)).toEqual(["0", "1"]);
    expect(superjson.deserialize(inputs["1"]!)).toEqual({ window: "all" });
  });
});

describe("the page's refresh schedule", () => {
  let clock = 0;
  const started: { at: number; reason: string }[] = [];
  const inFlight: (() => void)[] = [];
  /** Each read stays in flight until `answer()`. */
  const make = (firstAllowedAt = 0) =>
    new StandingRefresh(
      (reason) => {
        started.push({ at: clock, reason });
        return new Promise<void>((resolve) => inFlight.push(resolve));
      },
      { intervalMs: 2_000, firstAllowedAt, now: () => clock },
    );
  const advance = async (ms: number) => {
    clock += ms;
    await vi.advanceTimersByTimeAsync(ms);
  };
  const answer = async () => {
    inFlight.shift()!();
    await vi.advanceTimersByTimeAsync(0);
  };

  beforeEach(() => {
    vi.useFakeTimers();
    clock = 0;
    started.length = 0;
    inFlight.length = 0;
  });
  afterEach(() => vi.useRealTimers());

  it("frames every 50 ms give one read per 2 s, the first at once", async () => {
    const refresh = make();
    for (let t = 0; t < 6_000; t += 50) {
      refresh.changed();
      await advance(50);
      if (inFlight.length > 0 && clock % 1_000 === 100) await answer();
    }
    expect(started.map((start) => start.at)).toEqual([0, 2_000, 4_000, 6_000]);
  });

  it("waits for its own phase; frames inside the interval make one read at its end", async () => {
    const refresh = make(700);
    refresh.changed();
    refresh.changed();
    expect(started).toEqual([]);
    await advance(700);
    expect(started).toEqual([{ at: 700, reason: "frame" }]);
    await answer();
    refresh.changed();
    await advance(1_000);
    refresh.changed();
    await advance(999);
    expect(started).toHaveLength(1);
    await advance(1);
    expect(started.map((start) => start.at)).toEqual([700, 2_700]);
  });

  it("a refresh while the answer is on its way sends nothing, and counts for the interval", async () => {
    const refresh = make();
    refresh.changed();
    await advance(2_500);
    refresh.changed();
    expect(started).toHaveLength(1);
    expect(refresh.skipped).toBe(1);
    await answer();
    refresh.changed();
    await advance(1_999);
    expect(started).toHaveLength(1);
    await advance(1);
    expect(started.map((start) => start.at)).toEqual([0, 4_500]);
  });

  it("an own submit reads at once, drops the read waiting and restarts the interval", async () => {
    const refresh = make();
    refresh.changed();
    await answer();
    await advance(500);
    refresh.changed();
    refresh.ownSubmit();
    expect(started.map((start) => `${start.reason}@${start.at}`)).toEqual(["frame@0", "submit@500"]);
    await answer();
    await advance(1_500);
    expect(started).toHaveLength(2);
    refresh.changed();
    await advance(499);
    expect(started).toHaveLength(2);
    await advance(1);
    expect(started.map((start) => `${start.reason}@${start.at}`)).toEqual(["frame@0", "submit@500", "frame@2500"]);
  });

  it("a read that failed has ended: the next refresh reads again", async () => {
    let calls = 0;
    const refresh = new StandingRefresh(
      () => {
        calls += 1;
        return Promise.reject(new Error("HTTP 503"));
      },
      { intervalMs: 2_000, firstAllowedAt: 0, now: () => clock },
    );
    refresh.changed();
    await advance(0);
    refresh.changed();
    await advance(2_000);
    expect(calls).toBe(2);
    expect(refresh.skipped).toBe(0);
    await refresh.stop();
  });

  it("stop: nothing is read after it, and it waits for the answer on its way", async () => {
    const refresh = make();
    refresh.changed();
    let stopped = false;
    const stopping = refresh.stop().then(() => (stopped = true));
    refresh.changed();
    refresh.ownSubmit();
    await advance(0);
    expect(stopped).toBe(false);
    await answer();
    await stopping;
    await advance(5_000);
    expect(started).toHaveLength(1);
  });
});
