/**
 * Board answers written straight on Node's response (./node-answers.ts), over real HTTP: the
 * same bytes as the route handler's, requests it must leave to Next.js, the end of a stream,
 * and a client too slow to take what it is sent.
 */
import { EventEmitter, once } from "node:events";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

import { getTRPCErrorFromUnknown } from "@trpc/server";
import { afterEach, describe, expect, it } from "vitest";

import { BOARD_WINDOWS, type BoardWindow, type PeriodWindow } from "~/lib/board-windows";
import type { Board } from "~/server/board/types";
import type { LiveBoard } from "~/server/scoring/live-board";
import { ScoreboardClient } from "../../../../test/support/client";
import { decodeReply } from "../../../../test/support/wire";
import { streamSlotsFor } from "../../../../test/support/stream-slots";
import { readSession } from "~/server/auth/session";
import { errorAnswer } from "../trpc";
import { createLiveFanOut } from "./fan-out";
import { createTopAnswers } from "./answers";
import { answerOnNode, type NodeAnswerDeps } from "./node-answers";
import { SSE_HEADERS } from "./sse-frames";

const boardOf = (version: number, score: number): Board => ({
  version,
  generatedAt: new Date(0),
  entries: [{ rank: 1, userId: "0b7c5e8e-3f0e-4a57-9f0a-1f0c2b6f6d01", displayName: "grace", score }],
  window: "all",
  period: null,
  resetsAt: null,
});

/** A live board the test changes by hand; `inMemory` false makes it report no current board. */
function handDrivenLiveBoard(initial: Board) {
  let current = initial;
  const listeners = new Set<(board: Board) => void>();
  const live: Pick<LiveBoard, "listen" | "peek"> & { inMemory: boolean } = {
    inMemory: true,
    listen(listener) {
      listeners.add(listener);
      return { board: async () => current, stop: () => void listeners.delete(listener) };
    },
    peek: () => (live.inMemory ? current : null),
  };
  return {
    live,
    change(board: Board) {
      current = board;
      for (const listener of listeners) listener(board);
    },
  };
}

type TestLiveBoard = Pick<LiveBoard, "listen" | "peek">;

/**
 * The answers' dependencies with `live` as the all-time board; the day's and the week's boards
 * are empty ones of their own, which no test here reads.
 */
function depsFor(live: TestLiveBoard, slots = streamSlotsFor()): NodeAnswerDeps & { fanOut: Record<BoardWindow, ReturnType<typeof createLiveFanOut>> } {
  const emptyBoard = (window: PeriodWindow, period: string, resetsAt: string): Board => ({
    version: 0,
    generatedAt: new Date(0),
    entries: [],
    window,
    period,
    resetsAt: new Date(resetsAt),
  });
  const boards: Record<BoardWindow, TestLiveBoard> = {
    all: live,
    week: handDrivenLiveBoard(emptyBoard("week", "1970-W01", "1970-01-05T00:00:00Z")).live,
    day: handDrivenLiveBoard(emptyBoard("day", "1970-01-01", "1970-01-02T00:00:00Z")).live,
  };
  const fanOutOf = (window: BoardWindow) => createLiveFanOut({ live: boards[window], ...settings });
  return {
    live: boards,
    answerTop: createTopAnswers(),
    fanOut: { all: fanOutOf("all"), week: fanOutOf("week"), day: fanOutOf("day") },
    onServed: () => {},
    claimStream: slots.claimStream,
    refuse: async (error) => errorAnswer(getTRPCErrorFromUnknown(error)),
    // The standing reads have tests of their own (./node-standing.test.ts); none is sent here.
    standing: { readSession, read: async () => expect.unreachable("a standing read"), recordCall: () => {} },
  };
}

const settings = { client: { reconnectAfterInactivityMs: 40_000 }, maxDurationMs: 60_000, pingIntervalMs: 60_000 };
const servers: ReturnType<typeof createServer>[] = [];

afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    server.close();
    await once(server, "close");
  }
});

/** A server that answers board requests directly and everything else with 404 (standing in for Next.js). */
async function serverWith(deps: NodeAnswerDeps) {
  const server = createServer((req, res) => {
    const leaveToNext = () => res.writeHead(404).end("left to Next.js");
    if (!answerOnNode(deps, req, res, leaveToNext)) leaveToNext();
  });
  servers.push(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("live streams on Node's response", () => {
  it("streams the board and its changes with tRPC's headers, resuming from Last-Event-ID", async () => {
    const source = handDrivenLiveBoard(boardOf(3, 30));
    const client = new ScoreboardClient(await serverWith(depsFor(source.live)));

    const response = await client.request("/api/trpc/leaderboard.live?input=%7B%22json%22%3A%7B%22limit%22%3A5%7D%7D", { headers: { accept: "text/event-stream" } });
    for (const [name, value] of Object.entries(SSE_HEADERS)) expect(response.headers.get(name)).toBe(value);
    await response.body!.cancel();

    const stream = await client.live({ limit: 5 });
    expect((await stream.until((board, id) => (id === "3" ? board : undefined), 5_000)).value.entries[0]!.score).toBe(30);
    source.change(boardOf(4, 40));
    await stream.until((board, id) => (id === "4" && board.entries[0]!.score === 40 ? true : undefined), 5_000);

    // A client that resumes with the current id gets the next change first, not the board it has.
    const resumed = await client.live({ limit: 5 }, { lastEventId: "4" });
    await resumed.untilControl("connected", 1, 5_000);
    source.change(boardOf(5, 50));
    const first = await resumed.until((_, id) => id, 5_000);
    expect(first.value).toBe("5");
    stream.close();
    resumed.close();
  });

  it.each([
    ["a batch", "/api/trpc/leaderboard.live?batch=1&input=%7B%7D"],
    ["a limit out of range", "/api/trpc/leaderboard.live?input=%7B%22json%22%3A%7B%22limit%22%3A500%7D%7D"],
    ["another procedure", "/api/trpc/leaderboard.livex"],
    ["another path", "/api/trpc/leaderboard.topx"],
    ["a top read with a limit out of range", "/api/trpc/leaderboard.top?input=%7B%22json%22%3A%7B%22limit%22%3A500%7D%7D"],
  ])("leaves %s to Next.js", async (_, path) => {
    const deps = depsFor(handDrivenLiveBoard(boardOf(1, 10)).live);
    const response = await new ScoreboardClient(await serverWith(deps)).request(path);
    expect(response.status).toBe(404);
    expect(await response.text()).toBe("left to Next.js");
    expect(BOARD_WINDOWS.map((window) => deps.fanOut[window].streamCount)).toEqual([0, 0, 0]);
  });

  it("answers a top read from memory with the ETag, and 304 for a client that has it", async () => {
    const source = handDrivenLiveBoard(boardOf(3, 30));
    const client = new ScoreboardClient(await serverWith(depsFor(source.live)));
    const top = await client.request("/api/trpc/leaderboard.top?input=%7B%22json%22%3A%7B%22limit%22%3A5%7D%7D");
    expect(top.status).toBe(200);
    expect(top.headers.get("cache-control")).toMatch(/^public, s-maxage=1/);
    expect(await top.text()).toContain('"score":30');
    const again = await client.request("/api/trpc/leaderboard.top?input=%7B%22json%22%3A%7B%22limit%22%3A5%7D%7D", { headers: { "if-none-match": top.headers.get("etag")! } });
    expect(again.status).toBe(304);
  });

  it("leaves a top read to Next.js while memory holds no current board", async () => {
    const source = handDrivenLiveBoard(boardOf(3, 30));
    source.live.inMemory = false;
    const response = await new ScoreboardClient(await serverWith(depsFor(source.live))).request("/api/trpc/leaderboard.top");
    expect(await response.text()).toBe("left to Next.js");
  });

  it("lets a stream go when its client does", async () => {
    const deps = depsFor(handDrivenLiveBoard(boardOf(1, 10)).live);
    const client = new ScoreboardClient(await serverWith(deps));
    const stream = await client.live({ limit: 1 });
    await stream.until(() => true, 5_000);
    expect(deps.fanOut.all.streamCount).toBe(1);
    stream.close();
    await expect.poll(() => deps.fanOut.all.streamCount).toBe(0);
  });

  it("refuses a stream over its client's limit with tRPC's 429 RATE_LIMITED, and frees the slot when a stream closes", async () => {
    const slots = streamSlotsFor(1);
    const deps = depsFor(handDrivenLiveBoard(boardOf(1, 10)).live, slots);
    const client = new ScoreboardClient(await serverWith(deps));
    const stream = await client.live({ limit: 1 });
    await stream.until(() => true, 5_000);

    const refused = await client.request("/api/trpc/leaderboard.live?input=%7B%22json%22%3A%7B%7D%7D", { headers: { accept: "text/event-stream" } });
    expect(refused.status).toBe(429);
    const reply = decodeReply(refused.status, await refused.text());
    expect(reply.ok ? null : reply.error.data).toMatchObject({ code: "TOO_MANY_REQUESTS", reason: "RATE_LIMITED", retryAfterMs: 1_000 });
    expect(deps.fanOut.all.streamCount).toBe(1);

    stream.close();
    await expect.poll(() => slots.open).toBe(0);
    const again = await client.live({ limit: 1 });
    await again.until(() => true, 5_000);
    again.close();
  });

  it("writes nothing more to a client whose socket is full until it drains, then only the newest board", async () => {
    const source = handDrivenLiveBoard(boardOf(1, 10));
    const deps = depsFor(source.live);
    // A response whose socket takes the first frames and then reports it is full.
    const written: string[] = [];
    let room = 2;
    const res = Object.assign(new EventEmitter(), {
      writeHead: () => res,
      write: (frame: Uint8Array) => {
        written.push(new TextDecoder().decode(frame));
        room -= 1;
        return room > 0;
      },
      end: () => {},
      destroy: () => {},
    });
    const req = { method: "GET", url: "/api/trpc/leaderboard.live?input=%7B%22json%22%3A%7B%7D%7D", headers: {} } as IncomingMessage;
    expect(answerOnNode(deps, req, res as unknown as ServerResponse, () => expect.unreachable("left to Next.js"))).toBe(true);
    // Attached once its slot is claimed: connected + board 1 fill the socket.
    await expect.poll(() => written.length).toBe(2);
    expect(written.map((text) => /id: (\d+)/.exec(text)?.[1] ?? text.split("\n")[0])).toEqual(["event: connected", "1"]);
    source.change(boardOf(2, 20));
    source.change(boardOf(3, 30));
    source.change(boardOf(4, 40));
    expect(written).toHaveLength(2);
    room = 10;
    res.emit("drain");
    expect(written.map((text) => /id: (\d+)/.exec(text)?.[1] ?? text.split("\n")[0])).toEqual(["event: connected", "1", "4"]);
  });
});
