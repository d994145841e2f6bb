/**
 * The two public board requests, answered without tRPC's per-request pipeline: every viewer
 * asks the same question, so the answer is made once per board and served to all of them.
 *
 * - `GET leaderboard.top`: the tRPC answer's bytes, encoded once per board and limit, with an
 *   ETag (answering If-None-Match with 304) and public caching headers, so a CDN and polling
 *   clients absorb read load. The board comes from the instance's memory (LiveBoard.current).
 * - `GET leaderboard.live`: an SSE stream fed with pre-encoded frames (./fan-out.ts).
 *
 * Only requests the procedures' own input schemas accept are served here; anything else (bad
 * input, batches of several calls, other methods) goes to tRPC, which answers with the spec's
 * errors. board-http.test.ts holds these answers against tRPC's byte for byte.
 */
import { createHash } from "node:crypto";

import superjson from "superjson";

import type { Board } from "~/server/scoring/board";
import { sliceBoard, type LiveBoard } from "~/server/scoring/live";
import { liveInput, topInput } from "../routers/inputs";
import type { LiveFanOut } from "./fan-out";
import { SSE_HEADERS } from "./sse-frames";

const ENDPOINT = "/api/trpc/";
/** Shared caches may serve an answer for a second and revalidate in the background for a few more. */
export const PUBLIC_BOARD_CACHE_CONTROL = "public, s-maxage=1, stale-while-revalidate=5";

type EncodedAnswer = { single: string; batch: string; etag: string };

export function createBoardHttp(deps: {
  live: Pick<LiveBoard, "current">;
  fanOut: Pick<LiveFanOut, "openWebStream">;
  /** Counts each answered call, as tRPC's procedures are counted. */
  onServed: (path: "leaderboard.top" | "leaderboard.live", seconds: number) => void;
}) {
  const answers = new WeakMap<Board, Map<number, EncodedAnswer>>();

  /** The answer to `leaderboard.top` for a board and limit, made once however many read it. */
  function answerFor(board: Board, limit: number): EncodedAnswer {
    let byLimit = answers.get(board);
    if (!byLimit) answers.set(board, (byLimit = new Map()));
    let answer = byLimit.get(limit);
    if (!answer) {
      const single = JSON.stringify({ result: { data: superjson.serialize(sliceBoard(board, limit)) } });
      const etag = `"${createHash("sha1").update(single).digest("base64url")}"`;
      answer = { single, batch: `[${single}]`, etag };
      byLimit.set(limit, answer);
    }
    return answer;
  }

  async function serveTop(req: Request, url: URL, batch: boolean): Promise<Response | null> {
    const input = decodeInput(url.searchParams.get("input"), batch);
    if (input === INVALID) return null;
    const parsed = topInput.safeParse(input);
    if (!parsed.success) return null;
    const started = performance.now();
    const answer = answerFor(await deps.live.current(), parsed.data.limit);
    const headers = {
      "content-type": "application/json",
      "cache-control": PUBLIC_BOARD_CACHE_CONTROL,
      etag: answer.etag,
      vary: "trpc-accept, accept",
    };
    deps.onServed("leaderboard.top", (performance.now() - started) / 1000);
    if (matchesEtag(req.headers.get("if-none-match"), answer.etag)) return new Response(null, { status: 304, headers });
    return new Response(batch ? answer.batch : answer.single, { headers });
  }

  function serveLive(req: Request, url: URL): Response | null {
    const request = parseLiveRequest(url, req.headers.get("last-event-id"));
    if (!request) return null;
    const stream = deps.fanOut.openWebStream(request.limit, request.lastEventId);
    deps.onServed("leaderboard.live", 0);
    return new Response(stream, { headers: SSE_HEADERS });
  }

  return {
    /** The answer when this is a request served here, else null (hand it to tRPC). */
    async handle(req: Request): Promise<Response | null> {
      if (req.method !== "GET") return null;
      const url = new URL(req.url);
      const path = url.pathname.slice(url.pathname.indexOf(ENDPOINT) + ENDPOINT.length);
      const batch = url.searchParams.get("batch") === "1";
      if (path === "leaderboard.top") return serveTop(req, url, batch);
      if (path === "leaderboard.live" && !batch) return serveLive(req, url);
      return null;
    },
  };
}

/**
 * A `leaderboard.live` request the procedure's schema accepts, as tRPC would read it: the input
 * from the query string, the id of the client's last event from where tRPC looks for it (the
 * Last-Event-ID header EventSource sends on reconnect, or the query); null when tRPC should answer.
 */
export function parseLiveRequest(url: URL, lastEventIdHeader: string | null): { limit: number; lastEventId: string | null } | null {
  if (url.searchParams.get("batch") === "1") return null;
  const input = decodeInput(url.searchParams.get("input"), false);
  if (input === INVALID) return null;
  const lastEventId = lastEventIdHeader ?? url.searchParams.get("lastEventId") ?? url.searchParams.get("Last-Event-Id");
  const merged = lastEventId ? (isObject(input) ? { ...input, lastEventId } : (input ?? { lastEventId })) : input;
  const parsed = liveInput.safeParse(merged);
  return parsed.success ? { limit: parsed.data.limit, lastEventId: parsed.data.lastEventId ?? null } : null;
}

const INVALID = Symbol("invalid input");

/** A call's input as tRPC decodes it (JSON, then superjson); INVALID when tRPC would refuse it. */
function decodeInput(raw: string | null, batch: boolean): unknown {
  if (raw === null) return undefined;
  try {
    const parsed: unknown = JSON.parse(raw);
    const envelope = batch ? (isObject(parsed) ? parsed["0"] : INVALID) : parsed;
    if (envelope === INVALID) return INVALID;
    if (batch && isObject(parsed) && Object.keys(parsed).some((key) => key !== "0")) return INVALID;
    if (envelope === undefined) return undefined;
    // Inputs never carry superjson metadata (no procedure takes a Date, Map or BigInt).
    if (!isObject(envelope) || "meta" in envelope) return INVALID;
    return envelope.json;
  } catch {
    return INVALID;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** If-None-Match holds our ETag (weak or strong, alone or in a list, or `*`). */
function matchesEtag(header: string | null, etag: string) {
  if (!header) return false;
  return header.split(",").some((candidate) => {
    const tag = candidate.trim();
    return tag === "*" || tag === etag || tag === `W/${etag}`;
  });
}
