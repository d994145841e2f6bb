/**
 * What just happened on the board, read from two consecutive frames of it (the live stream's
 * snapshots, or the board re-read while the stream is down) and from the player's neighbourhood:
 * nothing here asks the server. Plain functions, no React; ./what-just-happened.tsx and
 * ./use-standing-sync.ts put them on the page.
 */
import type { BoardWindow } from "~/lib/board-windows";

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
 * Whether a change from `before` to `after` could move my rank or my neighbourhood, for a player
 * who has a rank: then "me" and "around" are worth reading again. A frame is the top of the
 * board only. While I am on it both times, it says my standing itself (nothing to read). When I
 * join or leave it, or its membership changes (someone came up from below, maybe from below me;
 * someone left, and everyone below moved up), yes; when the score of one of my neighbours on it
 * changes, yes. Scores changing among players who stay above me move nothing of mine.
 */
export function couldMoveMe(before: Frame, after: Frame, userId: string, neighbours: ReadonlySet<string>): boolean {
  if (!sameBoard(before, after)) return false;
  const wasOn = myPlace(before, userId) !== null;
  const isOn = myPlace(after, userId) !== null;
  if (wasOn && isOn) return false;
  if (wasOn !== isOn) return true;
  const previous = new Map(before.entries.map((entry) => [entry.userId, entry.score]));
  const now = new Set(after.entries.map((entry) => entry.userId));
  for (const entry of after.entries) {
    const score = previous.get(entry.userId);
    if (score === undefined) return true;
    if (neighbours.has(entry.userId) && score !== entry.score) return true;
  }
  return before.entries.some((entry) => !now.has(entry.userId));
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
