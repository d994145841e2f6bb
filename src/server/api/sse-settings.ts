/**
 * How live streams behave, for tRPC's SSE producer and for the board's own streams alike
 * (src/server/api/board/fan-out.ts), which must look the same to the client.
 */
import { env } from "~/env.js";
import { sseMaxDurationMs } from "~/lib/function-duration.js";

export const SSE_SETTINGS = {
  // Below the route's maxDuration (src/app/api/trpc/[trpc]/route.ts): the server ends the
  // stream cleanly and the client resumes from its last event id.
  maxDurationMs: sseMaxDurationMs(env.TRPC_MAX_DURATION),
  // Proxies cut idle streams; a ping every 15 s keeps them open.
  ping: { enabled: true, intervalMs: 15_000 },
  // No ping for this long means the stream is dead: reconnect.
  client: { reconnectAfterInactivityMs: 40_000 },
};
