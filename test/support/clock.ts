import { vi } from "vitest";

/**
 * Stops `Date` (nothing else: timers, sockets and Redis keep running) at the start of a
 * clock-aligned window of `windowMs`. Rate-limit windows are aligned to the clock and a sliding
 * window forgets part of its count at each boundary, so with the clock stopped a test's counts and
 * retryAfterMs are exact wherever in a window it happens to start. `advance(ms)` moves the
 * stopped clock; `vi.useRealTimers()` lets it run again.
 */
export function stopClockAtWindowStart(windowMs: number) {
  vi.useFakeTimers({ toFake: ["Date"], now: Math.floor(Date.now() / windowMs) * windowMs });
  return {
    advance(ms: number) {
      vi.setSystemTime(Date.now() + ms);
    },
  };
}
