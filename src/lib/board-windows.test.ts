/**
 * The windows' periods: the day and ISO week of a moment, names parsed back, and — since the
 * score statement files each audit row under `date_trunc('day' | 'week')` in SQL — the same
 * periods as Postgres computes them, over every day of several years.
 */
import postgres from "postgres";
import { afterAll, describe, expect, it } from "vitest";

import { boardEventId, parsePeriod, periodAt, type PeriodWindow } from "./board-windows";

const at = (iso: string) => Date.parse(iso);

describe("periodAt", () => {
  it("puts the last microsecond of a UTC day in that day and midnight in the next", () => {
    expect(periodAt("day", at("2026-11-29T23:59:59.999Z")).name).toBe("2026-11-29");
    expect(periodAt("day", at("2026-11-30T00:00:00.000Z")).name).toBe("2026-11-30");
    expect(periodAt("day", at("2026-11-30T00:00:00.000Z"))).toMatchObject({
      startsAt: new Date("2026-11-30T00:00:00Z"),
      resetsAt: new Date("2026-12-01T00:00:00Z"),
    });
  });

  it("starts an ISO week on Monday 00:00 UTC", () => {
    // Sunday 2026-11-29 ends week 48; Monday 2026-11-30 begins week 49.
    expect(periodAt("week", at("2026-11-29T23:59:59.999Z"))).toMatchObject({
      name: "2026-W48",
      startsAt: new Date("2026-11-23T00:00:00Z"),
      resetsAt: new Date("2026-11-30T00:00:00Z"),
    });
    expect(periodAt("week", at("2026-11-30T00:00:00.000Z"))).toMatchObject({
      name: "2026-W49",
      startsAt: new Date("2026-11-30T00:00:00Z"),
      resetsAt: new Date("2026-12-07T00:00:00Z"),
    });
  });

  it("gives days at the turn of a year to the ISO week-year of their Thursday", () => {
    expect(periodAt("week", at("2021-01-03T12:00:00Z")).name).toBe("2020-W53");
    expect(periodAt("week", at("2024-12-30T12:00:00Z")).name).toBe("2025-W01");
    expect(periodAt("week", at("2027-01-01T00:00:00Z")).name).toBe("2026-W53");
  });
});

describe("parsePeriod", () => {
  it("reads back every name periodAt gives", () => {
    for (let day = at("2019-12-20T00:00:00Z"); day < at("2021-01-20T00:00:00Z"); day += 86_400_000) {
      for (const window of ["day", "week"] as const) {
        const period = periodAt(window, day);
        expect(parsePeriod(window, period.name)).toEqual(period);
      }
    }
  });

  it.each<[PeriodWindow, string, string]>([
    ["day", "2026-02-30", "a day that does not exist"],
    ["day", "2026-13-01", "a month that does not exist"],
    ["day", "2026-1-5", "a day without leading zeros"],
    ["day", "2026-W48", "a week name for a day"],
    ["week", "2025-W53", "week 53 of a year with 52"],
    ["week", "2026-W00", "week 0"],
    ["week", "2026-w48", "a lower-case w"],
    ["week", "2026-11-30", "a day name for a week"],
    ["day", " 2026-11-30", "surrounding space"],
  ])("refuses %s %s (%s)", (window, name) => {
    expect(parsePeriod(window, name)).toBeNull();
  });
});

describe("the same periods as Postgres", () => {
  const sql = postgres(process.env.DATABASE_URL!, { max: 1, onnotice: () => {} });
  afterAll(() => sql.end());

  it("names the day and the ISO week of every day from 2019 to 2028 as date_trunc and to_char do", async () => {
    const rows = await sql<{ at: Date; day: string; week_start: string; week: string }[]>`
      select d as at,
        to_char(date_trunc('day', d at time zone 'UTC'), 'YYYY-MM-DD') as day,
        to_char(date_trunc('week', d at time zone 'UTC'), 'YYYY-MM-DD') as week_start,
        to_char(d at time zone 'UTC', 'IYYY-"W"IW') as week
      from generate_series(timestamptz '2019-01-01 23:59:59.999999+00', timestamptz '2028-12-31 23:59:59.999999+00', interval '1 day') as d`;
    expect(rows.length).toBeGreaterThan(3_600);
    for (const row of rows) {
      const week = periodAt("week", row.at.getTime());
      expect(periodAt("day", row.at.getTime()).name).toBe(row.day);
      expect([week.name, week.startsAt.toISOString().slice(0, 10)]).toEqual([row.week, row.week_start]);
    }
  });
});

describe("boardEventId", () => {
  it("names all-time snapshots by version and period snapshots by period and version", () => {
    expect(boardEventId({ version: 42, period: null })).toBe("42");
    expect(boardEventId({ version: 42, period: "2026-W49" })).toBe("2026-W49:42");
    expect(boardEventId({ version: 0, period: "2026-11-30" })).toBe("2026-11-30:0");
  });
});
