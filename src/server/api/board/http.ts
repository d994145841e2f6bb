/**
 * The two public board requests in the route handler, answered without tRPC's per-request
 * pipeline: every viewer asks the same question, so the answer is made once per board
 * (./answers.ts) and served to all of them. Where the server is ours, most of these requests
 * never get here: they are answered on Node's response first (./node-answers.ts).
 *
 * Only requests the procedures' own input schemas accept are served here; anything else (bad
 * input, batches of several calls, other methods) goes to tRPC, which answers with the spec's
 * errors. board-http.test.ts holds these answers against tRPC's byte for byte.
 */
import type { BoardWindow } from "~/lib/board-windows";
import type { StreamSlot } from "~/server/redis/stream-slots";
import type { LiveBoard } from "~/server/scoring/live-board";
import { parseLiveRequest, parseTopRequest, type createTopAnswers } from "./answers";
import type { LiveFanOut } from "./fan-out";
import { SSE_HEADERS } from "./sse-frames";

/** A refusal in tRPC's error shape. */
export type ErrorAnswer = { status: number; body: string };

const ENDPOINT = "/api/trpc/";

export type BoardHttpDeps = {
  /** Each window's live board. */
  live: Record<BoardWindow, Pick<LiveBoard, "current">>;
  answerTop: ReturnType<typeof createTopAnswers>;
  /** Each window's streams. */
  fanOut: Record<BoardWindow, Pick<LiveFanOut, "openWebStream">>;
  /** Counts each answered call, as tRPC's procedures are counted. */
  onServed: (path: "leaderboard.top" | "leaderboard.live") => void;
  /** A slot for a new stream of the client these headers name; throws RATE_LIMITED over the client's limit. */
  claimStream: (headers: Pick<Headers, "get">) => Promise<StreamSlot>;
  /** The answer tRPC would give for an error. */
  refuse: (error: unknown) => Promise<ErrorAnswer>;
};

export function createBoardHttp(deps: BoardHttpDeps) {
  return {
    /** The answer when this is a request served here, else null (hand it to tRPC). */
    async handle(req: Request): Promise<Response | null> {
      if (req.method !== "GET") return null;
      const url = new URL(req.url);
      const path = url.pathname.slice(url.pathname.indexOf(ENDPOINT) + ENDPOINT.length);
      if (path === "leaderboard.top") {
        const request = parseTopRequest(url);
        if (!request) return null;
        const board = await deps.live[request.window].current().catch(() => null);
        // No board at all (Redis and Postgres both failed): tRPC answers with the spec's 503.
        if (!board) return null;
        const { status, headers, body } = deps.answerTop(board, request, req.headers.get("if-none-match"));
        deps.onServed("leaderboard.top");
        return new Response(body, { status, headers });
      }
      if (path === "leaderboard.live") {
        const request = parseLiveRequest(url, req.headers.get("last-event-id"));
        if (!request) return null;
        let slot: StreamSlot;
        try {
          slot = await deps.claimStream(req.headers);
        } catch (error) {
          const { status, body } = await deps.refuse(error);
          return new Response(body, { status, headers: { "content-type": "application/json" } });
        }
        const stream = deps.fanOut[request.window].openWebStream(request.limit, request.lastEventId, slot.release);
        deps.onServed("leaderboard.live");
        return new Response(stream, { headers: SSE_HEADERS });
      }
      return null;
    },
  };
}
