/**
 * What the page (issue 18) asks of the server beyond its one live stream, for a signed-in
 * viewer, as the benchmark models it: the page's own rule and numbers, imported from it
 * (src/app/_components/board-changes.ts readsAfterFrame and frameReach, board-queries.ts), and
 * its schedule (use-standing-sync.ts):
 * - after a frame that could move the viewer and does not show it, `leaderboard.around` alone, at
 *   most every STANDING_REFRESH_MS (one waiting at most, however many frames come meanwhile);
 * - after the viewer's own submit, at once, `leaderboard.me` and `leaderboard.around` in one GET
 *   (`me` alone while the viewer is on the top shown: the page has no neighbourhood then); an
 *   answer on its way is cancelled for it (it may be from before the submit);
 * - STANDING_IDLE_REFRESH_MS after the last refresh of any kind, `around` alone (nothing while on
 *   the top shown), the page being in view;
 * - a refresh after a frame or the idle one while an answer is on its way sends nothing (the page
 *   fetches without cancelling what is in flight) but counts as one for the intervals.
 * Pure: bench/page-viewers.ts runs it for many viewers; page-model.test.ts holds it to the rule.
 */
import superjson from "superjson";

import { frameReach, readsAfterFrame, type Frame, type MyStandingView } from "../src/app/_components/board-changes";
import { STANDING_IDLE_REFRESH_MS, STANDING_REFRESH_MS } from "../src/app/_components/board-queries";
import { ACTION_RULES } from "../src/server/scoring/rules";
import type { InputOf } from "../test/support/wire";

/** The page's bound on what a player gains between two frames, from the same rules it is handed (src/app/page.tsx). */
export const FRAME_REACH = frameReach(Object.values(ACTION_RULES).map((rule) => rule.delta));

/** What the viewer's page knows of itself: its score and whether it has a rank (its last `me` or `around`), its neighbours (its last `around`). */
export type ViewerView = MyStandingView & { ranked: boolean };

/**
 * Whether the viewer's page reads `around` after `after`, the frame following `before` on its
 * stream (the page's rule: readsAfterFrame). The first frame of a stream is the board as loaded:
 * nothing.
 */
export function frameCallsForRead(before: Frame | null, after: Frame, viewer: ViewerView): boolean {
  return before !== null && readsAfterFrame(before, after, viewer, FRAME_REACH);
}

export type RefreshReason = "frame" | "submit" | "idle";
/** The calls of one refresh's GET. */
export type StandingRead = "me+around" | "me" | "around";

/**
 * What the page reads for `reason`: after its own submit both (`me` alone on the top shown);
 * otherwise `around` alone, and nothing on the top shown, nor idle without a rank.
 */
export function readFor(reason: RefreshReason, viewer: { onTop: boolean; ranked: boolean }): StandingRead | null {
  if (reason === "submit") return viewer.onTop ? "me" : "me+around";
  if (viewer.onTop || (reason === "idle" && !viewer.ranked)) return null;
  return "around";
}

/** The page's inputs: the board shown (all time, as the live scenario's), "around" at its default radius. */
const INPUTS = { "leaderboard.me": { window: "all" } satisfies InputOf<"leaderboard.me">, "leaderboard.around": { window: "all" } satisfies InputOf<"leaderboard.around"> };
const CALLS: Record<StandingRead, (keyof typeof INPUTS)[]> = {
  "me+around": ["leaderboard.me", "leaderboard.around"],
  me: ["leaderboard.me"],
  around: ["leaderboard.around"],
};

/** The procedures one refresh's GET carries, in the order of its answers. */
export function callsOf(read: StandingRead) {
  return CALLS[read];
}

/** The GET of one refresh, as the browser's batching link (src/trpc/links.ts, httpBatchLink) sends the calls made in one tick. */
export function refreshPath(read: StandingRead) {
  const calls = CALLS[read];
  const input = Object.fromEntries(calls.map((path, index) => [index, superjson.serialize(INPUTS[path])]));
  return `/api/trpc/${calls.join(",")}?batch=1&input=${encodeURIComponent(JSON.stringify(input))}`;
}

/** A refresh's GET on its way: done when it has ended (answered, failed or cancelled). */
type InFlight = { done: Promise<void>; abort: AbortController };

export type RefreshOptions = {
  intervalMs?: number;
  idleMs?: number;
  /** The earliest a frame may start a refresh (a page loaded at a random moment: its own phase). */
  firstAllowedAt?: number;
  /** When the idle refresh comes unless another refresh comes first (its own phase too). */
  firstIdleAt?: number;
  now?: () => number;
};

/**
 * One viewer's refreshes, as the page schedules them: `changed()` for a frame that calls for a
 * read refreshes at once if the last refresh was at least the interval ago, else once it is (one
 * waiting at most); `ownSubmit()` refreshes at once and drops the one waiting; the idle refresh
 * comes `idleMs` after the last refresh of any kind. `plan(reason)` says what the page would read
 * for it then (readFor), null for nothing (which counts as no refresh); `send` sends it.
 */
export class StandingRefresh {
  private readonly intervalMs: number;
  private readonly idleMs: number;
  private readonly now: () => number;
  private lastRefreshAt: number;
  private inFlight: InFlight | null = null;
  private waiting: ReturnType<typeof setTimeout> | null = null;
  private idle: ReturnType<typeof setTimeout> | null = null;
  private stopped = false;
  /** Refreshes that sent nothing: an answer was on its way. */
  skipped = 0;
  /** Answers on their way cancelled for an own submit's read. */
  cancelled = 0;

  constructor(
    private readonly plan: (reason: RefreshReason) => StandingRead | null,
    private readonly send: (read: StandingRead, reason: RefreshReason, signal: AbortSignal) => Promise<void>,
    options: RefreshOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? STANDING_REFRESH_MS;
    this.idleMs = options.idleMs ?? STANDING_IDLE_REFRESH_MS;
    this.now = options.now ?? (() => performance.now());
    const startedAt = this.now();
    this.lastRefreshAt = (options.firstAllowedAt ?? startedAt) - this.intervalMs;
    this.armIdle((options.firstIdleAt ?? startedAt + this.idleMs) - startedAt);
  }

  changed() {
    if (this.stopped || this.waiting !== null) return;
    const wait = this.lastRefreshAt + this.intervalMs - this.now();
    if (wait <= 0) this.refresh("frame");
    else this.waiting = setTimeout(() => this.refresh("frame"), wait);
  }

  ownSubmit() {
    this.refresh("submit");
  }

  /** No refresh from now on; resolves once the answer on its way (if any) has come. */
  async stop() {
    this.stopped = true;
    this.clearWaiting();
    if (this.idle !== null) clearTimeout(this.idle);
    await this.inFlight?.done;
  }

  private clearWaiting() {
    if (this.waiting !== null) clearTimeout(this.waiting);
    this.waiting = null;
  }

  private armIdle(ms: number) {
    if (this.idle !== null) clearTimeout(this.idle);
    this.idle = setTimeout(() => this.refresh("idle"), ms);
  }

  private refresh(reason: RefreshReason) {
    if (this.stopped) return;
    this.clearWaiting();
    const read = this.plan(reason);
    if (read === null) {
      // Nothing to read (on the top shown): no refresh; the idle one looks again an interval later.
      if (reason === "idle") this.armIdle(this.idleMs);
      return;
    }
    this.lastRefreshAt = this.now();
    this.armIdle(this.idleMs);
    if (this.inFlight) {
      if (reason !== "submit") {
        this.skipped += 1;
        return;
      }
      this.cancelled += 1;
      this.inFlight.abort.abort();
    }
    const abort = new AbortController();
    const current: InFlight = {
      abort,
      // A read that failed or was cancelled has ended all the same: the next refresh reads again.
      done: this.send(read, reason, abort.signal).then(
        () => this.ended(current),
        () => this.ended(current),
      ),
    };
    this.inFlight = current;
  }

  private ended(read: InFlight) {
    if (this.inFlight === read) this.inFlight = null;
  }
}
