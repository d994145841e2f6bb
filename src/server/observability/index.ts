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
