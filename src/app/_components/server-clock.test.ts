/**
 * The page's countdown arithmetic: the server's clock estimated from board answers on a device
 * whose clock is off, and the time left as the page writes it.
 */
import { describe, expect, it } from "vitest";

import { createServerClock, formatTimeLeft, untilTextChanges } from "./server-clock";

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe("the server's clock, from answers", () => {
  it("is the device's own until an answer arrives, then the server's short of the quickest answer's travel time", () => {
    let device = 1_000_000;
    const clock = createServerClock(() => device);
    expect(clock.now()).toBe(1_000_000);

    // The device runs 3 hours fast; the answer took 200 ms to arrive.
    const server = device - 3 * HOUR;
    device += 200;
    clock.observe(new Date(server));
    expect(clock.now()).toBe(server);

    // A quicker answer (50 ms) tightens the estimate; a slower one (2 s) or a stale one (made a minute ago) does not loosen it.
    device += 10_000;
    clock.observe(new Date(device - 3 * HOUR - 50));
    expect(device - 3 * HOUR - clock.now()).toBe(50);
    clock.observe(new Date(device - 3 * HOUR - 2_000));
    clock.observe(new Date(device - 3 * HOUR - MINUTE));
    expect(device - 3 * HOUR - clock.now()).toBe(50);

    // Time passes on the device's clock.
    device += 5 * MINUTE;
    expect(device - 3 * HOUR - clock.now()).toBe(50);
  });

  it("ignores an answer without a usable time", () => {
    const clock = createServerClock(() => 500);
    clock.observe(new Date(Number.NaN));
    expect(clock.now()).toBe(500);
  });
});

describe("the time left, as the page writes it", () => {
  it.each([
    [2 * 24 * HOUR + 5 * HOUR + 12 * MINUTE + 59_999, "2 d 5 h 12 m"],
    [24 * HOUR, "1 d 0 h 0 m"],
    [24 * HOUR - 1, "23 h 59 m"],
    [5 * HOUR + 12 * MINUTE + 30_000, "5 h 12 m"],
    [HOUR, "1 h 0 m"],
    [HOUR - 1, "59 m"],
    [12 * MINUTE, "12 m"],
    [MINUTE, "1 m"],
    [MINUTE - 1, "less than a minute"],
    [1, "less than a minute"],
    [0, null],
    [-5_000, null],
  ])("%i ms: %s", (ms, text) => {
    expect(formatTimeLeft(ms)).toBe(text);
  });

  it("changes exactly when the next whole minute is gone, and at the end", () => {
    for (const ms of [2 * HOUR + 5_000, 2 * HOUR, 90_000, MINUTE, 59_000, 1]) {
      const wait = untilTextChanges(ms)!;
      expect(formatTimeLeft(ms - wait + 1), `${ms} ms, a moment before`).toBe(formatTimeLeft(ms));
      expect(formatTimeLeft(ms - wait), `${ms} ms`).not.toBe(formatTimeLeft(ms));
    }
    expect(untilTextChanges(0)).toBeNull();
  });
});
