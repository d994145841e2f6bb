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
import { aroundInput, liveInput, meInput, topInput } from "../routers/inputs";
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

/** The signed-in player's reads of a window's current board that the page repeats: where I stand, and who is around me. */
export const STANDING_PROCEDURES = ["leaderboard.me", "leaderboard.around"] as const;
export type StandingProcedure = (typeof STANDING_PROCEDURES)[number];
export type StandingCall = { path: "leaderboard.me"; window: BoardWindow } | { path: "leaderboard.around"; window: BoardWindow; radius: number };
export type StandingRequest = { calls: StandingCall[]; batch: boolean };

/**
 * `leaderboard.me` and `leaderboard.around` GETs the procedures' schemas accept — one call, or the
 * browser's batch of both — of a window's current board (`procedures`: the path's list). A named
 * period, a batch with anything else, or an input tRPC would refuse: null, left to tRPC.
 */
export function parseStandingRequest(procedures: string[], url: URL): StandingRequest | null {
  const batch = url.searchParams.get("batch") === "1";
  if (procedures.length === 0 || procedures.length > STANDING_PROCEDURES.length || (!batch && procedures.length > 1)) return null;
  const inputs = decodeInputs(url.searchParams.get("input"), batch, procedures.length);
  if (inputs === INVALID) return null;
  const calls: StandingCall[] = [];
  for (const [index, path] of procedures.entries()) {
    if (path === "leaderboard.me") {
      const parsed = meInput.safeParse(inputs[index]);
      if (!parsed.success || parsed.data.period) return null;
      calls.push({ path, window: parsed.data.window });
    } else if (path === "leaderboard.around") {
      const parsed = aroundInput.safeParse(inputs[index]);
      if (!parsed.success) return null;
      calls.push({ path, window: parsed.data.window, radius: parsed.data.radius });
    } else {
      return null;
    }
  }
  return { calls, batch };
}

/** tRPC's answer to a query whose every call succeeded, with these results in order. */
export function encodeQueryAnswer(results: unknown[], batch: boolean): string {
  const answers = results.map((data) => JSON.stringify({ result: { data: superjson.serialize(data) } }));
  return batch ? `[${answers.join(",")}]` : answers[0]!;
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
  const inputs = decodeInputs(raw, batch, 1);
  return inputs === INVALID ? INVALID : inputs[0];
}

/**
 * The inputs of `count` calls as tRPC decodes them: one, or a batch's `"0"`…`"count-1"` (any
 * other key is INVALID here: tRPC bounds what it answers, so such batches are left to it).
 */
function decodeInputs(raw: string | null, batch: boolean, count: number): unknown[] | typeof INVALID {
  if (raw === null) return Array.from({ length: count }, () => undefined);
  try {
    const parsed: unknown = JSON.parse(raw);
    let inputs: unknown[];
    if (!batch) {
      if (count !== 1) return INVALID;
      inputs = [decodeEnvelope(parsed)];
    } else {
      if (!isObject(parsed)) return INVALID;
      const keys = Array.from({ length: count }, (_, index) => String(index));
      if (Object.keys(parsed).some((key) => !keys.includes(key))) return INVALID;
      inputs = keys.map((key) => decodeEnvelope(parsed[key]));
    }
    return inputs.includes(INVALID) ? INVALID : inputs;
  } catch {
    return INVALID;
  }
}

/** One call's `{ json, meta }` envelope decoded; metadata held to what tRPC's transformer accepts (undefined values only). */
function decodeEnvelope(envelope: unknown): unknown {
  if (envelope === undefined) return undefined;
  if (!isObject(envelope)) return INVALID;
  return "meta" in envelope ? deserializeInput(envelope) : envelope.json;
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
