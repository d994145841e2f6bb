/**
 * Load that behaves like real clients: players who start actions, wait until they may complete
 * them and submit (retrying, with the same token, any submit that got no definite answer),
 * readers polling the board, and live subscribers that reconnect the way EventSource does —
 * reopening with their last event id. The load counts its progress, so a scenario waits for
 * "N more submits acknowledged" instead of for a number of seconds.
 */
import type { ScoreboardClient } from "../test/support/client";
import type { LiveStream } from "../test/support/live-stream";
import type { Board, OutputOf } from "../test/support/wire";
import type { Ledger } from "./ledger";

export type StartedAction = OutputOf<"action.start">;
export type Player = { userId: string; client: ScoreboardClient };

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** How long a player keeps retrying a submit with no definite answer before giving up (it stays "unknown"). */
const SUBMIT_RETRY_MS = 60_000;
/** How long a client waits before it tries again after a failure (a submit retry, a reconnect). */
const CLIENT_RETRY_MS = 300;
/** How often the reader polls the board. */
const READ_INTERVAL_MS = 250;

/**
 * Wakes waiters whenever what they watch may have changed; `until` re-checks a condition on
 * every change instead of on a timer.
 */
class Changes {
  private readonly waiters = new Set<() => void>();

  notify() {
    for (const wake of [...this.waiters]) wake();
  }

  /** True as soon as `ready()` holds (checked now and after every change); false once `timeoutMs` have passed. */
  async until(ready: () => boolean, timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      if (ready()) return true;
      const left = deadline - performance.now();
      if (left <= 0) return false;
      await new Promise<void>((resolve) => {
        const wake = () => {
          clearTimeout(timer);
          this.waiters.delete(wake);
          resolve();
        };
        const timer = setTimeout(wake, left);
        this.waiters.add(wake);
      });
    }
  }
}

/** Submits until the answer is definite (a result or a 4xx), retrying while the service is unavailable. */
export async function submitUntilDefinite(ledger: Ledger, player: Player, action: Pick<StartedAction, "actionId" | "token">) {
  const deadline = Date.now() + SUBMIT_RETRY_MS;
  for (;;) {
    const outcome = await ledger.submit(player.client, player.userId, action);
    if (outcome.kind === "ok" || outcome.kind === "refused" || Date.now() > deadline) return outcome;
    await sleep(CLIENT_RETRY_MS); // justified: a client's retry pacing: an unavailable service announces nothing when it is back.
  }
}

/** Waits until the server's earliest completion time; the server reads the same clock later, so it never finds the submit too fast. */
export async function waitUntilCompletable(action: Pick<StartedAction, "minCompleteAt">) {
  const at = action.minCompleteAt.getTime();
  for (let left = at - Date.now(); left > 0; left = at - Date.now()) await sleep(left); // justified: the action's minimum duration is real time on the server's clock: nothing announces its end.
}

/** The load's counters: submits acknowledged as applied, board reads answered. */
export class LoadProgress {
  completed = 0;
  reads = 0;
  readonly changes = new Changes();

  count(counter: "completed" | "reads") {
    this[counter] += 1;
    this.changes.notify();
  }

  /**
   * Waits until the load has made this much more progress from now on; throws after `timeoutMs`
   * (a bound on a failure: the load stalled), saying what it waited `for`.
   */
  async more(wanted: { completed?: number; reads?: number }, timeoutMs: number, what: string) {
    const completed = this.completed + (wanted.completed ?? 0);
    const reads = this.reads + (wanted.reads ?? 0);
    if (!(await this.changes.until(() => this.completed >= completed && this.reads >= reads, timeoutMs))) {
      throw new Error(`${what}: the load did not get ${wanted.completed ?? 0} more submits and ${wanted.reads ?? 0} more reads answered within ${timeoutMs} ms`);
    }
  }
}

/** One player's steady load until `stop`: start, wait, submit; an unfinished submit is always seen through. */
export async function play(ledger: Ledger, player: Player, stop: AbortSignal, progress: LoadProgress, actionType = "COMPLETE_TASK") {
  while (!stop.aborted) {
    const started = await ledger.start(player.client, player.userId, actionType);
    if (started.kind !== "ok") {
      await sleep(CLIENT_RETRY_MS); // justified: a client's retry pacing after a failed start.
      continue;
    }
    await waitUntilCompletable(started.value);
    const outcome = await submitUntilDefinite(ledger, player, started.value);
    if (outcome.kind === "ok" && !outcome.value.replayed) progress.count("completed");
  }
}

/** Reads the board every `intervalMs` until `stop`; counts the reads and those that failed. */
export async function read(ledger: Ledger, client: ScoreboardClient, stop: AbortSignal, progress: LoadProgress | null, intervalMs = READ_INTERVAL_MS) {
  const reads = { tried: 0, failed: 0 };
  while (!stop.aborted) {
    reads.tried += 1;
    if ((await ledger.top(client)).kind === "ok") progress?.count("reads");
    else reads.failed += 1;
    await sleep(intervalMs); // justified: the reader's polling rate is the shape of the load, not a wait for anything.
  }
  return reads;
}

/**
 * Steady load against one base URL: every player playing, one reader, live subscribers.
 * `progress` counts what it achieved; `stop()` ends it and waits until every player's last
 * submit has a definite answer.
 */
export function steadyLoad(ledger: Ledger, players: Player[], anonymous: () => ScoreboardClient, subscriberCount: number) {
  const stop = new AbortController();
  const progress = new LoadProgress();
  // Subscribers first: their streams then take consecutive new connections (a round-robin proxy spreads them evenly).
  const subscribers = Array.from({ length: subscriberCount }, () => new LiveSubscriber(anonymous(), ledger, { limit: 100 }));
  const playing = players.map((player) => play(ledger, player, stop.signal, progress));
  const reading = read(ledger, anonymous(), stop.signal, progress);
  return {
    subscribers,
    progress,
    async stop() {
      stop.abort();
      await Promise.all(playing);
      const reads = await reading;
      const describe = `${players.length} players (start → wait 2 s → submit, in a loop), 1 reader every ${READ_INTERVAL_MS} ms, ${subscriberCount} live subscribers; ${progress.completed} actions completed`;
      return { completed: progress.completed, reads, describe };
    },
    /** Waits until every subscriber shows `board`; returns the ids of those that did not within `timeoutMs`. */
    async subscribersBehind(board: Board, timeoutMs: number) {
      return behind(subscribers, board, timeoutMs);
    },
    async close() {
      await Promise.all(subscribers.map((subscriber) => subscriber.close()));
    },
  };
}

/** Waits until every subscriber shows `board`; returns the last event ids of those that did not within `timeoutMs`. */
export async function behind(subscribers: LiveSubscriber[], board: Board, timeoutMs: number) {
  const reached = await Promise.all(subscribers.map((subscriber) => subscriber.reaches(board, timeoutMs)));
  return subscribers.filter((_, index) => !reached[index]).map((subscriber) => subscriber.latest?.id ?? "nothing");
}

/**
 * A live subscriber that never gives up: when its stream fails it reopens it after a pause
 * with the last event id it received, as EventSource (and tRPC's httpSubscriptionLink) do.
 */
export class LiveSubscriber {
  latest: { board: Board; id: string | undefined } | null = null;
  /** Snapshots received over all its streams. */
  received = 0;
  reconnects = 0;
  /** Snapshots that repeated the version the subscriber resumed from (the server must not resend it). */
  resentAfterResume = 0;
  readonly failures: string[] = [];
  private readonly changes = new Changes();
  private stream: LiveStream | null = null;
  private closed = false;
  private readonly running: Promise<void>;

  constructor(
    private readonly client: ScoreboardClient,
    private readonly ledger: Ledger,
    private readonly input: { limit: number },
  ) {
    this.running = this.loop();
  }

  private async loop() {
    while (!this.closed) {
      const resumedFrom = this.latest?.id;
      try {
        const stream = await this.client.live(this.input, resumedFrom === undefined ? {} : { lastEventId: resumedFrom });
        this.stream = stream;
        if (this.closed) return stream.close();
        let first = true;
        // Sees every snapshot in order and never accepts one: returns only by throwing when the stream ends.
        await stream.until((board, id) => {
          if (first && resumedFrom !== undefined && id === resumedFrom) this.resentAfterResume += 1;
          first = false;
          this.latest = { board, id };
          this.received += 1;
          this.ledger.observe(board);
          this.changes.notify();
          return undefined;
        }, 2 ** 31 - 1);
      } catch (error) {
        if (this.closed) return;
        if (this.failures.length < 5) this.failures.push((error as Error).message);
      } finally {
        this.stream?.close();
      }
      this.reconnects += 1;
      await sleep(CLIENT_RETRY_MS); // justified: EventSource's reconnection delay: part of how a real client behaves.
    }
  }

  /** True once the subscriber has received `count` snapshots in all; false after `timeoutMs`. */
  async receives(count: number, timeoutMs: number) {
    return this.changes.until(() => this.received >= count, timeoutMs);
  }

  /** True once the subscriber's latest board equals `board` (user, score, order); false after `timeoutMs`. */
  async reaches(board: Board, timeoutMs: number) {
    return this.changes.until(() => this.latest !== null && sameEntries(this.latest.board, board), timeoutMs);
  }

  async close() {
    this.closed = true;
    this.stream?.close();
    await this.running;
  }
}

export function sameEntries(a: Board, b: Board) {
  return a.entries.length === b.entries.length && a.entries.every((entry, index) => entry.userId === b.entries[index]!.userId && entry.score === b.entries[index]!.score);
}

/** Runs `task` over `items` with at most `concurrency` in flight. */
export async function inParallel<T, R>(items: T[], concurrency: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const index = next++;
      results[index] = await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}

/** A small seeded PRNG (mulberry32), so a run's random duplicates and delays can be replayed from its seed. */
export function seededRandom(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function shuffle<T>(items: T[], random: () => number): T[] {
  const result = [...items];
  for (let i = result.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [result[i], result[j]] = [result[j]!, result[i]!];
  }
  return result;
}
