/**
 * The fan-out's rules, on a live board the test drives by hand: what each stream receives, that
 * every stream of a view gets the very same bytes, that a slow client gets the newest board and
 * no backlog, and how streams end. The bytes themselves are held against tRPC's in
 * board-http.test.ts; the whole path over HTTP runs in e2e/live.spec.ts.
 */
import { describe, expect, it } from "vitest";

import type { Board } from "~/server/board/types";
import type { LiveBoard } from "~/server/scoring/live-board";
import { liveEventReader } from "../../../../test/support/live-stream";
import { decodeBoard } from "../../../../test/support/wire";
import { createLiveFanOut } from "./fan-out";

function boardOf(version: number, scores: number[]): Board {
  return {
    version,
    generatedAt: new Date(0),
    entries: scores.map((score, index) => ({ rank: index + 1, userId: `user-${index}`, displayName: `Player ${index}`, score })),
    window: "all",
    period: null,
    resetsAt: null,
  };
}

/** A live board whose changes the test makes, counting its listeners. */
function handDrivenLiveBoard(initial: Board) {
  let current = initial;
  const listeners = new Set<(board: Board) => void>();
  const live: Pick<LiveBoard, "listen"> = {
    listen(listener) {
      listeners.add(listener);
      return { board: async () => current, stop: () => void listeners.delete(listener) };
    },
  };
  return {
    live,
    change(board: Board) {
      current = board;
      for (const listener of listeners) listener(board);
    },
    get listeners() {
      return listeners.size;
    },
  };
}

type Event = { kind: "board"; id: string | undefined; board: Board; bytes: Uint8Array } | { kind: "control"; name: string; bytes: Uint8Array };

/** Reads a stream chunk by chunk (each chunk is one frame) and parses each with the shared SSE reader. */
function reader(stream: ReadableStream<Uint8Array>) {
  const chunks = stream.getReader();
  const decoder = new TextDecoder();
  return {
    async next(): Promise<Event | "ended"> {
      const { value, done } = await chunks.read();
      if (done) return "ended";
      let event: Event | undefined;
      const feed = liveEventReader({
        onBoard: (id, data) => (event = { kind: "board", id, board: decodeBoard(data), bytes: value }),
        onControl: (name) => (event = { kind: "control", name, bytes: value }),
      });
      feed(decoder.decode(value));
      if (!event) throw new Error(`a chunk that is not one whole event: ${JSON.stringify(decoder.decode(value))}`);
      return event;
    },
    cancel: () => chunks.cancel(),
  };
}

async function nextBoard(stream: ReturnType<typeof reader>) {
  const event = await stream.next();
  if (event === "ended" || event.kind !== "board") throw new Error(`expected a board, got ${JSON.stringify(event)}`);
  return event;
}

const settings = { client: { reconnectAfterInactivityMs: 40_000 }, maxDurationMs: 60_000, pingIntervalMs: 60_000 };

describe("live fan-out", () => {
  it("opens every stream with tRPC's connected event, then the current board of its view", async () => {
    const source = handDrivenLiveBoard(boardOf(7, [30, 20, 10]));
    const fanOut = createLiveFanOut({ live: source.live, ...settings });
    const stream = reader(fanOut.openWebStream(2, null));
    expect(await stream.next()).toMatchObject({ kind: "control", name: "connected" });
    const first = await nextBoard(stream);
    expect(first.id).toBe("7");
    expect(first.board.entries.map((entry) => entry.score)).toEqual([30, 20]);
    await stream.cancel();
  });

  it("writes the very same bytes to every stream of a view: one encoding per change", async () => {
    const source = handDrivenLiveBoard(boardOf(1, [10]));
    const fanOut = createLiveFanOut({ live: source.live, ...settings });
    const streams = Array.from({ length: 5 }, () => reader(fanOut.openWebStream(10, null)));
    for (const stream of streams) await stream.next(); // connected
    const firsts = await Promise.all(streams.map(nextBoard));
    source.change(boardOf(2, [20]));
    const seconds = await Promise.all(streams.map(nextBoard));
    for (const events of [firsts, seconds]) {
      for (const event of events) expect(event.bytes).toBe(events[0]!.bytes);
    }
    expect(seconds[0]!.board.entries[0]!.score).toBe(20);
    await Promise.all(streams.map((stream) => stream.cancel()));
  });

  it("skips the first board for a client whose last event id is the current one", async () => {
    const source = handDrivenLiveBoard(boardOf(5, [50, 40]));
    const fanOut = createLiveFanOut({ live: source.live, ...settings });
    const watcher = reader(fanOut.openWebStream(2, null)); // makes the view's frame at version 5
    await watcher.next();
    await nextBoard(watcher);

    const resumed = reader(fanOut.openWebStream(2, "5"));
    expect(await resumed.next()).toMatchObject({ kind: "control", name: "connected" });
    source.change(boardOf(6, [55, 40]));
    // The next event the resumed client sees is the change, not the board it already had.
    expect((await nextBoard(resumed)).id).toBe("6");
    await Promise.all([watcher.cancel(), resumed.cancel()]);
  });

  it("sends a stream nothing for a change below its view, and the next change that shows", async () => {
    const source = handDrivenLiveBoard(boardOf(1, [30, 20, 10]));
    const fanOut = createLiveFanOut({ live: source.live, ...settings });
    const top2 = reader(fanOut.openWebStream(2, null));
    await top2.next();
    expect((await nextBoard(top2)).id).toBe("1");
    source.change(boardOf(2, [30, 20, 15])); // third place only
    source.change(boardOf(3, [35, 20, 15]));
    // Version 2 was never sent to this view: the next event is version 3.
    const next = await nextBoard(top2);
    expect(next.id).toBe("3");
    expect(next.board.entries.map((entry) => entry.score)).toEqual([35, 20]);
    await top2.cancel();
  });

  it("gives a client that stopped reading the newest board when it reads again, and no backlog", async () => {
    const source = handDrivenLiveBoard(boardOf(1, [10]));
    const fanOut = createLiveFanOut({ live: source.live, ...settings });
    const slow = reader(fanOut.openWebStream(1, null));
    await slow.next();
    expect((await nextBoard(slow)).id).toBe("1");
    // Three changes while the client reads nothing.
    for (const version of [2, 3, 4]) source.change(boardOf(version, [version * 10]));
    // The one frame queued before the client fell behind (a stream holds one), then the newest.
    expect((await nextBoard(slow)).id).toBe("2");
    expect((await nextBoard(slow)).id).toBe("4");
    // Nothing else was queued: the next event is the next change.
    source.change(boardOf(5, [50]));
    expect((await nextBoard(slow)).id).toBe("5");
    await slow.cancel();
  });

  it("ends a stream after its maximum duration, so the client resumes elsewhere", async () => {
    const source = handDrivenLiveBoard(boardOf(1, [10]));
    const fanOut = createLiveFanOut({ live: source.live, ...settings, maxDurationMs: 30 });
    const stream = reader(fanOut.openWebStream(10, null));
    await stream.next();
    await nextBoard(stream);
    expect(await stream.next()).toBe("ended");
    expect(fanOut.streamCount).toBe(0);
  });

  it("pings every stream that has read what it was sent", async () => {
    const source = handDrivenLiveBoard(boardOf(1, [10]));
    const fanOut = createLiveFanOut({ live: source.live, ...settings, pingIntervalMs: 5 });
    const stream = reader(fanOut.openWebStream(10, null));
    await stream.next();
    await nextBoard(stream);
    expect(await stream.next()).toMatchObject({ kind: "control", name: "ping" });
    await stream.cancel();
  });

  it("drops every stream at shutdown, and listens to the live board only while it has streams", async () => {
    const source = handDrivenLiveBoard(boardOf(1, [10]));
    const fanOut = createLiveFanOut({ live: source.live, ...settings });
    const streams = [reader(fanOut.openWebStream(10, null)), reader(fanOut.openWebStream(3, null))];
    expect(source.listeners).toBe(1);
    fanOut.abortAll(new Error("shutting down"));
    for (const stream of streams) {
      await expect(async () => {
        for (;;) if ((await stream.next()) === "ended") return;
      }).rejects.toThrow("shutting down");
    }
    expect(fanOut.streamCount).toBe(0);
    expect(source.listeners).toBe(0);
  });

  it("stops listening when the last client goes away", async () => {
    const source = handDrivenLiveBoard(boardOf(1, [10]));
    const fanOut = createLiveFanOut({ live: source.live, ...settings });
    const a = reader(fanOut.openWebStream(10, null));
    const b = reader(fanOut.openWebStream(10, null));
    await a.cancel();
    expect(source.listeners).toBe(1);
    await b.cancel();
    expect(source.listeners).toBe(0);
    expect(fanOut.streamCount).toBe(0);
  });
});
