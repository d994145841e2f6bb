/**
 * What just happened on the board, read from two consecutive frames of it (the live stream's
 * snapshots, or the board re-read while the stream is down) and from the player's neighbourhood:
 * nothing here asks the server. Plain functions, no React; ./what-just-happened.tsx and
 * ./use-standing-sync.ts put them on the page.
 */
import type { BoardWindow } from "~/lib/board-windows";
import { percentileOf } from "~/lib/percentile";

export type RankedEntry = { rank: number; userId: string; displayName: string; score: number };
export type Frame = { window: BoardWindow; period: string | null; entries: readonly RankedEntry[] };

/** Two frames of the same board: same window, same day or week. Anything else (another tab, a new period) is not a change. */
export function sameBoard(a: Pick<Frame, "window" | "period">, b: Pick<Frame, "window" | "period">) {
  return a.window === b.window && a.period === b.period;
}

export function boardScope(frame: Pick<Frame, "window" | "period">) {
  return `${frame.window}:${frame.period ?? ""}`;
}

export type BoardChange =
  | { kind: "score"; userId: string; displayName: string; delta: number; rank: number }
  | { kind: "entered"; userId: string; displayName: string; rank: number }
  | { kind: "left"; userId: string; displayName: string };

/**
 * The changes from `before` to `after`, best rank first: scores that changed ("zoe +25 → #1"),
 * players new on the shown board, players no longer on it. Ranks that moved only because of
 * others are not changes of their own.
 */
export function frameChanges(before: Frame, after: Frame): BoardChange[] {
  if (!sameBoard(before, after)) return [];
  const previous = new Map(before.entries.map((entry) => [entry.userId, entry]));
  const now = new Set(after.entries.map((entry) => entry.userId));
  const changes: BoardChange[] = [];
  for (const entry of after.entries) {
    const old = previous.get(entry.userId);
    if (!old) changes.push({ kind: "entered", userId: entry.userId, displayName: entry.displayName, rank: entry.rank });
    else if (old.score !== entry.score) {
      changes.push({ kind: "score", userId: entry.userId, displayName: entry.displayName, delta: entry.score - old.score, rank: entry.rank });
    }
  }
  for (const old of before.entries) {
    if (!now.has(old.userId)) changes.push({ kind: "left", userId: old.userId, displayName: old.displayName });
  }
  return changes;
}

/** Where I am on a frame: my entry, or null; and whether I was on the one before. */
export function myPlace(frame: Frame, userId: string) {
  return frame.entries.find((entry) => entry.userId === userId) ?? null;
}

/**
 * The most points one player plausibly gains between two consecutive frames: two of the best
 * action (`actionPoints`, what each action is worth: src/server/scoring/rules.ts, handed to the
 * page by src/app/page.tsx). A bound for ordinary play only: frames come as scores change (every
 * 5 s while the page polls), and an action takes seconds. A larger jump (an administrator's
 * adjustment, a burst of submits saved up, a long gap while the stream was down) can bring a
 * player from below me into the top unseen by couldMoveMe: my next refresh shows it (after my own
 * submit, or the idle one: ./board-queries.ts STANDING_IDLE_REFRESH_MS).
 */
export function frameReach(actionPoints: readonly number[]): number {
  return 2 * Math.max(...actionPoints);
}

/** What the page knows of me beside the frames: my score (my last `me` or `around`) and my neighbours (my last `around`). */
export type MyStandingView = { userId: string; score: number; neighbours: ReadonlySet<string> };

/**
 * Whether a change from `before` to `after` could move my rank or my neighbourhood. A frame is the
 * top of the board only, and my rank changes only when someone crosses my score:
 * - on both frames: no (the frame says my standing itself); joining or leaving the top: yes;
 * - a player new on the top came from below me only if they gained at least the points between
 *   us; gaining more than `reach` between two frames is beyond ordinary play (frameReach), so a
 *   newcomer more than `reach` above my score was above me already: no; within it: yes;
 * - a player gone from the top: no. Pushed off, they are still above me; removed (banned,
 *   hidden), I move up by one, which the idle refresh shows;
 * - one of my neighbours on the top whose score changed, or who is new on it: yes (my
 *   neighbourhood as shown is out of date);
 * - scores changing among players who stay above me: no.
 */
export function couldMoveMe(before: Frame, after: Frame, me: MyStandingView, reach: number): boolean {
  if (!sameBoard(before, after)) return false;
  const wasOn = myPlace(before, me.userId) !== null;
  const isOn = myPlace(after, me.userId) !== null;
  if (wasOn && isOn) return false;
  if (wasOn !== isOn) return true;
  const previous = new Map(before.entries.map((entry) => [entry.userId, entry.score]));
  return after.entries.some((entry) => {
    const score = previous.get(entry.userId);
    if (me.neighbours.has(entry.userId) && score !== entry.score) return true;
    return score === undefined && entry.score - me.score <= reach;
  });
}

/**
 * Whether the page reads my neighbourhood (`leaderboard.around`) again after a frame: when the
 * frame could move me (couldMoveMe), unless it shows me (then it says my rank and score, and the
 * page has no neighbourhood to show). A player without a rank (hidden, or no points in the
 * period) has nothing a frame could move, unless the frame before showed them (the rank they had
 * is news to `me`). bench/page-model.ts holds the benchmark's viewers to this same rule.
 */
export function readsAfterFrame(before: Frame, after: Frame, me: MyStandingView & { ranked: boolean }, reach: number): boolean {
  if (myPlace(after, me.userId) !== null) return false;
  if (!me.ranked && myPlace(before, me.userId) === null) return false;
  return couldMoveMe(before, after, me, reach);
}

/**
 * My standing as a neighbourhood read tells it, for `leaderboard.me` without reading it: my score
 * and rank from my entry, how many are on the board, and the percentile by the server's own
 * rounding. Null when I am not among them (hidden, or off the board): only `me` says which.
 */
export function standingFromAround(around: { entries: readonly RankedEntry[]; total: number }, userId: string) {
  const mine = around.entries.find((entry) => entry.userId === userId);
  if (!mine) return null;
  return { score: mine.score, rank: mine.rank, total: around.total, percentile: percentileOf(mine.rank, around.total) };
}

/** Players known to be above me and below me at one moment, and my score then. */
export type RelativeView = { above: readonly RankedEntry[]; below: readonly RankedEntry[]; myScore: number };

/** A ranked list that includes me (a frame I am on, my neighbourhood) as who is above and who below; null without me. */
export function viewAround(entries: readonly RankedEntry[], userId: string): RelativeView | null {
  const mine = entries.find((entry) => entry.userId === userId);
  if (!mine) return null;
  return {
    above: entries.filter((entry) => entry.rank < mine.rank),
    below: entries.filter((entry) => entry.rank > mine.rank),
    myScore: mine.score,
  };
}

/** A repeat of the same pass (a late answer seen after a fresher one) is not announced again within this time. */
const SAME_PASS_MS = 10_000;

/**
 * Who passed me: players I saw below me who are now above me with more points than I had. Fed
 * views of one board (`scope`) from wherever they come (frames, my neighbourhood); a new scope
 * (another tab, a new day or week) starts over without announcing anything. A player counts once
 * per pass: a late, older view showing them below me again does not make the next one a new pass.
 */
export function createPassWatch() {
  let scope: string | null = null;
  const relation = new Map<string, "above" | "below">();
  const announced = new Map<string, { myScore: number; at: number }>();

  return {
    observe(viewScope: string, view: RelativeView, now: number): RankedEntry[] {
      if (viewScope !== scope) {
        scope = viewScope;
        relation.clear();
        announced.clear();
      }
      const passed: RankedEntry[] = [];
      for (const entry of view.above) {
        if (relation.get(entry.userId) === "below" && entry.score > view.myScore) {
          const last = announced.get(entry.userId);
          const repeat = last !== undefined && (last.myScore === view.myScore || now - last.at < SAME_PASS_MS);
          if (!repeat) {
            passed.push(entry);
            announced.set(entry.userId, { myScore: view.myScore, at: now });
          }
        }
        relation.set(entry.userId, "above");
      }
      for (const entry of view.below) relation.set(entry.userId, "below");
      return passed;
    },
  };
}
