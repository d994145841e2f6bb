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
import type { LiveBoard } from "~/server/scoring/live-board";
import { parseLiveRequest, parseTopRequest, type createTopAnswers } from "./answers";
import type { LiveFanOut } from "./fan-out";
import { SSE_HEADERS } from "./sse-frames";

const ENDPOINT = "/api/trpc/";

export function createBoardHttp(deps: {
  live: Pick<LiveBoard, "current">;
  answerTop: ReturnType<typeof createTopAnswers>;
  fanOut: Pick<LiveFanOut, "openWebStream">;
  /** Counts each answered call, as tRPC's procedures are counted. */
  onServed: (path: "leaderboard.top" | "leaderboard.live") => void;
}) {
  return {
    /** The answer when this is a request served here, else null (hand it to tRPC). */
    async handle(req: Request): Promise<Response | null> {
      if (req.method !== "GET") return null;
      const url = new URL(req.url);
      const path = url.pathname.slice(url.pathname.indexOf(ENDPOINT) + ENDPOINT.length);
      if (path === "leaderboard.top") {
        const request = parseTopRequest(url);
        if (!request) return null;
        const board = await deps.live.current().catch(() => null);
        // No board at all (Redis and Postgres both failed): tRPC answers with the spec's 503.
        if (!board) return null;
        const { status, headers, body } = deps.answerTop(board, request, req.headers.get("if-none-match"));
        deps.onServed("leaderboard.top");
        return new Response(body, { status, headers });
      }
      if (path === "leaderboard.live") {
        const request = parseLiveRequest(url, req.headers.get("last-event-id"));
        if (!request) return null;
        const stream = deps.fanOut.openWebStream(request.limit, request.lastEventId);
        deps.onServed("leaderboard.live");
        return new Response(stream, { headers: SSE_HEADERS });
      }
      return null;
    },
  };
}
