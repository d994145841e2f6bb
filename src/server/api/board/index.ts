/** The board's HTTP answers and live streams, wired to this process's live board. */
import type { IncomingMessage, ServerResponse } from "node:http";

import { metrics } from "~/server/observability";
import { processWide } from "~/server/process-wide";
import { liveBoard } from "~/server/scoring";
import { shutdownSignal } from "~/server/shutdown";
import { SSE_SETTINGS } from "../sse-settings";
import { createLiveFanOut } from "./fan-out";
import { createBoardHttp } from "./http";
import { serveLiveOnNode } from "./node-streams";

function served(path: "leaderboard.top" | "leaderboard.live", seconds: number) {
  const type = path === "leaderboard.live" ? "subscription" : "query";
  metrics.procedureCalls.inc({ path, type, code: "OK" });
  metrics.procedureSeconds.observe({ path, type }, seconds);
}

const fanOut = processWide("live-fan-out", () => {
  const created = createLiveFanOut({
    live: liveBoard,
    client: SSE_SETTINGS.client,
    maxDurationMs: SSE_SETTINGS.maxDurationMs,
    pingIntervalMs: SSE_SETTINGS.ping.intervalMs,
  });
  metrics.countLiveSubscribers(() => created.streamCount);
  // On shutdown the server waits for open requests, and live streams never finish by themselves:
  // drop them, so clients reconnect to another instance and resume from their last event id.
  shutdownSignal().addEventListener("abort", () => created.abortAll(shutdownSignal().reason), { once: true });
  return created;
});

/** GET leaderboard.top and leaderboard.live from the route handler. */
export const boardHttp = createBoardHttp({ live: liveBoard, fanOut, onServed: served });

/** GET leaderboard.live straight on Node's response, for the instrumentation hook. */
export const serveLiveRequest = (req: IncomingMessage, res: ServerResponse) =>
  serveLiveOnNode({ fanOut, onServed: () => served("leaderboard.live", 0) }, req, res);
