/**
 * The board's shapes, shared by every layer that handles it: the Postgres queries and the Redis
 * store below, the leaderboard and the live board above. It imports only the windows' definitions
 * (src/lib), so it is the bottom those layers stand on.
 */

import { periodAt, PERIOD_WINDOWS, type BoardWindow, type Period } from "~/lib/board-windows";

export type BoardEntry = { rank: number; userId: string; displayName: string; score: number };

/** Which board: all time (no period), or one day's or one ISO week's. */
export type BoardScope = { window: "all"; period: null } | { window: Exclude<BoardWindow, "all">; period: Period };

export const ALL_TIME: BoardScope = { window: "all", period: null };

/** The board of `window` at the moment `atMs`: all time, or the day's or the week's then. */
export function scopeAt(window: BoardWindow, atMs: number): BoardScope {
  return window === "all" ? ALL_TIME : { window, period: periodAt(window, atMs) };
}

/** Every board a change at `atMs` touches: all time first, then the day's and the week's. */
export function scopesAt(atMs: number): BoardScope[] {
  return [ALL_TIME, ...PERIOD_WINDOWS.map((window) => scopeAt(window, atMs))];
}

/** A name for a board, unique among boards (a map key). */
export function scopeName(scope: BoardScope) {
  return scope.period === null ? "all" : `${scope.window}:${scope.period.name}`;
}

/**
 * A snapshot of one board's top; equal versions of one board (window and period) mean equal
 * boards. `period` names the day or week shown and `resetsAt` when it ends (null for all time).
 */
export type Board = {
  entries: BoardEntry[];
  version: number;
  generatedAt: Date;
  window: BoardWindow;
  period: string | null;
  resetsAt: Date | null;
};

/**
 * A user's place on one board: `total` players are on it; `percentile` is the share of them
 * ranked at or above the user, in whole percent rounded up ("top 8 %"), null without a rank.
 */
export type MyStanding = {
  userId: string;
  displayName: string;
  score: number;
  rank: number | null;
  hidden: boolean;
  total: number;
  percentile: number | null;
};

/** The players just above and below a user on one board, the user included, and how many are on it. */
export type Neighbourhood = { entries: BoardEntry[]; total: number };


/**
 * A user's state on one board as of one database version; `visible: false` takes them off the
 * board (hidden, banned, or, on a period's board, no score in that period).
 */
export type BoardWrite = {
  userId: string;
  version: number;
  score: number;
  reachedMicros: string;
  displayName: string;
  visible: boolean;
};

/** Writes to one board. */
export type BoardUpdate = { scope: BoardScope; writes: BoardWrite[] };

/** Board changes made by any instance, as the live board follows them. */
export type BoardChangeFeed = {
  /**
   * Follows every board change published by any instance: `onChange` per message, `onReady`
   * once the subscription is in place, `onLost` when it failed. Returns a stop function.
   */
  subscribe(handlers: { onChange(): void; onReady(): void; onLost(): void }): () => void;
  /** The board version Redis holds now and whether its board is built, or null when unreachable. */
  currentVersion(): Promise<{ version: string; built: boolean } | null>;
};
