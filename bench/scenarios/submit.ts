/**
 * Scenario 1 — submits: signed-in users completing pre-started actions (COMPLETE_TASK, started
 * 3 s ago) over HTTP exactly as the browser's tRPC client sends them, closed loop at each
 * client count. Round robin over all board users keeps each one under the per-user rate
 * limit, which stays on.
 */
import { formatRow, runHttpLoad, type BenchContext } from "./context";

export async function submitScenario(ctx: BenchContext) {
  for (const clients of ctx.options.clientCounts) {
    ctx.progress.detail(`${clients} clients`);
    const result = await runHttpLoad(ctx, clients, { type: "submit", users: ctx.boardUsers, tokenKey: ctx.tokenKey.toString("base64") });
    const row = { scenario: "submit", variant: `${clients} clients`, clients, ...result };
    ctx.results.push(row);
    ctx.progress.log(formatRow(row));
  }
}
