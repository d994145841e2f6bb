/**
 * What the page (issue 18) asks of the server beyond its one live stream, for a signed-in
 * viewer, as the benchmark models it, after the page's own code (src/app/_components/
 * use-standing-sync.ts and board-changes.ts on the page's branch): it reads its standing
 * (`leaderboard.me`) and, while it is not on the top shown, its neighbourhood
 * (`leaderboard.around`) again at once after its own submit, and, at most every 2 s, after a
 * frame that could move it. Both are refreshed together (two query invalidations in one tick),
 * which the browser's batching link sends as one GET; an answer already on its way counts as a
 * new one. Pure: bench/page-viewers.ts runs it for many viewers; page-model.test.ts holds it to
 * the rule.
 */
import superjson from "superjson";

import type { InputOf } from "../test/support/wire";

/** The page reads "me" and "around" again after a frame at most this often. */
export const PAGE_REFRESH_INTERVAL_MS = 2_000;

export type FrameEntry = { userId: string; score: number };

/** What the viewer's page knows of itself: whether it has a rank (not hidden, on the board), and its neighbours from its last "around". */
export type ViewerView = { userId: string; ranked: boolean; neighbours: ReadonlySet<string> };

/**
 * Whether a frame, following `before` on the same stream, could move the viewer's rank or
 * neighbourhood (the page's rule). Nothing for a viewer without a rank who is on neither frame,
 * nor while the viewer stays on the top shown (the frame says its standing). Joining or leaving
 * the top, a player new on it (from below, maybe from below the viewer), one gone from it
 * (everyone below moved up), or a neighbour's score changing: yes. Scores changing among players
 * who stay above the viewer: no. The first frame of a stream is the board as loaded: no change.
 */
export function couldMoveMe(before: readonly FrameEntry[] | null, after: readonly FrameEntry[], viewer: ViewerView): boolean {
  if (before === null) return false;
  const mine = (entry: FrameEntry) => entry.userId === viewer.userId;
  const wasOn = before.some(mine);
  const isOn = after.some(mine);
  if (!viewer.ranked && !wasOn && !isOn) return false;
  if (wasOn && isOn) return false;
  if (wasOn !== isOn) return true;
  const previous = new Map(before.map((entry) => [entry.userId, entry.score]));
  for (const entry of after) {
    const score = previous.get(entry.userId);
    if (score === undefined) return true;
    if (viewer.neighbours.has(entry.userId) && score !== entry.score) return true;
  }
  const now = new Set(after.map((entry) => entry.userId));
  return before.some((entry) => !now.has(entry.userId));
}

/** The page's inputs: the board shown (all time, as the live scenario's), "around" at its default radius. */
const ME_INPUT: InputOf<"leaderboard.me"> = { window: "all" };
const AROUND_INPUT: InputOf<"leaderboard.around"> = { window: "all" };

/**
 * The GET of one refresh, as the browser's batching link (src/trpc/links.ts, httpBatchLink) sends
 * the calls made in one tick: "me", and "around" unless the viewer is on the top shown (the page
 * then does not query it). Answers come back in this order.
 */
export function refreshPath(onTop: boolean) {
  const calls: [string, unknown][] = onTop ? [["leaderboard.me", ME_INPUT]] : [["leaderboard.me", ME_INPUT], ["leaderboard.around", AROUND_INPUT]];
  const input = Object.fromEntries(calls.map(([, value], index) => [index, superjson.serialize(value)]));
  return `/api/trpc/${calls.map(([path]) => path).join(",")}?batch=1&input=${encodeURIComponent(JSON.stringify(input))}`;
}

export type RefreshOptions = {
  intervalMs?: number;
  /** The earliest a frame may start a refresh (a page loaded at a random moment: its own phase). */
  firstAllowedAt?: number;
  now?: () => number;
};

/**
 * One viewer's refreshes, as the page schedules them: `changed()` for a frame that could move the
 * viewer refreshes at once if the last refresh was at least the interval ago, else once it is
 * (one waiting at most, however many frames come meanwhile); `ownSubmit()` refreshes at once and
 * drops the one waiting. A refresh while the last one's answer is still on its way sends nothing
 * (the page's queries are invalidated without cancelling what is in flight) but counts as one for
 * the interval. `read` is what a refresh sends.
 */
export class StandingRefresh {
  private readonly intervalMs: number;
  private readonly now: () => number;
  private lastRefreshAt: number;
  private inFlight: Promise<void> | null = null;
  private waiting: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  /** Refreshes that sent nothing: an answer was on its way. */
  skipped = 0;

  constructor(
    private readonly read: (reason: "frame" | "submit") => Promise<void>,
    options: RefreshOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? PAGE_REFRESH_INTERVAL_MS;
    this.now = options.now ?? (() => performance.now());
    this.lastRefreshAt = (options.firstAllowedAt ?? this.now()) - this.intervalMs;
  }

  changed() {
    if (this.stopped || this.waiting !== null) return;
    const wait = this.lastRefreshAt + this.intervalMs - this.now();
    if (wait <= 0) this.refresh("frame");
    else this.waiting = setTimeout(() => this.refresh("frame"), wait);
  }

  ownSubmit() {
    if (!this.stopped) this.refresh("submit");
  }

  /** No refresh from now on; resolves once the answer on its way (if any) has come. */
  async stop() {
    this.stopped = true;
    this.clearWaiting();
    await this.inFlight;
  }

  private clearWaiting() {
    if (this.waiting !== null) clearTimeout(this.waiting);
    this.waiting = null;
  }

  private refresh(reason: "frame" | "submit") {
    this.clearWaiting();
    if (this.stopped) return;
    this.lastRefreshAt = this.now();
    if (this.inFlight) {
      this.skipped += 1;
      return;
    }
    const ended = () => void (this.inFlight = null);
    // A read that failed has ended all the same: the next refresh reads again.
    this.inFlight = this.read(reason).then(ended, ended);
  }
}
