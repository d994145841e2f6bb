import { hashKey, useQueryClient } from "@tanstack/react-query";
import { getMutationKey } from "@trpc/react-query";
import { useCallback, useEffect, useRef } from "react";

import type { BoardWindow } from "~/lib/board-windows";
import { api, type RouterOutputs } from "~/trpc/react";
import { announce } from "./announcer";
import { boardScope, createPassWatch, myPlace, readsAfterFrame, standingFromAround, viewAround, type Frame, type RankedEntry, type RelativeView } from "./board-changes";
import { STANDING_IDLE_REFRESH_MS, STANDING_REFRESH_MS } from "./board-queries";
import { useBoardSteps, type BoardFreshness } from "./board-steps";
import { useFormat } from "./reader-locale";
import { RANK_SCOPE } from "./what-just-happened";

type Me = RouterOutputs["leaderboard"]["me"];
type Around = RouterOutputs["leaderboard"]["around"];

/** What the player has just been told about themself outranks the rest of a moment's news. */
const ABOUT_ME = 2;
const MY_RANK = 1;

/**
 * Keeps the signed-in player's standing ("me") and neighbourhood ("around") on the board on
 * screen fresh without reading them on every change, and tells them what just happened to them.
 *
 * Read again, both: at once after their own submit or profile change, and when the day or week
 * starts over. `around` alone, with "me" patched from its answer (it holds my entry and the
 * board's total): when a frame shows a change that could move them (./board-changes.ts
 * readsAfterFrame), at most every STANDING_REFRESH_MS; and every STANDING_IDLE_REFRESH_MS after
 * the last read while the page is in view, for what frames cannot show. Nothing while they are on
 * the top shown: its frames say their rank and score. Told (live region and toast): who passed
 * them, entering and leaving the top; and their new rank while on it. Never for another tab or a
 * new period. `frameReach`: the most points a player plausibly gains between two frames
 * (./board-changes.ts frameReach).
 */
export function useStandingSync({
  limit,
  board,
  freshness,
  me,
  around,
  frameReach,
}: {
  limit: number;
  board: Frame;
  freshness: BoardFreshness;
  me: Me;
  around: { data: Around | undefined; dataUpdatedAt: number };
  frameReach: number;
}) {
  const { number: formatNumber } = useFormat();
  const utils = api.useUtils();
  const queryClient = useQueryClient();
  const latest = useRef({ me, around, board });
  useEffect(() => {
    latest.current = { me, around, board };
  });

  /** When my standing was last read, by any of the refreshes below or the page's own first reads. */
  const lastRefresh = useRef(0);
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  const cancelPending = useCallback(() => {
    if (pending.current) clearTimeout(pending.current);
    pending.current = null;
  }, []);

  // Both, in every window (or one): an own change can move me anywhere, and a new period starts
  // from nothing. The form that made the change invalidates `me` itself; an `around` on its way
  // may be from before the change, so it gives way to a new one.
  const refreshBoth = useCallback(
    (boardWindow?: BoardWindow) => {
      cancelPending();
      lastRefresh.current = Date.now();
      const input = boardWindow ? { window: boardWindow } : undefined;
      void utils.leaderboard.me.invalidate(input, undefined, { cancelRefetch: false });
      void utils.leaderboard.around.invalidate(input);
    },
    [utils, cancelPending],
  );

  // `around` alone, of the board shown: it holds my entry and the board's total, from which `me`
  // is patched, one procedure instead of two. Not while I am on the top shown (its frames say my
  // rank and score; the page has no neighbourhood to show), nor while hidden.
  const readAround = useCallback(async () => {
    cancelPending();
    const { me, board } = latest.current;
    if (me.hidden || myPlace(board, me.userId)) return;
    lastRefresh.current = Date.now();
    const input = { window: board.window };
    let answer: Around;
    try {
      // An answer on its way is as good as a new one.
      answer = await utils.leaderboard.around.fetch(input, { staleTime: 0 });
    } catch {
      // Failed, or gave way to the reads after an own change (`me` among them): the next refresh reads again.
      return;
    }
    const standing = standingFromAround(answer, me.userId);
    if (standing) utils.leaderboard.me.setData(input, (old) => old && { ...old, ...standing });
    // Not among my neighbours: hidden or taken off the board by someone else (an administrator); `me` says which.
    else void utils.leaderboard.me.invalidate(input, undefined, { cancelRefetch: false });
  }, [utils, cancelPending]);

  const readAroundSoon = useCallback(() => {
    if (pending.current) return;
    const wait = lastRefresh.current + STANDING_REFRESH_MS - Date.now();
    if (wait <= 0) void readAround();
    else pending.current = setTimeout(() => void readAround(), wait);
  }, [readAround]);
  useEffect(() => cancelPending, [cancelPending]);

  // The idle refresh: what no frame shows (a pass below the top, a player removed above me, a
  // jump beyond a frame's reach, the board's total) shows within STANDING_IDLE_REFRESH_MS of the
  // last read while the page is in view; a page back in view after longer reads at once. Only
  // with a rank: a player without one changes that by their own submit, which reads both.
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    lastRefresh.current ||= Date.now();
    const check = () => {
      clearTimeout(timer);
      if (document.visibilityState !== "visible") return;
      const wait = lastRefresh.current + STANDING_IDLE_REFRESH_MS - Date.now();
      if (wait <= 0 && latest.current.me.rank !== null) void readAround();
      timer = setTimeout(check, wait > 0 ? wait : STANDING_IDLE_REFRESH_MS);
    };
    check();
    document.addEventListener("visibilitychange", check);
    return () => {
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", check);
    };
  }, [readAround]);

  // My own submits and profile changes (hiding, a new name): every window's standing, at once.
  useEffect(() => {
    const mine = new Set([hashKey(getMutationKey(api.score.submit)), hashKey(getMutationKey(api.account.update))]);
    return queryClient.getMutationCache().subscribe((event) => {
      if (event.type !== "updated" || event.action.type !== "success") return;
      const key = event.mutation.options.mutationKey;
      if (key && mine.has(hashKey(key))) refreshBoth();
    });
  }, [queryClient, refreshBoth]);

  const passes = useRef(createPassWatch());

  const steps = useBoardSteps(board, freshness, (step) => {
    const { me } = latest.current;
    const userId = me.userId;
    const after = step.after;
    const before = "before" in step ? step.before : null;

    if (step.kind === "rollover") {
      // A new day or week: what was read for the last one is not this one's. Until it is read
      // again, the new period's (nobody has points in a period that just began).
      utils.leaderboard.me.setData({ window: after.window }, (old) => old && { ...old, score: 0, rank: null, percentile: null, total: 0 });
      utils.leaderboard.around.setData({ window: after.window }, (old) => old && { entries: [], total: 0 });
      refreshBoth(after.window);
      return;
    }

    const ranked = !me.hidden && me.rank !== null;
    const mineNow = myPlace(after, userId);
    const mineBefore = before ? myPlace(before, userId) : null;
    const view: RelativeView | null = mineNow
      ? viewAround(after.entries, userId)
      : mineBefore
        ? { above: after.entries, below: [], myScore: mineBefore.score }
        : ranked
          ? { above: after.entries, below: [], myScore: me.score }
          : null;
    const passedBy = view ? passes.current.observe(boardScope(after), view, Date.now()) : [];

    if (!before) return;
    const neighbours = new Set((latest.current.around.data?.entries ?? []).flatMap((entry) => (entry.userId === userId ? [] : [entry.userId])));
    if (readsAfterFrame(before, after, { userId, ranked, score: me.score, neighbours }, frameReach)) readAroundSoon();
    if (step.kind !== "change") return;

    const where = RANK_SCOPE[after.window];
    if (passedBy.length > 0) {
      announce(`${names(passedBy, formatNumber)} passed you${mineNow ? `: you are now #${formatNumber(mineNow.rank)}${where}` : ""}.`, { priority: ABOUT_ME, toast: true });
    }
    if (mineNow && !mineBefore) {
      announce(`You are in the top ${formatNumber(limit)}${where}: #${formatNumber(mineNow.rank)} with ${formatNumber(mineNow.score)} points.`, { priority: ABOUT_ME, toast: true });
    } else if (mineBefore && !mineNow && !me.hidden) {
      announce(`You dropped out of the top ${formatNumber(limit)}${where}.`, { priority: ABOUT_ME, toast: true });
    } else if (mineNow && mineBefore && mineNow.rank !== mineBefore.rank && passedBy.length === 0) {
      announce(`You are now #${formatNumber(mineNow.rank)}${where} with ${formatNumber(mineNow.score)} points.`, { priority: MY_RANK });
    }
  });

  // A new read of my neighbourhood may show someone who was below me above me now. Reads from
  // before this tab was shown are old news.
  useEffect(() => {
    const { data, dataUpdatedAt } = around;
    if (!data || dataUpdatedAt < steps.shownAt) return;
    const view = viewAround(data.entries, me.userId);
    if (!view) return;
    const passedBy = passes.current.observe(boardScope(board), view, Date.now());
    if (passedBy.length === 0) return;
    const mine = data.entries.find((entry) => entry.userId === me.userId)!;
    announce(`${names(passedBy, formatNumber)} passed you: you are now #${formatNumber(mine.rank)}${RANK_SCOPE[board.window]}.`, { priority: ABOUT_ME, toast: true });
    // For each new answer only; the board and me are this render's.
  }, [around.data, around.dataUpdatedAt]);
}

/** "grace", "grace and zoe", "grace, zoe and 2 others". */
function names(entries: readonly RankedEntry[], formatNumber: (value: number) => string): string {
  const all = entries.map((entry) => entry.displayName);
  if (all.length <= 2) return all.join(" and ");
  return `${all.slice(0, 2).join(", ")} and ${formatNumber(all.length - 2)} other${all.length - 2 === 1 ? "" : "s"}`;
}
