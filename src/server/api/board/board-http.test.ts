/**
 * The board's own answers (./http.ts, ./fan-out.ts) against tRPC's, byte for byte: the same board
 * through the real leaderboard procedures and tRPC's fetch handler must give the same bytes as
 * the answers made once per board. A tRPC upgrade that changes its wire format fails here instead
 * of breaking browsers.
 */
import { getTRPCErrorFromUnknown, initTRPC, tracked } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import superjson, { type SuperJSONResult } from "superjson";
import { describe, expect, it } from "vitest";

import type { BoardWindow } from "~/lib/board-windows";
import type { Board } from "~/server/board/types";
import type { LiveBoard } from "~/server/scoring/live-board";
import { appRouter } from "../root";
import { SSE_SETTINGS } from "../sse-settings";
import { streamSlotsFor } from "../../../../test/support/stream-slots";
import { errorAnswer, type Context } from "../trpc";
import { createLiveFanOut } from "./fan-out";
import { createTopAnswers } from "./answers";
import { createBoardHttp } from "./http";
import { connectedFrame, PING_FRAME, trackedFrame } from "./sse-frames";

const board: Board = {
  version: 42,
  generatedAt: new Date("2026-11-30T12:00:00.123Z"),
  entries: [
    { rank: 1, userId: "0b7c5e8e-3f0e-4a57-9f0a-1f0c2b6f6d01", displayName: "zoë <b>\u202e", score: 1_250 },
    { rank: 2, userId: "0b7c5e8e-3f0e-4a57-9f0a-1f0c2b6f6d02", displayName: "grace", score: 1_200 },
    { rank: 3, userId: "0b7c5e8e-3f0e-4a57-9f0a-1f0c2b6f6d03", displayName: '"quoted"', score: 7 },
  ],
  window: "all",
  period: null,
  resetsAt: null,
};

/** Each window's board: all time's above, and a day's and a week's of their own. */
const boards: Record<BoardWindow, Board> = {
  all: board,
  week: { ...board, version: 41, entries: board.entries.slice(1), window: "week", period: "2026-W49", resetsAt: new Date("2026-12-07T00:00:00.000Z") },
  day: { ...board, version: 40, entries: board.entries.slice(2), window: "day", period: "2026-11-30", resetsAt: new Date("2026-12-01T00:00:00.000Z") },
};

/** Each window's live board, each always holding its board. */
function fixedLiveBoards(): Record<BoardWindow, LiveBoard> {
  return { all: fixedLiveBoard(boards.all), week: fixedLiveBoard(boards.week), day: fixedLiveBoard(boards.day) };
}

/** A live board that always holds `board` and never changes (watch yields it, then waits for the end). */
function fixedLiveBoard(board: Board): LiveBoard {
  return {
    notify() {},
    current: async () => board,
    listen: () => ({ board: async () => board, stop() {} }),
    async *watch(signal: AbortSignal) {
      yield board;
      await new Promise((resolve) => signal.addEventListener("abort", resolve, { once: true }));
      signal.throwIfAborted();
    },
    peek: () => board,
    running: true,
    subscriberCount: 0,
  };
}

function trpcAnswer(path: string, init?: RequestInit) {
  const streamSlots = { claim: async () => ({ allowed: true, slot: { release() {} } }) };
  const ctx = { liveBoards: fixedLiveBoards(), streamSlots, session: null, headers: new Headers() } as unknown as Context;
  return fetchRequestHandler({ endpoint: "/api/trpc", req: new Request(`http://localhost/api/trpc/${path}`, init), router: appRouter, createContext: () => ctx });
}

function boardHttp(slots = streamSlotsFor(), maxDurationMs = 60_000) {
  const live = fixedLiveBoards();
  const fanOutOf = (window: BoardWindow) => createLiveFanOut({ live: live[window], client: SSE_SETTINGS.client, maxDurationMs, pingIntervalMs: 60_000 });
  const fanOut = { all: fanOutOf("all"), week: fanOutOf("week"), day: fanOutOf("day") };
  return createBoardHttp({
    live,
    answerTop: createTopAnswers(),
    fanOut,
    onServed: () => {},
    claimStream: slots.claimStream,
    refuse: async (error) => errorAnswer(getTRPCErrorFromUnknown(error)),
  });
}

const input = (value: unknown) => encodeURIComponent(JSON.stringify({ json: value }));

/** Reads a byte stream until `enough` holds for what arrived, then cancels it. */
async function readUntil(stream: ReadableStream<Uint8Array>, enough: (text: string) => boolean) {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = "";
  while (!enough(text)) {
    const { value, done } = await reader.read();
    if (done) break;
    text += decoder.decode(value, { stream: true });
  }
  await reader.cancel();
  return text;
}

const events = (text: string) => text.split("\n\n\n").length - 1;

describe("leaderboard.top from memory", () => {
  it.each([
    ["a single call", `leaderboard.top?input=${input({ limit: 2 })}`],
    ["a call without input", "leaderboard.top"],
    ["a batch of one (the browser's httpBatchLink)", `leaderboard.top?batch=1&input=${encodeURIComponent(JSON.stringify({ 0: { json: { limit: 3 } } }))}`],
    ["a call for the week's board", `leaderboard.top?input=${input({ limit: 2, window: "week" })}`],
    ["a call for the day's board", `leaderboard.top?input=${input({ window: "day" })}`],
  ])("answers %s with tRPC's exact bytes", async (_, path) => {
    const expected = await trpcAnswer(path);
    const ours = await boardHttp().handle(new Request(`http://localhost/api/trpc/${path}`));
    expect(ours).not.toBeNull();
    expect(ours!.status).toBe(expected.status);
    expect(ours!.headers.get("content-type")).toBe(expected.headers.get("content-type"));
    expect(await ours!.text()).toBe(await expected.text());
  });

  it("carries an ETag and public caching, and answers a matching If-None-Match with 304 and no body", async () => {
    const http = boardHttp();
    const url = `http://localhost/api/trpc/leaderboard.top?input=${input({ limit: 2 })}`;
    const first = await http.handle(new Request(url));
    const etag = first!.headers.get("etag")!;
    expect(etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
    expect(first!.headers.get("cache-control")).toMatch(/^public, s-maxage=1, stale-while-revalidate=\d+$/);

    for (const ifNoneMatch of [etag, `W/${etag}`, `"other", ${etag}`, "*"]) {
      const revalidated = await http.handle(new Request(url, { headers: { "if-none-match": ifNoneMatch } }));
      expect(revalidated!.status, ifNoneMatch).toBe(304);
      expect(await revalidated!.text()).toBe("");
      expect(revalidated!.headers.get("etag")).toBe(etag);
    }
    const changed = await http.handle(new Request(url, { headers: { "if-none-match": '"an-older-board"' } }));
    expect(changed!.status).toBe(200);
    // Another limit is another answer.
    const other = await http.handle(new Request(`http://localhost/api/trpc/leaderboard.top?input=${input({ limit: 3 })}`));
    expect(other!.headers.get("etag")).not.toBe(etag);
  });

  it.each([
    ["a limit out of range", `leaderboard.top?input=${input({ limit: 101 })}`],
    ["input that is not JSON", "leaderboard.top?input=%7Bnope"],
    ["superjson metadata", `leaderboard.top?input=${encodeURIComponent(JSON.stringify({ json: { limit: 2 }, meta: { values: { limit: ["bigint"] } } }))}`],
    ["a batch of two calls", `leaderboard.top,leaderboard.top?batch=1&input=${encodeURIComponent(JSON.stringify({ 0: { json: {} }, 1: { json: {} } }))}`],
    ["another procedure", "leaderboard.me"],
  ])("leaves %s to tRPC", async (_, path) => {
    expect(await boardHttp().handle(new Request(`http://localhost/api/trpc/${path}`))).toBeNull();
  });

  it("leaves POSTs to tRPC", async () => {
    expect(await boardHttp().handle(new Request("http://localhost/api/trpc/leaderboard.top", { method: "POST", body: "{}" }))).toBeNull();
  });
});

describe("leaderboard.live from pre-encoded frames", () => {
  it("starts exactly as tRPC's own SSE stream does for the same board", async () => {
    const path = `leaderboard.live?input=${input({ limit: 2 })}`;
    const controller = new AbortController();
    const expected = await trpcAnswer(path, { signal: controller.signal });
    const expectedText = await readUntil(expected.body!, (text) => events(text) >= 2);
    controller.abort();

    const ours = await boardHttp().handle(new Request(`http://localhost/api/trpc/${path}`));
    expect(ours!.headers.get("content-type")).toBe(expected.headers.get("content-type"));
    expect(ours!.headers.get("cache-control")).toBe(expected.headers.get("cache-control"));
    const ourText = await readUntil(ours!.body!, (text) => events(text) >= 2);
    expect(ourText).toBe(expectedText);
  });

  it("refuses a stream over its client's limit with tRPC's 429 RATE_LIMITED, and frees a slot however a stream ends", async () => {
    const slots = streamSlotsFor(1);
    const http = boardHttp(slots, 200);
    const request = () => http.handle(new Request(`http://localhost/api/trpc/leaderboard.live?input=${input({ limit: 2 })}`));
    const first = await request();
    expect(first!.headers.get("content-type")).toBe("text/event-stream");

    const refused = await request();
    expect(refused!.status).toBe(429);
    expect(refused!.headers.get("content-type")).toBe("application/json");
    const body = JSON.parse(await refused!.text()) as { error: SuperJSONResult };
    expect(superjson.deserialize(body.error)).toMatchObject({ data: { code: "TOO_MANY_REQUESTS", httpStatus: 429, reason: "RATE_LIMITED", retryAfterMs: 1_000 } });

    // Cancelled by its client.
    await first!.body!.cancel();
    expect(slots.released).toBe(1);
    // Ended by its lifetime (the client resumes).
    const second = await request();
    await readUntil(second!.body!, () => false);
    expect(slots.released).toBe(2);
    expect(slots.open).toBe(0);
  });

  it("frames connected, tracked and ping events as tRPC's producer does", async () => {
    // A router of its own with tRPC's SSE settings but a ping every millisecond, to see one.
    const t = initTRPC.create({ transformer: superjson, sse: { ...SSE_SETTINGS, ping: { enabled: true, intervalMs: 1 } } });
    const router = t.router({
      live: t.procedure.subscription(async function* ({ signal }) {
        yield tracked("42", board);
        await new Promise((resolve) => signal?.addEventListener("abort", resolve, { once: true }));
      }),
    });
    const controller = new AbortController();
    const response = await fetchRequestHandler({
      endpoint: "/api/trpc",
      req: new Request("http://localhost/api/trpc/live", { signal: controller.signal }),
      router,
      createContext: () => ({}),
    });
    const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
    const text = await readUntil(response.body!, (received) => received.includes(decode(PING_FRAME)));
    controller.abort();
    const start = decode(connectedFrame(SSE_SETTINGS.client)) + decode(trackedFrame("42", board));
    expect(text.slice(0, start.length)).toBe(start);
    // Pings follow, each one frame.
    expect(text.slice(start.length)).toBe(decode(PING_FRAME).repeat(events(text.slice(start.length))));
  });
});
