/**
 * How long one tRPC function invocation may run (Vercel's `maxDuration`), and so how long a
 * live stream lasts before the server ends it and the client resumes by `lastEventId`.
 *
 * One setting, `TRPC_MAX_DURATION` (seconds, default 300), read by both sides:
 * - the route's `export const maxDuration` (src/app/api/trpc/[trpc]/route.ts). Next.js reads
 *   route segment config only as a literal, and Vercel lets that literal win over any
 *   `functions` entry in vercel.json, so the literal cannot follow the env by itself: the
 *   production build (next.config.js) refuses a literal that differs from TRPC_MAX_DURATION;
 * - tRPC's `sse.maxDurationMs` (src/server/api/trpc.ts), derived at runtime by
 *   `sseMaxDurationMs`, always below the function's limit.
 * Plain JS: next.config.js imports it.
 */
export const DEFAULT_TRPC_MAX_DURATION = 300;
/** Vercel's range for a function's maxDuration (800 s is the ceiling on Pro and Enterprise). */
export const MAX_DURATION_RANGE = { min: 10, max: 800 };
export const TRPC_ROUTE_FILE = "src/app/api/trpc/[trpc]/route.ts";

/**
 * The live stream's lifetime for a function limit: 10 % (at most 20 s) short of it, so the
 * server closes the stream cleanly before the platform kills the invocation.
 * @param {number} maxDurationSeconds
 */
export function sseMaxDurationMs(maxDurationSeconds) {
  return maxDurationSeconds * 1000 - Math.min(20_000, maxDurationSeconds * 100);
}

/**
 * The number a route module exports as `maxDuration`, or null when it exports none or a
 * non-literal (which Next.js would not read either).
 * @param {string} source
 */
export function exportedMaxDuration(source) {
  const match = /^export\s+const\s+maxDuration\s*=\s*([0-9_]+)\s*;/m.exec(source);
  return match?.[1] ? Number(match[1].replaceAll("_", "")) : null;
}

/**
 * Throws when the tRPC route's literal and TRPC_MAX_DURATION disagree (or the literal is missing).
 * @param {number} configured seconds, from env.TRPC_MAX_DURATION
 * @param {string} routeSource the text of TRPC_ROUTE_FILE
 */
export function assertRouteMaxDuration(configured, routeSource) {
  const declared = exportedMaxDuration(routeSource);
  if (declared === null) {
    throw new Error(`${TRPC_ROUTE_FILE} must export maxDuration as a number literal (Next.js reads no other form)`);
  }
  if (declared !== configured) {
    throw new Error(
      `TRPC_MAX_DURATION is ${configured} s but ${TRPC_ROUTE_FILE} exports maxDuration = ${declared}. ` +
        "Next.js reads only a literal there, so change both to the same value.",
    );
  }
}
