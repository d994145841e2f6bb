"use client";

import { createContext, useCallback, useContext, useMemo, useState } from "react";

import type { BoardWindow } from "~/lib/board-windows";
import { DEFAULT_WINDOW, WINDOW_PARAM } from "./board-window-names";

type BoardWindowState = { selected: BoardWindow; select(boardWindow: BoardWindow): void };

const BoardWindowContext = createContext<BoardWindowState | null>(null);

/**
 * The board window the player chose (Today, This week, All time), shared by the board and the
 * "You" card. The choice is kept in the address (`?window=day`), replaced rather than pushed, so
 * a reload or a shared link opens the same tab and Back leaves the page instead of stepping
 * through tabs. `initial` is what the server read from the address and rendered.
 */
export function BoardWindowProvider({ initial, children }: { initial: BoardWindow; children: React.ReactNode }) {
  const [selected, setSelected] = useState(initial);
  const select = useCallback((boardWindow: BoardWindow) => {
    setSelected(boardWindow);
    const url = new URL(window.location.href);
    if (boardWindow === DEFAULT_WINDOW) url.searchParams.delete(WINDOW_PARAM);
    else url.searchParams.set(WINDOW_PARAM, boardWindow);
    // Next.js's router follows replaceState, so a later refresh renders this window on the server.
    window.history.replaceState(null, "", `${url.pathname}${url.search}${url.hash}`);
  }, []);
  const state = useMemo(() => ({ selected, select }), [selected, select]);
  return <BoardWindowContext.Provider value={state}>{children}</BoardWindowContext.Provider>;
}

export function useBoardWindow(): BoardWindowState {
  const state = useContext(BoardWindowContext);
  if (!state) throw new Error("useBoardWindow: no BoardWindowProvider above this component");
  return state;
}
