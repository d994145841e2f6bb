/**
 * What the two public board requests ask, read as tRPC would read them, and the answer to
 * `leaderboard.top`, made once per board and limit however many viewers ask. Shared by the route
 * handler (./http.ts) and the answers written on Node's response (./node-answers.ts); both leave
 * anything these parsers refuse to tRPC, which answers with the spec's errors.
 */
import { createHash } from "node:crypto";

import superjson from "superjson";

import type { BoardWindow } from "~/lib/board-windows";
import type { Board } from "~/server/board/types";
import { sliceBoard } from "~/server/scoring/live-board";
import { liveInput, topInput } from "../routers/inputs";
import { deserializeInput } from "../transformer";

/** Shared caches may serve an answer for a second and revalidate in the background for a few more. */
export const PUBLIC_BOARD_CACHE_CONTROL = "public, s-maxage=1, stale-while-revalidate=5";

export type TopRequest = { limit: number; window: BoardWindow; batch: boolean };
export type LiveRequest = { limit: number; window: BoardWindow; lastEventId: string | null };
export type TopAnswer = { status: 200 | 304; headers: Record<string, string>; body: string | null };

/**
 * A `leaderboard.top` GET of a window's current board the procedure's schema accepts, alone or as
 * a batch of one (the browser's httpBatchLink). Never more than one call: batches of several go to
 * tRPC, which bounds them; so do reads of a named period.
 */
export function parseTopRequest(url: URL): TopRequest | null {
  const batch = url.searchParams.get("batch") === "1";
  const input = decodeInput(url.searchParams.get("input"), batch);
  if (input === INVALID) return null;
  const parsed = topInput.safeParse(input);
  return parsed.success && !parsed.data.period ? { limit: parsed.data.limit, window: parsed.data.window, batch } : null;
}

/**
 * A `leaderboard.live` request the procedure's schema accepts, with the id of the client's last
 * event from where tRPC looks for it (the Last-Event-ID header EventSource sends on reconnect, or
 * the query).
 */
export function parseLiveRequest(url: URL, lastEventIdHeader: string | null): LiveRequest | null {
  if (url.searchParams.get("batch") === "1") return null;
  const input = decodeInput(url.searchParams.get("input"), false);
  if (input === INVALID) return null;
  const lastEventId = lastEventIdHeader ?? url.searchParams.get("lastEventId") ?? url.searchParams.get("Last-Event-Id");
  const merged = lastEventId ? (isObject(input) ? { ...input, lastEventId } : (input ?? { lastEventId })) : input;
  const parsed = liveInput.safeParse(merged);
  return parsed.success ? { limit: parsed.data.limit, window: parsed.data.window, lastEventId: parsed.data.lastEventId ?? null } : null;
}

type EncodedBoard = { single: string; batch: string; etag: string };

/** `leaderboard.top`'s answers: tRPC's exact bytes, with an ETag, encoded once per board and limit. */
export function createTopAnswers() {
  const encoded = new WeakMap<Board, Map<number, EncodedBoard>>();

  function encode(board: Board, limit: number): EncodedBoard {
    let byLimit = encoded.get(board);
    if (!byLimit) encoded.set(board, (byLimit = new Map()));
    let answer = byLimit.get(limit);
    if (!answer) {
      const single = JSON.stringify({ result: { data: superjson.serialize(sliceBoard(board, limit)) } });
      const etag = `"${createHash("sha1").update(single).digest("base64url")}"`;
      answer = { single, batch: `[${single}]`, etag };
      byLimit.set(limit, answer);
    }
    return answer;
  }

  return function answer(board: Board, request: TopRequest, ifNoneMatch: string | null): TopAnswer {
    const { single, batch, etag } = encode(board, request.limit);
    const headers = {
      "content-type": "application/json",
      "cache-control": PUBLIC_BOARD_CACHE_CONTROL,
      etag,
      vary: "trpc-accept, accept",
    };
    if (matchesEtag(ifNoneMatch, etag)) return { status: 304, headers, body: null };
    return { status: 200, headers, body: request.batch ? batch : single };
  };
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
    if (!isObject(envelope)) return INVALID;
    // Metadata is held to what tRPC's transformer accepts (undefined values only).
    return "meta" in envelope ? deserializeInput(envelope) : envelope.json;
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
