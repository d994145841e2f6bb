import { BOARD_WINDOWS, type BoardWindow } from "~/lib/board-windows";

/**
 * The board's windows as the page names them, and the `?window=` query that remembers the chosen
 * one. A plain module (no "use client"): the server page reads the query with the same function
 * the client uses to write it, so the server renders what the client hydrates.
 */

/** The tabs, in the order they are shown. */
export const TAB_ORDER: readonly BoardWindow[] = ["day", "week", "all"];

export const DEFAULT_WINDOW: BoardWindow = "all";

export const WINDOW_LABELS: Record<BoardWindow, string> = { day: "Today", week: "This week", all: "All time" };

/** The URL query parameter that names the chosen window (absent for the default). */
export const WINDOW_PARAM = "window";

/** The window a `?window=` value names; anything else (absent, repeated, unknown) is the default. */
export function parseBoardWindow(value: string | string[] | null | undefined): BoardWindow {
  return typeof value === "string" && (BOARD_WINDOWS as readonly string[]).includes(value) ? (value as BoardWindow) : DEFAULT_WINDOW;
}
