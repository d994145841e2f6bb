/**
 * Live board fan-out: one watcher per process, however many subscribers it serves.
 *
 * - A change made by this process notifies the watcher directly (no Redis round trip).
 * - Changes made by other instances arrive as a Redis PUBLISH of the new board version,
 *   which the board's write script sends itself; a slow poll of the version backs up
 *   pub/sub, whose messages are lost while its stream reconnects.
 * - On any notification the watcher reads the board once and hands the snapshot to every
 *   local subscriber: a change costs O(instances) Redis requests, not O(subscribers).
 *
 * The watcher runs only while someone is subscribed, so nothing here needs a long-lived
 * process: on a serverless platform it lives exactly as long as the open streams.
 */
import type { Board } from "./board";

export type RemoteChanges = {
  /** Calls `onChange` for every board change published by any instance; returns a stop function. */
  subscribe(onChange: () => void): () => void;
  /** The board version Redis holds now, or null when unreachable. */
  currentVersion(): Promise<string | null>;
};

export type LiveBoard = ReturnType<typeof createLiveBoard>;

/** The largest board a subscriber may ask for; the watcher reads this many once per change. */
export const LIVE_BOARD_SIZE = 100;

/** How often the watcher checks the board version behind pub/sub's back. */
const POLL_INTERVAL_MS = 2_000;

type Subscriber = { latest: Board | null; wake: (() => void) | null };

export function createLiveBoard(deps: {
  readBoard: () => Promise<Board>;
  remote: RemoteChanges;
  onError: (operation: string, error: unknown) => void;
  /** Default POLL_INTERVAL_MS; tests shorten it rather than wait it out. */
  pollIntervalMs?: number;
}) {
  const pollIntervalMs = deps.pollIntervalMs ?? POLL_INTERVAL_MS;
  const subscribers = new Set<Subscriber>();
  let latest: Board | null = null;
  let reading: Promise<void> | null = null;
  let readAgain = false;
  let stopRemote: (() => void) | null = null;
  let poller: NodeJS.Timeout | null = null;

  /** Reads the board (one read in flight at a time, coalescing notifications) and fans out changes. */
  function refresh() {
    if (reading) {
      readAgain = true;
      return reading;
    }
    reading = (async () => {
      do {
        readAgain = false;
        try {
          const board = await deps.readBoard();
          // Stopped meanwhile: keep nothing, the next first subscriber reads afresh.
          if (subscribers.size === 0) return;
          const changed = !latest || !sameEntries(latest, board);
          latest = board;
          if (changed) {
            for (const subscriber of subscribers) {
              subscriber.latest = board;
              subscriber.wake?.();
            }
          }
        } catch (error) {
          deps.onError("read", error);
        }
      } while (readAgain);
    })().finally(() => {
      reading = null;
    });
    return reading;
  }

  function start() {
    stopRemote = deps.remote.subscribe(() => void refresh());
    poller = setInterval(() => {
      void deps.remote.currentVersion().then((version) => {
        if (version === null || version === String(latest?.version) || reading) return;
        // Pub/sub should have told us: its stream may have died silently, so open a new one.
        stopRemote?.();
        stopRemote = deps.remote.subscribe(() => void refresh());
        void refresh();
      });
    }, pollIntervalMs);
    poller.unref();
  }

  function stop() {
    stopRemote?.();
    stopRemote = null;
    if (poller) clearInterval(poller);
    poller = null;
    latest = null;
  }

  return {
    /** Tells the watcher the board changed in this process. */
    notify() {
      if (subscribers.size > 0) void refresh();
    },

    /**
     * Snapshots for one subscriber until `signal` aborts: the current board first, then each
     * change. A slow reader is never queued a backlog, only the newest snapshot.
     */
    async *watch(signal: AbortSignal): AsyncGenerator<Board> {
      const subscriber: Subscriber = { latest: null, wake: null };
      subscribers.add(subscriber);
      if (subscribers.size === 1) start();
      const onEnd = () => subscriber.wake?.();
      signal.addEventListener("abort", onEnd);
      try {
        // Subscribed before reading, so no change can fall between the read and the stream.
        if (latest) subscriber.latest = latest;
        else await refresh();
        for (;;) {
          // An AbortError, not a return: tRPC then closes the stream without its "done" event,
          // and the client reconnects (with its last event id) instead of finishing.
          signal.throwIfAborted();
          if (!subscriber.latest) {
            await new Promise<void>((resolve) => (subscriber.wake = resolve));
            subscriber.wake = null;
            continue;
          }
          const board = subscriber.latest;
          subscriber.latest = null;
          yield board;
        }
      } finally {
        signal.removeEventListener("abort", onEnd);
        subscribers.delete(subscriber);
        if (subscribers.size === 0) stop();
      }
    },

    /** How many streams this process serves (for metrics and tests). */
    get subscriberCount() {
      return subscribers.size;
    },
  };
}

function sameEntries(a: Board, b: Board) {
  if (a.entries.length !== b.entries.length) return false;
  return a.entries.every((entry, index) => {
    const other = b.entries[index]!;
    return entry.userId === other.userId && entry.score === other.score && entry.displayName === other.displayName;
  });
}

/** Slices a snapshot to a subscriber's limit. */
export function sliceBoard(board: Board, limit: number): Board {
  return board.entries.length <= limit ? board : { ...board, entries: board.entries.slice(0, limit) };
}

/** A subscriber's view of a board: its top `limit`, and that top's entries as text, to tell whether it changed. */
export type BoardView = { snapshot: Board; content: string };

const views = new WeakMap<Board, Map<number, BoardView>>();

/**
 * The view of `board` for a `limit`, made once per board and limit however many streams show it:
 * the watcher hands every subscriber the same board object, and slicing and serialising it per
 * stream was a cost of its own at a thousand subscribers (the benchmark's live fan-out profile).
 */
export function viewOf(board: Board, limit: number): BoardView {
  let byLimit = views.get(board);
  if (!byLimit) views.set(board, (byLimit = new Map()));
  let view = byLimit.get(limit);
  if (!view) {
    const snapshot = sliceBoard(board, limit);
    view = { snapshot, content: JSON.stringify(snapshot.entries) };
    byLimit.set(limit, view);
  }
  return view;
}
