/** This process's logger and metrics. */
import { env } from "~/env.js";
import { processWide } from "~/server/process-wide";
import { createLogger } from "./logger";
import { createMetrics } from "./metrics";

// Route bundles may each load this module; metrics must land in the one registry /api/metrics reads.
export const metrics = processWide("metrics", () => createMetrics({ defaultMetrics: true }));

export const logger = createLogger({ level: env.LOG_LEVEL });

/**
 * An error as one safe line: its first line, without what clients append to messages
 * (@upstash/redis adds "command was: [...]", which can quote keys and arguments).
 */
export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  return error.message.split("\n")[0]!.split(", command was:")[0]!;
}

/**
 * One procedure call's log line and metrics: tRPC's `observe` middleware, and the procedures
 * answered on Node ahead of it (src/server/api/board/node-answers.ts), report alike.
 */
export function recordProcedureCall(call: { path: string; type: string; seconds: number; code: string; reason?: string }) {
  const { path, type, seconds, code, reason } = call;
  metrics.procedureCalls.inc({ path, type, code });
  metrics.procedureSeconds.observe({ path, type }, seconds);
  const line = { path, type, durationMs: Math.round(seconds * 10_000) / 10, outcome: code };
  if (code === "OK") logger.info(line, "procedure");
  else logger[code === "INTERNAL_SERVER_ERROR" ? "error" : "info"]({ ...line, reason }, "procedure");
}
