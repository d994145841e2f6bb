/**
 * Top reads: `leaderboard.top` (limit 10) as the page asks for it, anonymous, from wrk. The small
 * board is compared with the framework's bare route handler; the large one with the small one
 * (what a million users cost). `windows` adds, right after all time's, the same read of today's
 * and this week's board (`window: "day"`, `"week"`), each compared with all time's at the same
 * board size (the bench seeds the board users' day and week scores, so each board holds them).
 */
import type { PeriodWindow } from "../../src/lib/board-windows";
import { topRead } from "../requests";
import { BARE_ROUTE_VARIANT, frameworkAnchor } from "./anchors";
import { compareWith, report, runWrkLoad, type BenchContext, type ResultRow } from "./context";

export const TOP_READS = "top reads";
/** The row of a window's read: `1,000 users, window day`. */
export const topReadsVariant = (boardSize: number, window: PeriodWindow | "all") =>
  `${boardSize.toLocaleString("en")} users${window === "all" ? "" : `, window ${window}`}`;

export async function topReadsScenario(ctx: BenchContext, boardSize: number, windows: PeriodWindow[] = []) {
  const connections = ctx.options.topClients;
  const load = { connections, warmupSeconds: ctx.options.warmupSeconds, seconds: ctx.options.stepSeconds };
  ctx.progress.detail(`${boardSize.toLocaleString("en")} users, ${connections} connections`);
  const result = await runWrkLoad(ctx.apps[0], load, topRead("all"));
  const small = ctx.results.find((row) => row.scenario === TOP_READS);
  const anchor: ResultRow | undefined = small ?? frameworkAnchor(ctx.results, BARE_ROUTE_VARIANT, connections);
  const allTime: ResultRow = { scenario: TOP_READS, variant: topReadsVariant(boardSize, "all"), clients: connections, ...result, ...compareWith(anchor, result.throughput) };
  report(ctx, allTime);
  for (const window of windows) {
    ctx.progress.detail(`${boardSize.toLocaleString("en")} users, window ${window}, ${connections} connections`);
    const windowResult = await runWrkLoad(ctx.apps[0], load, topRead(window));
    report(ctx, { scenario: TOP_READS, variant: topReadsVariant(boardSize, window), clients: connections, ...windowResult, ...compareWith(allTime, windowResult.throughput) });
  }
}
