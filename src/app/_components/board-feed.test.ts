/**
 * The board feed's decisions on a fake clock: when it polls, when it retries the stream and how
 * long it waits, and what the indicator says. The browser behaviour (a real stream blocked, a
 * real server read) is held by e2e/fallback.spec.ts.
 */
import { describe, expect, it } from "vitest";

import {
  createBoardFeed,
  FIRST_EVENT_TIMEOUT_MS,
  POLL_EVERY_MS,
  POLL_GRACE_MS,
  STREAM_BACKOFF_MS,
  type FeedState,
  type FeedTimers,
  type StreamHandlers,
} from "./board-feed";

/** Timers on a clock the test moves. */
function fakeTimers() {
  let now = 0;
  let nextId = 1;
  const pending = new Map<number, { at: number; callback: () => void }>();
  const timers: FeedTimers = {
    setTimeout(callback, ms) {
      const id = nextId++;
      pending.set(id, { at: now + ms, callback });
      return id;
    },
    clearTimeout(handle) {
      pending.delete(handle as number);
    },
  };
  /** Runs every timer due up to `ms` from now, in order, letting promises settle in between. */
  async function advance(ms: number) {
    const end = now + ms;
    for (;;) {
      await settle();
      const due = [...pending].filter(([, timer]) => timer.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      pending.delete(due[0]);
      now = due[1].at;
      due[1].callback();
    }
    now = end;
    await settle();
  }
  return { timers, advance, now: () => now };
}

async function settle() {
  for (let i = 0; i < 5; i++) await Promise.resolve();
}

/** A feed over a fake stream and a fake read, both under the test's control. */
function setUp() {
  const clock = fakeTimers();
  const streams: { handlers: StreamHandlers; closed: boolean; openedAt: number }[] = [];
  const reads: { at: number }[] = [];
  let readWorks = true;
  const states: FeedState[] = [];
  const feed = createBoardFeed({
    openStream(handlers) {
      const stream = { handlers, closed: false, openedAt: clock.now() };
      streams.push(stream);
      return () => (stream.closed = true);
    },
    poll() {
      reads.push({ at: clock.now() });
      return readWorks ? Promise.resolve() : Promise.reject(new Error("down"));
    },
    onState: (state) => states.push(state),
    timers: clock.timers,
    // No jitter: the delays are the table's.
    random: () => 0.5,
  });
  return {
    feed,
    clock,
    streams,
    reads,
    states,
    last: () => streams.at(-1)!,
    setReadWorks: (works: boolean) => (readWorks = works),
  };
}

describe("the board feed", () => {
  it("is live on the stream's first event, and never polls while the stream works", async () => {
    const { feed, clock, streams, reads, states, last } = setUp();
    feed.start();
    expect(states).toEqual(["connecting"]);
    last().handlers.started();
    expect(feed.state).toBe("live");
    await clock.advance(60_000);
    expect(reads).toEqual([]);
    expect(streams).toHaveLength(1);
    expect(states).toEqual(["connecting", "live"]);
  });

  it("polls at once and every 5 s when the stream fails before working, and retries it with a growing delay", async () => {
    const { feed, clock, streams, reads, last } = setUp();
    feed.start();
    last().handlers.failed();
    expect(last().closed).toBe(true);
    await clock.advance(0);
    expect(reads.map((read) => read.at)).toEqual([0]);
    expect(feed.state).toBe("polling");

    // Each retry fails at once; the waits between attempts grow as the table says, then stay at its last.
    for (let attempt = 1; attempt < STREAM_BACKOFF_MS.length + 2; attempt++) {
      await clock.advance(STREAM_BACKOFF_MS[Math.min(attempt - 1, STREAM_BACKOFF_MS.length - 1)]!);
      expect(streams, `attempt ${attempt + 1}`).toHaveLength(attempt + 1);
      last().handlers.failed();
    }
    const opened = streams.map((stream) => stream.openedAt);
    const waits = opened.slice(1).map((at, index) => at - opened[index]!);
    expect(waits).toEqual([0, 1_000, 2_000, 4_000, 8_000, 15_000, 15_000]);
    // Reads went on every 5 s all along.
    const readTimes = reads.map((read) => read.at);
    expect(readTimes.slice(1).map((at, index) => at - readTimes[index]!)).toEqual(readTimes.slice(1).map(() => POLL_EVERY_MS));

    // The stream works again: polling stops, and the next loss starts the delays over.
    await clock.advance(15_000);
    last().handlers.started();
    expect(feed.state).toBe("live");
    const readsWhenLive = reads.length;
    await clock.advance(30_000);
    expect(reads).toHaveLength(readsWhenLive);
  });

  it("gives up on a stream that has delivered nothing within 10 s (a buffering proxy), closes it and polls", async () => {
    const { feed, clock, streams, reads, last } = setUp();
    feed.start();
    await clock.advance(FIRST_EVENT_TIMEOUT_MS - 1);
    expect(feed.state).toBe("connecting");
    expect(reads).toEqual([]);
    await clock.advance(1);
    expect(streams[0]!.closed).toBe(true);
    expect(reads).toHaveLength(1);
    expect(feed.state).toBe("polling");
    // The next attempt opens at once (the first delay is 0) and gets its own 10 s.
    expect(streams).toHaveLength(2);
    last().handlers.started();
    expect(feed.state).toBe("live");
  });

  it("reconnects at once when a working stream drops, and polls only if it is not back after a short grace", async () => {
    const { feed, clock, streams, reads, last } = setUp();
    feed.start();
    last().handlers.started();
    last().handlers.failed();
    expect(feed.state).toBe("reconnecting");
    await clock.advance(0);
    expect(streams).toHaveLength(2);
    last().handlers.started();
    await clock.advance(POLL_GRACE_MS + 30_000);
    expect(reads).toEqual([]);

    last().handlers.failed();
    await clock.advance(0);
    last().handlers.failed();
    await clock.advance(POLL_GRACE_MS);
    expect(reads).toHaveLength(1);
    expect(feed.state).toBe("polling");
  });

  it("says Offline once reads have failed three times in a row, keeps trying, and recovers the stream as soon as a read works", async () => {
    const { feed, clock, streams, last, setReadWorks } = setUp();
    setReadWorks(false);
    feed.start();
    last().handlers.failed();
    await clock.advance(0);
    expect(feed.state).toBe("reconnecting");
    // Every stream attempt fails too.
    const failEveryStream = () => {
      if (!last().closed) last().handlers.failed();
    };
    for (let i = 0; i < 2 * POLL_EVERY_MS; i += 500) {
      await clock.advance(500);
      failEveryStream();
    }
    expect(feed.state).toBe("offline");
    const attempts = streams.length;

    // The server answers again: the first good read retries the stream at once.
    setReadWorks(true);
    await clock.advance(POLL_EVERY_MS);
    expect(streams.length).toBe(attempts + 1);
    expect(feed.state).toBe("polling");
    last().handlers.started();
    expect(feed.state).toBe("live");
  });

  it("retries at once when asked (the Retry button) or when the device comes back online", async () => {
    const { feed, clock, streams, reads, last, setReadWorks } = setUp();
    setReadWorks(false);
    feed.start();
    for (let i = 0; i < 5; i++) {
      last().handlers.failed();
      await clock.advance(STREAM_BACKOFF_MS[i]!);
    }
    last().handlers.failed();
    const [attempts, readCount] = [streams.length, reads.length];
    feed.retry();
    await clock.advance(0);
    expect(streams.length).toBe(attempts + 1);
    expect(reads.length).toBe(readCount + 1);

    feed.setOnline(false);
    expect(feed.state).toBe("offline");
    last().handlers.failed();
    const beforeOnline = streams.length;
    feed.setOnline(true);
    expect(streams.length).toBe(beforeOnline + 1);
  });

  it("stops everything when stopped: no stream, no reads, no state reports", async () => {
    const { feed, clock, streams, reads, states, last } = setUp();
    feed.start();
    last().handlers.failed();
    feed.stop();
    const reported = states.length;
    await clock.advance(120_000);
    expect(streams.every((stream) => stream.closed)).toBe(true);
    expect(streams).toHaveLength(1);
    expect(reads.length).toBeLessThanOrEqual(1);
    expect(states).toHaveLength(reported);
  });
});
