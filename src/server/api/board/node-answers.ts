/**
 * The two public board requests answered straight on Node's response, ahead of Next.js, where
 * the server is ours (`next start`; src/instrumentation.ts hands requests here).
 *
 * Why: through a route handler, Next.js's per-request machinery costs more than these answers
 * cost to make, and every chunk of a stream passes through its web-stream plumbing, paid per
 * event per stream in CPU and per open stream in memory. Written straight to Node's response, an
 * instance holds many more viewers. The bytes are the same (./answers.ts, ./sse-frames.ts).
 *
 * What is not answered here goes on to Next.js: invalid input (tRPC's errors), a board not in
 * memory yet (the route handler waits for it), and everything where Next.js is not the server
 * (a Vercel function), which the route handler (./http.ts) answers the same way.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

import type { BoardWindow } from "~/lib/board-windows";
import type { LiveBoard } from "~/server/scoring/live-board";
import { parseLiveRequest, parseTopRequest } from "./answers";
import type { LiveFanOut } from "./fan-out";
import type { BoardHttpDeps } from "./http";
import { SSE_HEADERS } from "./sse-frames";

const TOP_PATH = "/api/trpc/leaderboard.top";
const LIVE_PATH = "/api/trpc/leaderboard.live";

/** The route handler's dependencies, but the board only if already in memory and streams on Node's response. */
export type NodeAnswerDeps = Omit<BoardHttpDeps, "live" | "fanOut"> & {
  live: Record<BoardWindow, Pick<LiveBoard, "peek">>;
  fanOut: Record<BoardWindow, Pick<LiveFanOut, "attach">>;
};

/** Answers the request if it is one of the board's; false leaves it to Next.js. */
export function answerOnNode(deps: NodeAnswerDeps, req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method !== "GET" || !req.url) return false;
  if (isPath(req.url, TOP_PATH)) return answerTop(deps, req, res);
  if (isPath(req.url, LIVE_PATH)) return openLiveStream(deps, req, res);
  return false;
}

function isPath(url: string, path: string) {
  return url.startsWith(path) && (url.length === path.length || url[path.length] === "?");
}

function answerTop(deps: NodeAnswerDeps, req: IncomingMessage, res: ServerResponse) {
  const request = parseTopRequest(new URL(req.url!, "http://localhost"));
  const board = request && deps.live[request.window].peek();
  if (!request || !board) return false;
  const ifNoneMatch = req.headers["if-none-match"];
  const { status, headers, body } = deps.answerTop(board, request, typeof ifNoneMatch === "string" ? ifNoneMatch : null);
  res.writeHead(status, headers).end(body ?? undefined);
  deps.onServed("leaderboard.top");
  return true;
}

function openLiveStream(deps: NodeAnswerDeps, req: IncomingMessage, res: ServerResponse) {
  const header = req.headers["last-event-id"];
  const request = parseLiveRequest(new URL(req.url!, "http://localhost"), typeof header === "string" ? header : null);
  if (!request) return false;

  let clientLeft = false;
  res.once("close", () => (clientLeft = true));
  deps.claimStream(nodeHeaders(req)).then(
    (slot) => {
      if (clientLeft) return slot.release();
      res.writeHead(200, SSE_HEADERS);
      // Node buffers what the socket cannot take yet; past its high-water mark the client is behind.
      let saturated = false;
      const stream = deps.fanOut[request.window].attach(request.limit, request.lastEventId, {
        write(frame) {
          if (saturated) return false;
          saturated = !res.write(frame);
          return true;
        },
        end: () => res.end(),
        abort: () => res.destroy(),
      });
      res.on("drain", () => {
        saturated = false;
        stream.drained();
      });
      res.on("close", () => {
        stream.detach();
        slot.release();
      });
      deps.onServed("leaderboard.live");
    },
    async (error: unknown) => {
      const { status, body } = await deps.refuse(error);
      res.writeHead(status, { "content-type": "application/json" }).end(body);
    },
  )
    // Nothing here may take the process down: the client gets a dropped connection and retries.
    .catch(() => res.destroy());
  return true;
}

/** A Node request's headers as `Headers.get` reads them (Node joins repeated ones with ", "). */
function nodeHeaders(req: IncomingMessage): Pick<Headers, "get"> {
  return {
    get(name) {
      const value = req.headers[name.toLowerCase()];
      return typeof value === "string" ? value : null;
    },
  };
}
