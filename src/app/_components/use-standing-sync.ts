import { hashKey, useQueryClient } from "@tanstack/react-query";
import { getMutationKey } from "@trpc/react-query";
import { useCallback, useEffect, useRef } from "react";

import type { BoardWindow } from "~/lib/board-windows";
import { api, type RouterOutputs } from "~/trpc/react";
import { announce } from "./announcer";
import { boardScope, couldMoveMe, createPassWatch, myPlace, viewAround, type Frame, type RankedEntry, type RelativeView } from "./board-changes";
import { STANDING_REFRESH_MS } from "./board-queries";
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
 * Read again: at once after their own submit or profile change; when a frame shows a change that
 * could move them (./board-changes.ts couldMoveMe), at most every STANDING_REFRESH_MS; when the
 * day or week starts over. Told (live region and toast): who passed them, entering and leaving
 * the top; and their new rank while on it. Never for another tab or a new period.
 */
export function useStandingSync({
  limit,
  board,
  freshness,
  me,
  around,
}: {
  limit: number;
  board: Frame;
  freshness: BoardFreshness;
  me: Me;
  around: { data: Around | undefined; dataUpdatedAt: number };
}) {
  const { number: formatNumber } = useFormat();
  const utils = api.useUtils();
  const queryClient = useQueryClient();
  const latest = useRef({ me, around });
  useEffect(() => {
    latest.current = { me, around };
  });

  const lastRefresh = useRef(0);
  const pending = useRef<ReturnType<typeof setTimeout> | null>(null);
  const refresh = useCallback(
    (boardWindow?: BoardWindow) => {
      if (pending.current) clearTimeout(pending.current);
      pending.current = null;
      lastRefresh.current = Date.now();
      const input = boardWindow ? { window: boardWindow } : undefined;
      // An answer on its way is as good as a new one.
      void utils.leaderboard.me.invalidate(input, undefined, { cancelRefetch: false });
      void utils.leaderboard.around.invalidate(input, undefined, { cancelRefetch: false });
    },
    [utils],
  );
  const refreshSoon = useCallback(
    (boardWindow: BoardWindow) => {
      if (pending.current) return;
      const wait = lastRefresh.current + STANDING_REFRESH_MS - Date.now();
      if (wait <= 0) refresh(boardWindow);
      else pending.current = setTimeout(() => refresh(boardWindow), wait);
    },
    [refresh],
  );
  useEffect(
    () => () => {
      if (pending.current) clearTimeout(pending.current);
    },
    [],
  );

  // My own submits and profile changes (hiding, a new name): every window's standing, at once.
  useEffect(() => {
    const mine = new Set([hashKey(getMutationKey(api.score.submit)), hashKey(getMutationKey(api.account.update))]);
    return queryClient.getMutationCache().subscribe((event) => {
      if (event.type !== "updated" || event.action.type !== "success") return;
      const key = event.mutation.options.mutationKey;
      if (key && mine.has(hashKey(key))) refresh();
    });
  }, [queryClient, refresh]);

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
      refresh(after.window);
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
    if (ranked || mineNow || mineBefore) {
      const neighbours = new Set((latest.current.around.data?.entries ?? []).map((entry) => entry.userId));
      if (couldMoveMe(before, after, userId, neighbours)) refreshSoon(after.window);
    }
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
