/**
 * The requests every open page repeats, answered straight on Node's response, ahead of Next.js,
 * where the server is ours (`next start`; src/instrumentation.ts hands requests here): the two
 * public board requests (`leaderboard.top`, `leaderboard.live`), and the signed-in player's
 * standing reads (`leaderboard.me`, `leaderboard.around` of a current board), which each page
 * repeats after its own submits and after frames that could move the player.
 *
 * Why: through a route handler, Next.js's per-request machinery costs several times what these
 * answers cost to make, and every chunk of a stream passes through its web-stream plumbing, paid
 * per event per stream in CPU and per open stream in memory. Written straight to Node's response,
 * an instance holds many more viewers. The bytes are the same (./answers.ts, ./sse-frames.ts),
 * and so is the standing reads' session (readSession) and resolver (the leaderboard's).
 *
 * What is not answered here goes on to Next.js: invalid input, a missing or bad session, a user
 * who no longer exists, any error (tRPC answers and logs them as the spec says), a board not in
 * memory yet (the route handler waits for it), and everything where Next.js is not the server (a
 * Vercel function), which the route handler (./http.ts) and tRPC answer the same way.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

import type { Session } from "next-auth";

import type { BoardWindow } from "~/lib/board-windows";
import { cookiesOfHeader, SESSION_COOKIE_NAME } from "~/server/auth/session-cookie";
import type { recordProcedureCall } from "~/server/observability";
import { runInRequest, setRequestUser } from "~/server/observability/request-context";
import type { Leaderboard } from "~/server/scoring/leaderboard";
import type { LiveBoard } from "~/server/scoring/live-board";
import { encodeQueryAnswer, parseLiveRequest, parseStandingRequest, parseTopRequest, STANDING_PROCEDURES, type StandingCall, type StandingRequest } from "./answers";
import type { LiveFanOut } from "./fan-out";
import type { BoardHttpDeps } from "./http";
import { SSE_HEADERS } from "./sse-frames";

const TRPC_PATH = "/api/trpc/";
const TOP_PATH = `${TRPC_PATH}leaderboard.top`;
const LIVE_PATH = `${TRPC_PATH}leaderboard.live`;

/** The route handler's dependencies, but the board only if already in memory and streams on Node's response; and the standing reads'. */
export type NodeAnswerDeps = Omit<BoardHttpDeps, "live" | "fanOut"> & {
  live: Record<BoardWindow, Pick<LiveBoard, "peek">>;
  fanOut: Record<BoardWindow, Pick<LiveFanOut, "attach">>;
  standing: StandingDeps;
};

export type StandingDeps = {
  /** The session these cookies carry (src/server/auth/session.ts). */
  readSession: (cookies: { name: string; value: string }[]) => Promise<Session | null>;
  /** The call's answer for this user, as its procedure resolves it; null when the user no longer exists. */
  read: (call: StandingCall, userId: string) => Promise<unknown>;
  /** Logs and counts each call as tRPC's procedures are. */
  recordCall: typeof recordProcedureCall;
};

/** What leaderboard.me and leaderboard.around resolve to (src/server/api/routers/leaderboard.ts); null: the user no longer exists. */
export function standingReader(leaderboard: Pick<Leaderboard, "standing" | "around">): StandingDeps["read"] {
  return (call, userId) => (call.path === "leaderboard.me" ? leaderboard.standing(userId, call.window) : leaderboard.around(userId, call.window, call.radius));
}

/**
 * Answers the request if it is one answered here (true); false leaves it to Next.js at once.
 * `passOn` hands a request taken here to Next.js after all (a standing read that tRPC must answer).
 */
export function answerOnNode(deps: NodeAnswerDeps, req: IncomingMessage, res: ServerResponse, passOn: () => void): boolean {
  if (req.method !== "GET" || !req.url) return false;
  if (isPath(req.url, TOP_PATH)) return answerTop(deps, req, res);
  if (isPath(req.url, LIVE_PATH)) return openLiveStream(deps, req, res);
  if (req.url.startsWith(TRPC_PATH)) return answerStanding(deps.standing, req, res, passOn);
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

/**
 * `leaderboard.me` / `leaderboard.around` of a current board for a request carrying a session
 * cookie: read here when the session is good and every call answers; else (an expired or forged
 * cookie, a user who no longer exists, an error) handed on to Next.js, whose tRPC answers it.
 */
function answerStanding(deps: StandingDeps, req: IncomingMessage, res: ServerResponse, passOn: () => void): boolean {
  const url = new URL(req.url!, "http://localhost");
  const procedures = url.pathname.slice(TRPC_PATH.length).split(",");
  if (!procedures.every((path) => (STANDING_PROCEDURES as readonly string[]).includes(path))) return false;
  const request = parseStandingRequest(procedures, url);
  const cookies = cookiesOfHeader(req.headers.cookie);
  // Signed out: tRPC's UNAUTHENTICATED, at once.
  if (!request || !cookies.some((cookie) => cookie.name.startsWith(SESSION_COOKIE_NAME))) return false;
  runInRequest(nodeHeaders(req), () => readStanding(deps, request, cookies))
    .then((body) => {
      if (body === null) return passOn();
      res.writeHead(200, { "content-type": "application/json", "cache-control": "private, no-store", vary: "trpc-accept, accept" }).end(body);
    }, passOn)
    // Nothing here may take the process down: the client gets a dropped connection and retries.
    .catch(() => res.destroy());
  return true;
}

/** The answer's bytes, or null when tRPC must answer (no session, a user no longer there). */
async function readStanding(deps: StandingDeps, request: StandingRequest, cookies: { name: string; value: string }[]): Promise<string | null> {
  const session = await deps.readSession(cookies);
  // As protectedProcedure: a session that names nobody is no session.
  if (!session?.user.id) return null;
  setRequestUser(session.user.id);
  const answers = await Promise.all(
    request.calls.map(async (call) => {
      const started = performance.now();
      const data = await deps.read(call, session.user.id);
      return { call, data, seconds: (performance.now() - started) / 1000 };
    }),
  );
  if (answers.some((answer) => answer.data === null)) return null;
  for (const { call, seconds } of answers) deps.recordCall({ path: call.path, type: "query", seconds, code: "OK" });
  return encodeQueryAnswer(
    answers.map((answer) => answer.data),
    request.batch,
  );
}
