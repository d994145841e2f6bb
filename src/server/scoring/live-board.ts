/**
 * One window's board as this instance knows it, kept current by one watcher per window and
 * process, however many streams and readers it serves.
 *
 * - A change made by this process notifies the watcher directly (no Redis round trip).
 * - Changes made by other instances arrive as a Redis PUBLISH of the new board version, which
 *   the board's write script sends itself; a slow poll of the version backs up pub/sub, whose
 *   messages are lost while its stream reconnects (and while a serverless instance is frozen).
 * - On a change the watcher reads the board once and hands the snapshot to every listener;
 *   changes that land within `coalesceMs` of the last read are read together, so a burst costs
 *   one read and one snapshot, not one per change.
 * - When the board's period (a day, a week) ends, the next period's board is read then, so
 *   every listener gets the new, empty board without a change being announced.
 * - Readers (`current`) get the snapshot from memory while it is known to be current: the
 *   pub/sub stream is up, no change has been announced since the read, and the poll confirmed
 *   the version recently. Otherwise they share one read. Without listeners, changes are only
 *   counted: the next reader reads.
 *
 * The watcher runs only while someone listens or has read recently, so nothing here needs a
 * long-lived process: on a serverless platform it lives as long as the traffic that uses it.
 */
import type { BoardWindow } from "~/lib/board-windows";
import type { Board, BoardChangeFeed } from "~/server/board/types";

export type LiveBoard = ReturnType<typeof createLiveBoard>;

/** One live board per window, each with its own watcher. */
export type LiveBoards = Record<BoardWindow, LiveBoard>;

/** The largest board a subscriber or reader may ask for; the watcher reads this many once per change. */
export const LIVE_BOARD_SIZE = 100;

export type LiveBoardTiming = {
  /** How often the watcher checks Redis's board version (the backstop for lost pub/sub messages). */
  pollIntervalMs: number;
  /** Changes within this long of the last read are read together (one snapshot per burst). */
  coalesceMs: number;
  /** How long the watcher keeps running after the last read when nobody listens. */
  readerLeaseMs: number;
};

export const DEFAULT_LIVE_TIMING: LiveBoardTiming = { pollIntervalMs: 2_000, coalesceMs: 20, readerLeaseMs: 60_000 };

export function createLiveBoard(deps: {
  readBoard: () => Promise<Board>;
  changeFeed: BoardChangeFeed;
  onError: (operation: string, error: unknown) => void;
  timing?: Partial<LiveBoardTiming>;
  now?: () => number;
}) {
  const timing = { ...DEFAULT_LIVE_TIMING, ...deps.timing };
  const now = deps.now ?? Date.now;
  const listeners = new Set<(board: Board) => void>();

  let running = false;
  let latest: Board | null = null;
  /** When Redis last agreed with `latest` (a read, or a poll that found the same version). */
  let confirmedAt = -Infinity;
  /** Changes announced so far, and how many of them `latest` shows. */
  let changes = 0;
  let changesRead = -1;
  /** The pub/sub stream: asked for (since when), in place, or lost. */
  let subscription: { state: "pending"; since: number } | { state: "ready" } | { state: "lost" } = { state: "lost" };
  let readerLeaseUntil = -Infinity;
  let stopFeed: (() => void) | null = null;
  let poller: NodeJS.Timeout | null = null;

  /** The one read in flight, and how many changes it will show. */
  let reading: { board: Promise<Board>; changes: number } | null = null;
  /** Readers who need a read that starts after a change the read in flight will not show. */
  let waitingForNextRead: { board: Promise<Board>; resolve(board: Board): void; reject(error: unknown): void } | null = null;
  let lastReadAt = -Infinity;
  let delayed: NodeJS.Timeout | null = null;
  /** Fires when the period `latest` shows ends: the next period's board is read then. */
  let periodEnd: NodeJS.Timeout | null = null;

  /** Memory shows every announced change, nothing is on its way in, and its period has not ended. */
  function isCurrent() {
    return (
      running &&
      subscription.state === "ready" &&
      changesRead === changes &&
      !reading &&
      latest !== null &&
      now() - confirmedAt < timing.pollIntervalMs * 2 &&
      (latest.resetsAt === null || now() < latest.resetsAt.getTime())
    );
  }

  /** A board of a period is followed by the next period's (empty) board when it ends, with no change announced. */
  function watchPeriodEnd(board: Board) {
    if (periodEnd) clearTimeout(periodEnd);
    periodEnd = null;
    if (!board.resetsAt) return;
    // A timer may fire a moment before the clock reaches the end: the read then shows the same
    // period, and sets the timer again for what is left.
    periodEnd = setTimeout(onChange, Math.max(0, board.resetsAt.getTime() - now()) + 1);
    periodEnd.unref();
  }

  /**
   * Reads the board once and hands it to listeners. When it is done, readers who arrived after a
   * change it does not show get the next read at once; changes that arrived during it without
   * anyone waiting are read together after the coalescing delay. No reader waits for more than
   * the read in flight and the one after it, however fast changes come.
   */
  function startRead(): Promise<Board> {
    if (delayed) clearTimeout(delayed);
    delayed = null;
    const showing = changes;
    lastReadAt = now();
    const board = deps.readBoard().then((read) => {
      confirmedAt = now();
      changesRead = showing;
      const isNew = !latest || !sameEntries(latest, read);
      watchPeriodEnd(read);
      latest = read;
      if (isNew) for (const listener of listeners) listener(read);
      return read;
    });
    reading = { board, changes: showing };
    void board
      .catch(() => {
        // the caller that needed this read reports its failure
      })
      .finally(() => {
        reading = null;
        const waiting = waitingForNextRead;
        waitingForNextRead = null;
        if (waiting) startRead().then(waiting.resolve, waiting.reject);
        else if (running && listeners.size > 0 && changes !== showing) scheduleRead();
      });
    return board;
  }

  /** A read soon: now, or together with other changes if a read just happened. */
  function scheduleRead() {
    if (reading || delayed) return; // the read in flight schedules the next when it ends
    const wait = lastReadAt + timing.coalesceMs - now();
    const read = () => void startRead().catch((error: unknown) => deps.onError("read", error));
    if (wait <= 0) read();
    else
      delayed = setTimeout(() => {
        delayed = null;
        read();
      }, wait);
  }

  /** A board showing every change announced before this call. */
  function freshBoard(): Promise<Board> {
    if (!reading) return startRead();
    if (reading.changes === changes) return reading.board;
    if (!waitingForNextRead) {
      let resolve!: (board: Board) => void;
      let reject!: (error: unknown) => void;
      const board = new Promise<Board>((done, fail) => ((resolve = done), (reject = fail)));
      waitingForNextRead = { board, resolve, reject };
    }
    return waitingForNextRead.board;
  }

  /**
   * A change was announced. Listeners (live streams) are sent each change, so it is read now;
   * readers alone wait for their next read: reading every change of a busy board for readers
   * who come once in a while would cost a read per change for nothing.
   */
  function onChange() {
    changes += 1;
    if (running && listeners.size > 0) scheduleRead();
  }

  function subscribe() {
    stopFeed?.();
    subscription = { state: "pending", since: now() };
    const ours = (stopFeed = deps.changeFeed.subscribe({
      onChange,
      onReady: () => {
        if (stopFeed !== ours) return;
        subscription = { state: "ready" };
        // Anything published before the subscription was in place is in this read.
        onChange();
      },
      onLost: () => {
        if (stopFeed === ours) subscription = { state: "lost" };
      },
    }));
  }

  const idle = () => listeners.size === 0 && now() > readerLeaseUntil;

  async function poll() {
    if (idle()) return stop();
    const inRedis = await deps.changeFeed.currentVersion();
    // Stopped while the poll was out (the last listener left): its answer is nobody's business.
    if (!running || inRedis === null || reading) return;
    // Keys lost behind our back (a flush, a restart, an eviction): read, which rebuilds the board.
    if (!inRedis.built) return onChange();
    if (subscription.state === "pending" && now() - subscription.since < timing.pollIntervalMs * 5) return;
    if (subscription.state === "ready" && latest && inRedis.version === String(latest.version)) {
      confirmedAt = now();
      return;
    }
    // Pub/sub should have told us: its stream may have died silently (or never came up), so
    // open a new one; its onReady reads the board.
    subscribe();
  }

  function start() {
    if (running) return;
    running = true;
    // Whatever happened while stopped is unknown: the first board is read afresh.
    changes += 1;
    subscribe();
    poller = setInterval(() => void poll(), timing.pollIntervalMs);
    poller.unref();
  }

  function stop() {
    running = false;
    stopFeed?.();
    stopFeed = null;
    subscription = { state: "lost" };
    if (poller) clearInterval(poller);
    if (delayed) clearTimeout(delayed);
    if (periodEnd) clearTimeout(periodEnd);
    poller = null;
    delayed = null;
    periodEnd = null;
    latest = null;
  }

  /** The board from memory when it is known to be current, else from one shared read. */
  function board(): Promise<Board> {
    start();
    if (isCurrent()) return Promise.resolve(latest!);
    return freshBoard();
  }

  return {
    /** Tells the watcher the board changed in this process. */
    notify() {
      if (running) onChange();
    },

    /**
     * The board, from memory when it is known to be current, else from one read shared by
     * every caller waiting at the same time. Keeps the watcher running for a while after, so
     * the next reads come from memory.
     */
    current(): Promise<Board> {
      readerLeaseUntil = now() + timing.readerLeaseMs;
      return board();
    },

    /**
     * The board if memory holds a current one, else null (no I/O: for callers that cannot
     * wait, and that hand a miss to one that can). Counts as a read for the reader lease.
     */
    peek(): Board | null {
      readerLeaseUntil = now() + timing.readerLeaseMs;
      start();
      return isCurrent() ? latest : null;
    },

    /**
     * Calls `listener` with every new board until the returned function is called; `board()`
     * gives the one to start from. The watcher stops with the last listener unless readers
     * hold it.
     */
    listen(listener: (board: Board) => void): { board: () => Promise<Board>; stop: () => void } {
      listeners.add(listener);
      start();
      return {
        board,
        stop() {
          if (listeners.delete(listener) && idle()) stop();
        },
      };
    },

    /**
     * Snapshots for one subscriber until `signal` aborts: the current board first, then each
     * change. A slow reader is never queued a backlog, only the newest snapshot.
     */
    async *watch(signal: AbortSignal): AsyncGenerator<Board> {
      let pending: Board | null = null;
      let wake: (() => void) | null = null;
      const listening = this.listen((board) => {
        pending = board;
        wake?.();
      });
      const onAbort = () => wake?.();
      signal.addEventListener("abort", onAbort);
      try {
        // Listening before reading, so no change can fall between the read and the stream.
        pending ??= await listening.board();
        for (;;) {
          // An AbortError, not a return: tRPC then closes the stream without its "done" event,
          // and the client reconnects (with its last event id) instead of finishing.
          signal.throwIfAborted();
          if (!pending) {
            await new Promise<void>((resolve) => (wake = resolve));
            wake = null;
            continue;
          }
          const board: Board = pending;
          pending = null;
          yield board;
        }
      } finally {
        signal.removeEventListener("abort", onAbort);
        listening.stop();
      }
    },

    /** Whether the watcher is running (tests). */
    get running() {
      return running;
    },

    /** Listeners: streams (or the fan-out serving them) and watch() subscribers. */
    get subscriberCount() {
      return listeners.size;
    },
  };
}

function sameEntries(a: Board, b: Board) {
  if (a.period !== b.period || a.entries.length !== b.entries.length) return false;
  return a.entries.every((entry, index) => {
    const other = b.entries[index]!;
    return entry.userId === other.userId && entry.score === other.score && entry.displayName === other.displayName;
  });
}

/** What a viewer of a board sees, as text: equal texts need no new frame. */
export function viewContent(view: Board) {
  return `${view.period ?? ""}|${JSON.stringify(view.entries)}`;
}

/** A board cut to its top `limit`. */
export function sliceBoard(board: Board, limit: number): Board {
  return board.entries.length <= limit ? board : { ...board, entries: board.entries.slice(0, limit) };
}
