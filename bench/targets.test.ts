import { describe, expect, it } from "vitest";

import { parseOptions } from "./options";
import type { ResultRow } from "./scenarios/context";
import { TOP_READS, topReadsVariant } from "./scenarios/top";
import { ALL_TIME_ONLY, THREE_BOARDS, WINDOW_COST, windowCostVariant } from "./scenarios/window-cost";
import { evaluateTargets } from "./targets";

const options = parseOptions([]);
const latency = { count: 100, p50: 1, p95: 2, p99: 3, max: 4, mean: 1 };

const costRows = (rates: Record<number, [one: number, three: number]>): ResultRow[] =>
  Object.entries(rates).flatMap(([clients, [one, three]]) => [
    { scenario: WINDOW_COST, variant: windowCostVariant(ALL_TIME_ONLY, Number(clients)), clients: Number(clients), throughput: one, latency },
    { scenario: WINDOW_COST, variant: windowCostVariant(THREE_BOARDS, Number(clients)), clients: Number(clients), throughput: three, latency },
  ]);

const topRows = (all: number, day: number, week: number): ResultRow[] => [
  { scenario: TOP_READS, variant: topReadsVariant(options.boardUsers, "all"), clients: 64, throughput: all, latency },
  { scenario: TOP_READS, variant: topReadsVariant(options.boardUsers, "day"), clients: 64, throughput: day, latency, ratio: day / all },
  { scenario: TOP_READS, variant: topReadsVariant(options.boardUsers, "week"), clients: 64, throughput: week, latency, ratio: week / all },
];

const target = (rows: ResultRow[], starts: string) => evaluateTargets(rows, options).find((result) => result.target.startsWith(starts))!;

describe("issue 17's targets", () => {
  it("a submit with three boards: the cost is the all-time-only rate over the three boards' rate, met at ≤ 1.1× at every concurrency", () => {
    const met = target(costRows({ 1: [1000, 950], 64: [2000, 1850] }), "a submit with three boards");
    expect(met.verdict).toBe("met");
    expect(met.measured).toBe("1 in flight: 1.05× (950/s with three); 64 in flight: 1.08× (1,850/s with three)");
    expect(met.comparedWith).toContain("1,000/s at 1, 2,000/s at 64");
    expect(target(costRows({ 1: [1000, 950], 64: [2000, 1800] }), "a submit with three boards").verdict).toBe("not met");
    expect(target(costRows({ 1: [1000, 950] }), "a submit with three boards").verdict).toBe("not met");
    expect(target([], "a submit with three boards").verdict).toBe("not measured");
  });

  it("top reads of a window: each of day and week at least 0.9× all time's", () => {
    const met = target(topRows(10_000, 9_500, 10_200), "leaderboard.top of the day and week boards");
    expect(met.verdict).toBe("met");
    expect(met.measured).toBe("day 0.95× (9,500/s, p99 3.0 ms); week 1.02× (10,200/s, p99 3.0 ms)");
    expect(target(topRows(10_000, 8_900, 10_200), "leaderboard.top of the day and week boards").verdict).toBe("not met");
    expect(target(topRows(10_000, 9_500, 10_200).slice(0, 2), "leaderboard.top of the day and week boards").verdict).toBe("not measured");
  });
});
