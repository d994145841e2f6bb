/** Scenario 4 — top reads: `leaderboard.top` (limit 10) as the browser asks for it, anonymous, closed loop. */
import { formatRow, runHttpLoad, type BenchContext } from "./context";

export async function topReadsScenario(ctx: BenchContext, boardSize: number) {
  const [app] = ctx.apps;
  const clients = ctx.options.topClients;
  ctx.progress.detail(`${boardSize.toLocaleString("en")} users, ${clients} clients`);
  const result = await runHttpLoad(
    ctx,
    {
      kind: "http",
      origin: app.url,
      concurrency: clients,
      warmupMs: ctx.options.warmupSeconds * 1000,
      durationMs: ctx.options.stepSeconds * 1000,
      request: { type: "top", limit: 10 },
    },
    app.pid,
  );
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
