/**
 * Submits: signed-in users completing actions started 3 s earlier, as the browser sends them,
 * from wrk at each connection count; each compared with the framework's signed-in no-op
 * mutation at the same count (the same requests). Round robin over all board users keeps each
 * one under the per-user rate limit, which stays on.
 */
import { submits } from "../requests";
import { frameworkAnchor, NO_OP_MUTATION_VARIANT } from "./anchors";
import { compareWith, report, runWrkLoad, type BenchContext } from "./context";

export const SUBMIT = "submit";

export async function submitScenario(ctx: BenchContext) {
  const requests = submits(ctx.boardUsers, ctx.tokenKey);
  for (const connections of ctx.options.clientCounts) {
    ctx.progress.detail(`${connections} connections`);
    const result = await runWrkLoad(ctx.apps[0], { connections, warmupSeconds: ctx.options.warmupSeconds, seconds: ctx.options.stepSeconds }, requests);
    report(ctx, {
      scenario: SUBMIT,
      variant: `${connections} connections`,
      clients: connections,
      ...result,
      ...compareWith(frameworkAnchor(ctx.results, NO_OP_MUTATION_VARIANT, connections), result.throughput),
    });
  }
}
