/** The board's HTTP answers and live streams, wired to this process's live board. */
import { metrics } from "~/server/observability";
import { liveBoard } from "~/server/scoring";
import { shutdownSignal } from "~/server/shutdown";
import { SSE_SETTINGS } from "../sse-settings";
import { createLiveFanOut } from "./fan-out";
import { createBoardHttp } from "./http";

const fanOut = createLiveFanOut({
  live: liveBoard,
  client: SSE_SETTINGS.client,
  maxDurationMs: SSE_SETTINGS.maxDurationMs,
  pingIntervalMs: SSE_SETTINGS.ping.intervalMs,
});
metrics.countLiveSubscribers(() => fanOut.streamCount);

// On shutdown the server waits for open requests, and live streams never finish by themselves:
// drop them, so clients reconnect to another instance and resume from their last event id.
shutdownSignal().addEventListener("abort", () => fanOut.abortAll(shutdownSignal().reason), { once: true });

export const boardHttp = createBoardHttp({
  live: liveBoard,
  fanOut,
  onServed(path, seconds) {
    metrics.procedureCalls.inc({ path, type: path === "leaderboard.live" ? "subscription" : "query", code: "OK" });
    metrics.procedureSeconds.observe({ path, type: path === "leaderboard.live" ? "subscription" : "query" }, seconds);
  },
});
