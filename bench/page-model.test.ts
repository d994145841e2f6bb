import superjson from "superjson";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

import type { Frame } from "../src/app/_components/board-changes";
import { ACTION_RULES } from "../src/server/scoring/rules";
import { browserCall } from "../test/support/wire";
import { FRAME_REACH, frameCallsForRead, readFor, refreshPath, StandingRefresh, type StandingRead } from "./page-model";

/** A frame of all time's board from [userId, score] pairs, best first. */
const frame = (...rows: [string, number][]): Frame => ({
  window: "all",
  period: null,
  entries: rows.map(([userId, score], index) => ({ rank: index + 1, userId, displayName: userId, score })),
});

describe("a frame that calls for a read (the page's own rule)", () => {
  /** A viewer below the top with 600 points, n1 and n2 its neighbours. */
  const me = { userId: "me", score: 600, ranked: true, neighbours: new Set(["n1", "n2"]) };
  const before = frame(["a", 900], ["b", 800], ["c", 700]);

  it("the first frame of a stream is the board as loaded, not a change", () => {
    expect(frameCallsForRead(null, before, me)).toBe(false);
  });

  it("reaches as far as the page's: two of the best action", () => {
    expect(FRAME_REACH).toBe(2 * Math.max(...Object.values(ACTION_RULES).map((rule) => rule.delta)));
  });

  it("a player new on the top within a frame's reach of the viewer's score: yes; far above it: no; one gone from it: no", () => {
    expect(frameCallsForRead(before, frame(["a", 900], ["b", 800], ["d", 600 + FRAME_REACH]), me)).toBe(true);
    expect(frameCallsForRead(before, frame(["d", 950], ["a", 900], ["b", 800]), me)).toBe(false);
    expect(frameCallsForRead(before, frame(["a", 900], ["b", 800]), me)).toBe(false);
    expect(frameCallsForRead(before, frame(["b", 1000], ["a", 900], ["c", 700]), me)).toBe(false);
  });

  it("follows the viewer's score: the same newcomer is within reach of a viewer closer to it", () => {
    const entrant = frame(["a", 900], ["b", 800], ["d", 750]);
    expect(frameCallsForRead(before, entrant, me)).toBe(false);
    expect(frameCallsForRead(before, entrant, { ...me, score: 700 })).toBe(true);
  });

  it("a neighbour's score changing on the top moves my neighbourhood", () => {
    expect(frameCallsForRead(frame(["a", 900], ["n1", 600]), frame(["a", 900], ["n1", 650]), me)).toBe(true);
  });

  it("leaving the top: yes; joining it or staying on it: no (the frame says my standing)", () => {
    expect(frameCallsForRead(frame(["me", 1000], ["a", 900]), frame(["d", 1100], ["a", 900]), me)).toBe(true);
    expect(frameCallsForRead(before, frame(["me", 1000], ["a", 900], ["b", 800]), me)).toBe(false);
    expect(frameCallsForRead(frame(["me", 1000], ["a", 900]), frame(["d", 1100], ["me", 1000]), me)).toBe(false);
  });

  it("a viewer without a rank, on neither frame, has nothing to read", () => {
    expect(frameCallsForRead(before, frame(["a", 900], ["b", 800], ["d", 650]), { ...me, ranked: false })).toBe(false);
  });
});

describe("what a refresh reads, and its GET", () => {
  it("after the viewer's own submit both (me alone on the top); after a frame or idle, around alone; nothing on the top", () => {
    const below = { onTop: false, ranked: true };
    const onTop = { onTop: true, ranked: true };
    expect(readFor("submit", below)).toBe("me+around");
    expect(readFor("submit", onTop)).toBe("me");
    expect(readFor("frame", below)).toBe("around");
    expect(readFor("idle", below)).toBe("around");
    expect(readFor("frame", onTop)).toBeNull();
    expect(readFor("idle", onTop)).toBeNull();
    expect(readFor("idle", { onTop: false, ranked: false })).toBeNull();
  });

  it("is the browser's batch: one call as browserCall sends it, two calls in one request in order", () => {
    expect(refreshPath("me")).toBe(browserCall("leaderboard.me", { window: "all" }).queryPath);
    expect(refreshPath("around")).toBe(browserCall("leaderboard.around", { window: "all" }).queryPath);
    const both = new URL(refreshPath("me+around"), "http://localhost");
    expect(both.pathname).toBe("/api/trpc/leaderboard.me,leaderboard.around");
    expect(both.searchParams.get("batch")).toBe("1");
    const inputs = JSON.parse(both.searchParams.get("input")!) as Record<string, Parameters<typeof superjson.deserialize>[0]>;
    expect(Object.keys(inputs)).toEqual(["0", "1"]);
    expect(superjson.deserialize(inputs["1"]!)).toEqual({ window: "all" });
  });
});

describe("the page's refresh schedule", () => {
  let clock = 0;
  let onTop = false;
  const started: { at: number; reason: string; read: StandingRead }[] = [];
  const inFlight: { resolve: () => void; signal: AbortSignal }[] = [];
  /** Each read stays in flight until `answer()`; on the top shown, a frame's or idle refresh reads nothing. */
  const make = (options: { firstAllowedAt?: number; firstIdleAt?: number } = {}) =>
    new StandingRefresh(
      (reason) => readFor(reason, { onTop, ranked: true }),
      (read, reason, signal) => {
        started.push({ at: clock, reason, read });
        return new Promise<void>((resolve, reject) => {
          inFlight.push({ resolve, signal });
          signal.addEventListener("abort", () => reject(new Error("aborted")));
        });
      },
      { intervalMs: 2_000, idleMs: 60_000, firstAllowedAt: 0, now: () => clock, ...options },
    );
  const advance = async (ms: number) => {
    clock += ms;
    await vi.advanceTimersByTimeAsync(ms);
  };
  const answer = async () => {
    inFlight.shift()!.resolve();
    await vi.advanceTimersByTimeAsync(0);
  };
  const sent = () => started.map((start) => `${start.reason}:${start.read}@${start.at}`);

  beforeEach(() => {
    vi.useFakeTimers();
    clock = 0;
    onTop = false;
    started.length = 0;
    inFlight.length = 0;
  });
  afterEach(() => vi.useRealTimers());

  it("frames every 50 ms give one read of the neighbourhood per 2 s, the first at once", async () => {
    const refresh = make();
    for (let t = 0; t < 6_000; t += 50) {
      refresh.changed();
      await advance(50);
      if (inFlight.length > 0 && clock % 1_000 === 100) await answer();
    }
    expect(sent()).toEqual(["frame:around@0", "frame:around@2000", "frame:around@4000", "frame:around@6000"]);
  });

  it("waits for its own phase; frames inside the interval make one read at its end", async () => {
    const refresh = make({ firstAllowedAt: 700 });
    refresh.changed();
    refresh.changed();
    expect(started).toEqual([]);
    await advance(700);
    expect(sent()).toEqual(["frame:around@700"]);
    await answer();
    refresh.changed();
    await advance(1_000);
    refresh.changed();
    await advance(999);
    expect(started).toHaveLength(1);
    await advance(1);
    expect(sent()).toEqual(["frame:around@700", "frame:around@2700"]);
  });

  it("a refresh after a frame while the answer is on its way sends nothing, and counts for the interval", async () => {
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
    expect(sent()).toEqual(["frame:around@0", "frame:around@4500"]);
  });

  it("an own submit reads both at once, drops the read waiting and restarts the interval", async () => {
    const refresh = make();
    refresh.changed();
    await answer();
    await advance(500);
    refresh.changed();
    refresh.ownSubmit();
    expect(sent()).toEqual(["frame:around@0", "submit:me+around@500"]);
    await answer();
    await advance(1_500);
    expect(started).toHaveLength(2);
    refresh.changed();
    await advance(499);
    expect(started).toHaveLength(2);
    await advance(1);
    expect(sent()).toEqual(["frame:around@0", "submit:me+around@500", "frame:around@2500"]);
  });

  it("an own submit cancels the answer on its way (it may be from before the submit) and reads anew", async () => {
    const refresh = make();
    refresh.changed();
    const first = inFlight[0]!;
    refresh.ownSubmit();
    expect(first.signal.aborted).toBe(true);
    expect(refresh.cancelled).toBe(1);
    expect(sent()).toEqual(["frame:around@0", "submit:me+around@0"]);
  });

  it("on the top shown, a frame's refresh reads nothing and does not restart the interval; an own submit reads me alone", async () => {
    const refresh = make();
    onTop = true;
    refresh.changed();
    expect(started).toEqual([]);
    refresh.ownSubmit();
    await answer();
    onTop = false;
    await advance(1_000);
    refresh.changed();
    await advance(1_000);
    expect(sent()).toEqual(["submit:me@0", "frame:around@2000"]);
  });

  it("the idle refresh: in its own phase, then a minute after the last refresh of any kind; on the top it reads nothing and looks again a minute later", async () => {
    const refresh = make({ firstIdleAt: 10_000 });
    await advance(10_000);
    expect(sent()).toEqual(["idle:around@10000"]);
    await answer();
    await advance(30_000);
    refresh.changed();
    await answer();
    await advance(59_999);
    expect(started).toHaveLength(2);
    await advance(1);
    expect(sent()).toEqual(["idle:around@10000", "frame:around@40000", "idle:around@100000"]);
    await answer();
    onTop = true;
    await advance(60_000);
    expect(started).toHaveLength(3);
    onTop = false;
    await advance(59_999);
    expect(started).toHaveLength(3);
    await advance(1);
    expect(sent().at(-1)).toBe("idle:around@220000");
    await answer();
    await refresh.stop();
  });

  it("a read that failed has ended: the next refresh reads again", async () => {
    let calls = 0;
    const refresh = new StandingRefresh(
      () => "around",
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
    await advance(120_000);
    expect(started).toHaveLength(1);
  });
});
