/**
 * How live streams behave, for tRPC's SSE producer and for the board's own streams alike
 * (src/server/api/board/fan-out.ts), which must look the same to the client.
 */

/** The time a stream needs to end cleanly before the platform stops the function it runs in. */
export const STREAM_CLOSE_MARGIN_MS = 20_000;

export const SSE_SETTINGS = {
  // At least STREAM_CLOSE_MARGIN_MS below the route's maxDuration (src/app/api/trpc/[trpc]/route.ts;
  // route.test.ts and check:vercel hold them apart): the server ends the stream cleanly and the
  // client resumes from its last event id.
  maxDurationMs: 280_000,
  // Proxies cut idle streams; a ping every 15 s keeps them open.
  ping: { enabled: true, intervalMs: 15_000 },
  // No ping for this long means the stream is dead: reconnect.
  client: { reconnectAfterInactivityMs: 40_000 },
};
