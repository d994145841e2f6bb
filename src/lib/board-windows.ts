/**
 * The board's time windows, shared by the server and the page: all time, the UTC day and the ISO
 * week (from Monday 00:00 UTC). A period names one day (`2026-11-30`) or one ISO week
 * (`2026-W49`); its bounds are computed the same way here and in SQL (`date_trunc('day' | 'week')`
 * on UTC time, src/server/scoring/board-queries.ts).
 */

export const BOARD_WINDOWS = ["all", "week", "day"] as const;
export type BoardWindow = (typeof BOARD_WINDOWS)[number];
/** The windows that reset, each with periods of its own. */
export type PeriodWindow = Exclude<BoardWindow, "all">;
export const PERIOD_WINDOWS: readonly PeriodWindow[] = ["day", "week"];

/** One day or one ISO week, with its bounds: `[startsAt, resetsAt)`. */
export type Period = { window: PeriodWindow; name: string; startsAt: Date; resetsAt: Date };

const DAY_MS = 86_400_000;
const DAY_NAME = /^(\d{4})-(\d{2})-(\d{2})$/;
const WEEK_NAME = /^(\d{4})-W(\d{2})$/;

/** The period of `window` that holds the moment `atMs`. */
export function periodAt(window: PeriodWindow, atMs: number): Period {
  const dayStart = Math.floor(atMs / DAY_MS) * DAY_MS;
  if (window === "day") return { window, name: new Date(dayStart).toISOString().slice(0, 10), startsAt: new Date(dayStart), resetsAt: new Date(dayStart + DAY_MS) };
  // Monday = 0 … Sunday = 6.
  const weekday = (new Date(dayStart).getUTCDay() + 6) % 7;
  const weekStart = dayStart - weekday * DAY_MS;
  // An ISO week belongs to the year of its Thursday; week 1 holds the year's first Thursday.
  const thursday = new Date(weekStart + 3 * DAY_MS);
  const year = thursday.getUTCFullYear();
  const week = Math.floor((thursday.getTime() - Date.UTC(year, 0, 1)) / (7 * DAY_MS)) + 1;
  return { window, name: `${year}-W${String(week).padStart(2, "0")}`, startsAt: new Date(weekStart), resetsAt: new Date(weekStart + 7 * DAY_MS) };
}

/** The period a name stands for, or null when the name is malformed or names no real day or week. */
export function parsePeriod(window: PeriodWindow, name: string): Period | null {
  const start = window === "day" ? dayStart(name) : weekStart(name);
  if (start === null) return null;
  const period = periodAt(window, start);
  // A name that does not round-trip names no real period (2026-02-30, 2026-W53).
  return period.name === name ? period : null;
}

/** Whether `name` is well-formed for `window` (the shape; parsePeriod also checks it exists). */
export function isPeriodName(window: PeriodWindow, name: string) {
  return parsePeriod(window, name) !== null;
}

function dayStart(name: string): number | null {
  const match = DAY_NAME.exec(name);
  if (!match) return null;
  return Date.UTC(Number(match[1]), Number(match[2]) - 1, Number(match[3]));
}

function weekStart(name: string): number | null {
  const match = WEEK_NAME.exec(name);
  if (!match) return null;
  const year = Number(match[1]);
  const week = Number(match[2]);
  if (week < 1 || week > 53) return null;
  // January 4th is always in week 1; its week's Monday starts week 1.
  const january4 = Date.UTC(year, 0, 4);
  const week1Monday = january4 - ((new Date(january4).getUTCDay() + 6) % 7) * DAY_MS;
  return week1Monday + (week - 1) * 7 * DAY_MS;
}

/**
 * The id of a live snapshot, which the client sends back as `lastEventId` when it resumes: the
 * board version, prefixed by the period for a window that resets (versions of two periods'
 * boards say nothing about each other).
 */
export function boardEventId(board: { version: number; period: string | null }) {
  return board.period === null ? String(board.version) : `${board.period}:${board.version}`;
}
