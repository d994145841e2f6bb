/**
 * Load that behaves like real clients: players who start actions, wait until they may complete
 * them and submit (retrying, with the same token, any submit that got no definite answer),
 * readers polling the board, and live subscribers that reconnect the way EventSource does —
 * reopening with their last event id.
 */
import { LiveStream, type Board, type ScoreboardSession, type StartedAction } from "../test/support/client";
import type { Ledger } from "./ledger";

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export type Player = { userId: string; session: ScoreboardSession };

/** How long a player keeps retrying a submit with no definite answer before giving up (it stays "unknown"). */
const SUBMIT_RETRY_MS = 60_000;

/** Submits until the answer is definite (a result or a 4xx), retrying while the service is unavailable. */
export async function submitUntilDefinite(ledger: Ledger, player: Player, action: Pick<StartedAction, "actionId" | "token">) {
  const deadline = Date.now() + SUBMIT_RETRY_MS;
  for (;;) {
    const outcome = await ledger.submit(player.session, player.userId, action);
    if (outcome.kind === "ok" || outcome.kind === "refused" || Date.now() > deadline) return outcome;
    await sleep(300);
  }
}

/** Waits until the server's earliest completion time (same machine, same clock), plus a margin. */
export async function waitUntilCompletable(action: Pick<StartedAction, "minCompleteAt">) {
  const wait = new Date(action.minCompleteAt).getTime() - Date.now() + 50;
  if (wait > 0) await sleep(wait);
}

/** One player's steady load until `stop`: start, wait, submit; an unfinished submit is always seen through. */
export async function play(ledger: Ledger, player: Player, stop: AbortSignal, actionType = "COMPLETE_TASK") {
  let completed = 0;
  while (!stop.aborted) {
    const started = await ledger.start(player.session, player.userId, actionType);
    if (started.kind !== "ok") {
      await sleep(300);
      continue;
    }
    await waitUntilCompletable(started.value);
    const outcome = await submitUntilDefinite(ledger, player, started.value);
    if (outcome.kind === "ok") completed += 1;
  }
  return completed;
}

/** Reads the board every `intervalMs` until `stop`; counts the reads and those that failed. */
export async function read(ledger: Ledger, session: ScoreboardSession, stop: AbortSignal, intervalMs = 250) {
  const reads = { tried: 0, failed: 0 };
  while (!stop.aborted) {
    reads.tried += 1;
    if ((await ledger.top(session)).kind !== "ok") reads.failed += 1;
    await sleep(intervalMs);
  }
  return reads;
}

/**
 * Steady load against one base URL: every player playing, one reader, live subscribers.
 * `stop()` ends it and waits until every player's last submit has a definite answer.
 */
export function steadyLoad(ledger: Ledger, base: string, players: Player[], anonymous: () => ScoreboardSession, subscriberCount: number) {
  const stop = new AbortController();
  const started = performance.now();
  // Subscribers first: their streams then take consecutive new connections (a round-robin proxy spreads them evenly).
  const subscribers = Array.from({ length: subscriberCount }, () => new LiveSubscriber(anonymous(), ledger, { limit: 100 }));
  const playing = players.map((player) => play(ledger, player, stop.signal));
  const reading = read(ledger, anonymous(), stop.signal);
  return {
    subscribers,
    base,
    async stop() {
      stop.abort();
      const completed = (await Promise.all(playing)).reduce((sum, n) => sum + n, 0);
      const reads = await reading;
      const seconds = (performance.now() - started) / 1000;
      const describe = `${players.length} players (start → wait 2 s → submit, in a loop), 1 reader every 250 ms, ${subscriberCount} live subscribers; ${completed} actions completed in ${seconds.toFixed(0)} s`;
      return { completed, reads, seconds, describe };
    },
    /** Waits until every subscriber shows `board`; returns the ids of those that did not within `timeoutMs`. */
    async subscribersBehind(board: Board, timeoutMs: number) {
      const reached = await Promise.all(subscribers.map((subscriber) => subscriber.reaches(board, timeoutMs)));
      return subscribers.filter((_, index) => !reached[index]).map((subscriber) => subscriber.latest?.id ?? "nothing");
    },
    async close() {
      await Promise.all(subscribers.map((subscriber) => subscriber.close()));
    },
  };
}

/** How many submits the ledger saw acknowledged as applied (not replays). */
export function appliedCount(ledger: Ledger) {
  let applied = 0;
  for (const record of ledger.submits.values()) applied += record.acked.filter((result) => !result.replayed).length;
  return applied;
}

/**
 * A live subscriber that never gives up: when its stream fails it reopens it after `retryMs`
 * with the last event id it received, as EventSource (and tRPC's httpSubscriptionLink) do.
 */
export class LiveSubscriber {
  latest: { board: Board; id: string | undefined } | null = null;
  reconnects = 0;
  /** Snapshots that repeated the version the subscriber resumed from (the server must not resend it). */
  resentAfterResume = 0;
  readonly failures: string[] = [];
  private stream: LiveStream | null = null;
  private closed = false;
  private readonly running: Promise<void>;

  constructor(
    private readonly session: ScoreboardSession,
    private readonly ledger: Ledger,
    private readonly input: { limit: number },
    private readonly retryMs = 500,
  ) {
    this.running = this.loop();
  }

  private async loop() {
    while (!this.closed) {
      const stream = new LiveStream(this.session, false);
      const resumedFrom = this.latest?.id;
      let first = true;
      stream.onSnapshot = ({ board, id }) => {
        if (first && resumedFrom !== undefined && id === resumedFrom) this.resentAfterResume += 1;
        first = false;
        this.latest = { board, id };
        this.ledger.observe(board);
      };
      this.stream = stream;
      try {
        await stream.open(this.input, resumedFrom);
        // Resolves never: rejects when the stream fails or closes.
        await stream.until(() => undefined, 2 ** 31 - 1);
      } catch (error) {
        if (this.closed) return;
        if (this.failures.length < 5) this.failures.push((error as Error).message);
      } finally {
        stream.close();
      }
      this.reconnects += 1;
      await sleep(this.retryMs);
    }
  }

  /** Resolves when the subscriber's latest board equals `board` (user, score, order), or returns false after `timeoutMs`. */
  async reaches(board: Board, timeoutMs: number) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.latest && sameEntries(this.latest.board, board)) return true;
      await sleep(100);
    }
    return false;
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
