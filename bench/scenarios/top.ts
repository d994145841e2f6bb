/**
 * Top reads: `leaderboard.top` (limit 10) as the page asks for it, anonymous, from wrk. The small
 * board is compared with the framework's bare route handler; the large one with the small one
 * (what a million users cost).
 */
import { topRead } from "../requests";
import { BARE_ROUTE_VARIANT, frameworkAnchor } from "./anchors";
import { compareWith, report, runWrkLoad, type BenchContext, type ResultRow } from "./context";

export const TOP_READS = "top reads";

export async function topReadsScenario(ctx: BenchContext, boardSize: number) {
  const connections = ctx.options.topClients;
  ctx.progress.detail(`${boardSize.toLocaleString("en")} users, ${connections} connections`);
  const result = await runWrkLoad(ctx.apps[0], { connections, warmupSeconds: ctx.options.warmupSeconds, seconds: ctx.options.stepSeconds }, topRead);
  const small = ctx.results.find((row) => row.scenario === TOP_READS);
  const anchor: ResultRow | undefined = small ?? frameworkAnchor(ctx.results, BARE_ROUTE_VARIANT, connections);
  report(ctx, {
    scenario: TOP_READS,
    variant: `${boardSize.toLocaleString("en")} users`,
    clients: connections,
    ...result,
    ...compareWith(anchor, result.throughput),
  });
}
