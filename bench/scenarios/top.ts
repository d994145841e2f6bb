/** Scenario 4 — top reads: `leaderboard.top` (limit 10) as the browser asks for it, anonymous, closed loop. */
import { formatRow, runHttpLoad, type BenchContext } from "./context";

export async function topReadsScenario(ctx: BenchContext, boardSize: number) {
  const clients = ctx.options.topClients;
  ctx.progress.detail(`${boardSize.toLocaleString("en")} users, ${clients} clients`);
  const result = await runHttpLoad(ctx, clients, { type: "top", limit: 10 });
  const small = ctx.results.find((row) => row.scenario === "top reads");
  const row = {
    scenario: "top reads",
    variant: `${boardSize.toLocaleString("en")} users`,
    clients,
    ...result,
    // The large board is compared with the small one: how much a million users cost.
    ...(small?.throughput ? { anchor: { name: `top reads, ${small.variant}`, throughput: small.throughput }, ratio: result.throughput / small.throughput } : {}),
  };
  ctx.results.push(row);
  ctx.progress.log(formatRow(row));
}
