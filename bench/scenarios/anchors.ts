/**
 * The framework anchors (bench/anchor-app.ts): what Next.js, tRPC, superjson, zod and the
 * next-auth session cost with nothing of the product behind them, under the same wrk load as
 * the product's scenarios. Top reads are compared with the bare route handler, submits with the
 * signed-in no-op mutation at the same connection count.
 */
import { bareRoute, submits } from "../requests";
import { report, runWrkLoad, type BenchContext, type ResultRow, type RunningApp } from "./context";

export const FRAMEWORK_ANCHOR = "framework anchor";
export const BARE_ROUTE_VARIANT = "bare route handler";
export const NO_OP_MUTATION_VARIANT = "signed-in tRPC no-op mutation";
const variantAt = (kind: string, connections: number) => `${kind}, ${connections} connections`;

export async function frameworkAnchorScenario(ctx: BenchContext, anchorApp: RunningApp) {
  const load = (connections: number) => ({ connections, warmupSeconds: ctx.options.warmupSeconds, seconds: ctx.options.stepSeconds });
  const bare = variantAt(BARE_ROUTE_VARIANT, ctx.options.topClients);
  ctx.progress.detail(bare);
  report(ctx, { scenario: FRAMEWORK_ANCHOR, variant: bare, clients: ctx.options.topClients, ...(await runWrkLoad(anchorApp, load(ctx.options.topClients), bareRoute)) });
  // The same requests as the submit scenario's: the anchor decodes the cookie and parses the input, then does nothing.
  const requests = submits(ctx.boardUsers, ctx.tokenKey);
  for (const connections of ctx.options.clientCounts) {
    const noOp = variantAt(NO_OP_MUTATION_VARIANT, connections);
    ctx.progress.detail(noOp);
    report(ctx, { scenario: FRAMEWORK_ANCHOR, variant: noOp, clients: connections, ...(await runWrkLoad(anchorApp, load(connections), requests)) });
  }
}

/** The anchor row a product row is compared with: that kind of request at the same connection count. */
export function frameworkAnchor(results: ResultRow[], kind: string, connections: number) {
  return results.find((row) => row.scenario === FRAMEWORK_ANCHOR && row.variant === variantAt(kind, connections));
}
