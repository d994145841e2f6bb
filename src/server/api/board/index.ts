/** The board's answers and live streams, wired to this process's live board on first use. */
import type { IncomingMessage, ServerResponse } from "node:http";

import { getTRPCErrorFromUnknown } from "@trpc/server";

import type { BoardWindow } from "~/lib/board-windows";
import { readSession } from "~/server/auth/session";
import { services } from "~/server/composition-root";
import { metrics, recordProcedureCall } from "~/server/observability";
import { processWide } from "~/server/process-wide";
import { shutdownSignal } from "~/server/shutdown";
import { SSE_SETTINGS } from "../sse-settings";
import { admitLiveStream } from "./admission";
import { createTopAnswers } from "./answers";
import { createLiveFanOut } from "./fan-out";
import { createBoardHttp, type BoardHttpDeps } from "./http";
import { answerOnNode, standingReader, type NodeAnswerDeps } from "./node-answers";

/** Counted as tRPC's procedures are (no latency: the answer is made before the request comes). */
function served(path: "leaderboard.top" | "leaderboard.live") {
  metrics.procedureCalls.inc({ path, type: path === "leaderboard.live" ? "subscription" : "query", code: "OK" });
}

/**
 * tRPC's answer for a refusal. Loaded when first needed: the instrumentation hook loads this
 * module, and refusals are rare enough not to bring tRPC's router setup into it up front.
 */
async function refuse(error: unknown) {
  const { errorAnswer } = await import("../trpc");
  return errorAnswer(getTRPCErrorFromUnknown(error));
}

/** One fan-out per window and one answer cache per process, shared by both ways of answering. */
const boardAnswers = () =>
  processWide("board-answers", () => {
    const live = services.liveBoards;
    const fanOutOf = (window: BoardWindow) =>
      createLiveFanOut({
        live: live[window],
        client: SSE_SETTINGS.client,
        maxDurationMs: SSE_SETTINGS.maxDurationMs,
        pingIntervalMs: SSE_SETTINGS.ping.intervalMs,
      });
    const fanOut = { all: fanOutOf("all"), week: fanOutOf("week"), day: fanOutOf("day") };
    const fanOuts = Object.values(fanOut);
    metrics.countLiveSubscribers(() => fanOuts.reduce((count, windowFanOut) => count + windowFanOut.streamCount, 0));
    // On shutdown the server waits for open requests, and live streams never finish by themselves:
    // drop them, so clients reconnect to another instance and resume from their last event id.
    shutdownSignal().addEventListener("abort", () => fanOuts.forEach((windowFanOut) => windowFanOut.abortAll(shutdownSignal().reason)), { once: true });
    const deps: BoardHttpDeps & NodeAnswerDeps = {
      live,
      answerTop: createTopAnswers(),
      fanOut,
      onServed: served,
      claimStream: (headers) => admitLiveStream(services.liveStreamSlots, headers),
      refuse,
      standing: { readSession, read: standingReader(services.leaderboard), recordCall: recordProcedureCall },
    };
    return { deps, http: createBoardHttp(deps) };
  });

/** GET leaderboard.top and leaderboard.live in the route handler. */
export const boardHttp = {
  handle: (req: Request) => boardAnswers().http.handle(req),
};

/**
 * GET leaderboard.top, leaderboard.live, and a player's leaderboard.me and leaderboard.around,
 * straight on Node's response, for the instrumentation hook (`passOn` hands a request to Next.js).
 */
export const answerBoardRequest = (req: IncomingMessage, res: ServerResponse, passOn: () => void) => answerOnNode(boardAnswers().deps, req, res, passOn);
