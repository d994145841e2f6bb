/** The board's answers and live streams, wired to this process's live board. */
import type { IncomingMessage, ServerResponse } from "node:http";

import { getTRPCErrorFromUnknown } from "@trpc/server";

import { clientIp } from "~/server/client-ip";
import { metrics } from "~/server/observability";
import { processWide } from "~/server/process-wide";
import { liveStreamSlots } from "~/server/redis/stream-slots";
import { liveBoard } from "~/server/scoring";
import { shutdownSignal } from "~/server/shutdown";
import { SSE_SETTINGS } from "../sse-settings";
import { createTopAnswers } from "./answers";
import { createLiveFanOut } from "./fan-out";
import { createBoardHttp } from "./http";
import { answerOnNode } from "./node-answers";

/** Counted as tRPC's procedures are (no latency: the answer is made before the request comes). */
function served(path: "leaderboard.top" | "leaderboard.live") {
  metrics.procedureCalls.inc({ path, type: path === "leaderboard.live" ? "subscription" : "query", code: "OK" });
}

const { fanOut, answerTop } = processWide("board-answers", () => {
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
  return { fanOut: created, answerTop: createTopAnswers() };
});

/** At most LIVE_STREAMS_PER_IP open streams per client, across instances. */
const claimStream = (headers: Pick<Headers, "get">) => liveStreamSlots.claim(clientIp(headers));

/**
 * tRPC's answer for a refusal. Loaded when first needed: the instrumentation hook loads this
 * module, and refusals are rare enough not to bring tRPC's router setup into it up front.
 */
async function refuse(error: unknown) {
  const { errorAnswer } = await import("../trpc");
  return errorAnswer(getTRPCErrorFromUnknown(error));
}

/** GET leaderboard.top and leaderboard.live in the route handler. */
export const boardHttp = createBoardHttp({ live: liveBoard, answerTop, fanOut, onServed: served, claimStream, refuse });

/** GET leaderboard.top and leaderboard.live straight on Node's response, for the instrumentation hook. */
export const answerBoardRequest = (req: IncomingMessage, res: ServerResponse) =>
  answerOnNode({ live: liveBoard, answerTop, fanOut, onServed: served, claimStream, refuse }, req, res);
