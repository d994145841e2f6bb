import { useEffect, useRef } from "react";

import type { BoardWindow } from "~/lib/board-windows";
import type { Frame } from "./board-changes";

/**
 * One step of the board on screen, as the components that tell what just happened see it:
 * - `baseline`: the first board this component shows (the page's own render);
 * - `switched`: another tab's board (nothing happened: the player chose it);
 * - `rollover`: the same tab's board for a new day or week (nothing happened either: it starts over);
 * - `catch-up`: right after switching back to a tab seen earlier, the board that brings it up to
 *   date (what it holds happened while the player looked elsewhere, maybe long ago);
 * - `change`: the next frame of the board on screen.
 */
export type BoardStep =
  | { kind: "baseline" | "switched"; after: Frame }
  | { kind: "rollover" | "catch-up" | "change"; before: Frame; after: Frame };

/** The stream of a tab chosen again brings its board up to date at once; later frames are changes. */
const CATCH_UP_MS = 1_500;

/**
 * When the board is from: `updatedAt`, when the board on screen was last written into the cache
 * (React Query's dataUpdatedAt); `chosenAt`, when the player last chose a tab (useChosenAt). A tab
 * whose board was in the cache before it was chosen shows that board until its stream catches up.
 */
export type BoardFreshness = { updatedAt: number; chosenAt: { readonly current: number } };

/**
 * Calls `onStep` (in an effect) for each new board the component renders. Returns when the board
 * on screen began to be this tab's (for reads that are older than that: they are not news).
 */
export function useBoardSteps(board: Frame, freshness: BoardFreshness, onStep: (step: BoardStep) => void): { readonly shownAt: number } {
  const state = useRef<{ board: Frame; shownAt: number; stale: boolean } | null>(null);
  const handler = useRef(onStep);
  const fresh = useRef(freshness);
  useEffect(() => {
    handler.current = onStep;
    fresh.current = freshness;
  });

  useEffect(() => {
    const now = Date.now();
    const previous = state.current;
    if (!previous) {
      state.current = { board, shownAt: now, stale: false };
      handler.current({ kind: "baseline", after: board });
      return;
    }
    if (previous.board === board) return;
    if (previous.board.window !== board.window) {
      // Read from the cache, written before the tab was chosen: maybe long out of date.
      state.current = { board, shownAt: now, stale: fresh.current.updatedAt < fresh.current.chosenAt.current };
      handler.current({ kind: "switched", after: board });
      return;
    }
    if (previous.board.period !== board.period) {
      state.current = { board, shownAt: now, stale: false };
      handler.current({ kind: "rollover", before: previous.board, after: board });
      return;
    }
    // Only the first board after an out-of-date one can be its catch-up.
    state.current = { board, shownAt: previous.shownAt, stale: false };
    const catchUp = previous.stale && now - previous.shownAt < CATCH_UP_MS;
    handler.current({ kind: catchUp ? "catch-up" : "change", before: previous.board, after: board });
  }, [board]);

  return {
    get shownAt() {
      return state.current?.shownAt ?? 0;
    },
  };
}

/** When the player last chose a tab (0 before they have): the time `selected` last changed, read in effects. */
export function useChosenAt(selected: BoardWindow): { readonly current: number } {
  const last = useRef(selected);
  const at = useRef(0);
  useEffect(() => {
    if (last.current === selected) return;
    last.current = selected;
    at.current = Date.now();
  }, [selected]);
  return at;
}
