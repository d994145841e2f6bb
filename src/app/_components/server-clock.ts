/**
 * The server's clock as the page estimates it, for countdowns to a reset the server schedules
 * (a board's `resetsAt`) on a device whose own clock may be off by minutes or hours.
 *
 * Each board answer says when the server made it (`generatedAt`), and the page says when the
 * server rendered it. Both are made before they arrive, so `server time − arrival time` (on the
 * device's clock) is at most the device's offset from the server: each is a lower bound, short by
 * its travel time, and the largest one seen is the best estimate (NTP's rule: trust the quickest
 * exchange). A time that was stamped earlier and handed out later (a board kept in the server's
 * memory since it was read) only gives a bound further off, which the maximum ignores.
 */
export function createServerClock(deviceNow: () => number = Date.now) {
  /** Server time minus device time; null before the first answer. */
  let offsetMs: number | null = null;
  return {
    /** An answer the server made at `generatedAt` has arrived (no later than `arrivedAt`, device time). */
    observe(generatedAt: Date, arrivedAt = deviceNow()) {
      const bound = generatedAt.getTime() - arrivedAt;
      if (Number.isFinite(bound) && (offsetMs === null || bound > offsetMs)) offsetMs = bound;
    },
    /** The server's time now, as best known (the device's own until an answer arrived). */
    now() {
      return deviceNow() + (offsetMs ?? 0);
    },
  };
}

export type ServerClock = ReturnType<typeof createServerClock>;

/** The page's estimate: one server, one offset, whichever board reported it. Fed in effects only (never during server rendering). */
export const serverClock = createServerClock();

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

/**
 * Time left as people read it, in whole minutes rounded down: "2 d 5 h 12 m", "5 h 12 m", "12 m",
 * "less than a minute"; null once nothing is left.
 */
export function formatTimeLeft(ms: number): string | null {
  if (ms <= 0) return null;
  if (ms < MINUTE_MS) return "less than a minute";
  const days = Math.floor(ms / DAY_MS);
  const hours = Math.floor((ms % DAY_MS) / HOUR_MS);
  const minutes = Math.floor((ms % HOUR_MS) / MINUTE_MS);
  if (days > 0) return `${days} d ${hours} h ${minutes} m`;
  if (hours > 0) return `${hours} h ${minutes} m`;
  return `${minutes} m`;
}

/** How long until formatTimeLeft(ms) reads differently (the next whole minute, or the end); null once ended. */
export function untilTextChanges(ms: number): number | null {
  if (ms <= 0) return null;
  if (ms < MINUTE_MS) return ms;
  // At `ms % MINUTE_MS` from now, a whole minute is still left; a millisecond later it is not.
  return (ms % MINUTE_MS) + 1;
}
