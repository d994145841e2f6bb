/**
 * Keeps one board fresh in the page: its live stream while the stream works, and conditional
 * reads of the board every few seconds while it does not, so the board never freezes.
 *
 * The stream counts as working once it has delivered its first event (tRPC's `connected`). It
 * has failed when it errors or closes, and also when that first event has not come within
 * FIRST_EVENT_TIMEOUT_MS: a proxy that buffers responses holds the stream's events back, and
 * the page would wait for ever. Then the page polls (at once if the stream never worked, after
 * a short grace if a working stream dropped, as it does at its maximum duration) and retries the
 * stream with a growing, jittered delay; a working stream stops the polling.
 *
 * Plain TypeScript, no React: the page hands it the stream and the read (./scoreboard.tsx),
 * tests hand it their own, and timers.
 */

export type FeedState = "connecting" | "live" | "polling" | "reconnecting" | "offline";

/** A stream that has not delivered its first event by then is treated as failed (a buffering proxy). */
export const FIRST_EVENT_TIMEOUT_MS = 10_000;
/** How often the board is read while the stream is down. */
export const POLL_EVERY_MS = 5_000;
/** After a working stream drops, how long the immediate reconnect has before polling starts. */
export const POLL_GRACE_MS = 1_000;
/** Reads that failed in a row, with the stream down too, before the page says Offline (about 10 s). */
export const OFFLINE_AFTER_FAILED_POLLS = 3;
/** Delays before the stream's next attempt, by attempts failed in a row; the last repeats. Jittered ±20 %. */
export const STREAM_BACKOFF_MS = [0, 1_000, 2_000, 4_000, 8_000, 15_000] as const;

export type StreamHandlers = {
  /** The stream delivered its first event. */
  started(): void;
  /** The stream errored or ended. */
  failed(): void;
};

export type FeedTimers = {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
};

export type BoardFeedDeps = {
  /** Opens the stream, reporting to `handlers`; returns what closes it. */
  openStream(handlers: StreamHandlers): () => void;
  /** One read of the board, applied by the caller; rejects when the read failed. */
  poll(): Promise<void>;
  /** The state changed. */
  onState(state: FeedState): void;
  timers?: FeedTimers;
  /** 0 ≤ x < 1, for the jitter. */
  random?: () => number;
};

export type BoardFeed = {
  start(): void;
  stop(): void;
  /** Try the stream (and a read) now, forgetting the backoff: the Retry button, the device coming back online. */
  retry(): void;
  /** The device's network, as the browser reports it. */
  setOnline(online: boolean): void;
  /** The stream is delivering: a read that arrives now is older than what it delivers. */
  readonly streaming: boolean;
  readonly state: FeedState;
};

const defaultTimers: FeedTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export function createBoardFeed(deps: BoardFeedDeps): BoardFeed {
  const timers = deps.timers ?? defaultTimers;
  const random = deps.random ?? Math.random;

  let running = false;
  let online = true;
  /** The stream attempt in progress (opened, not yet failed); null between attempts. */
  let attempt: { close: () => void } | null = null;
  let streamLive = false;
  /** The stream has failed since it last worked (or since the start): the page is on its fallback. */
  let fallback = false;
  let failedAttempts = 0;
  let firstEventTimer: unknown = null;
  let retryTimer: unknown = null;

  let polling = false;
  let pollTimer: unknown = null;
  let pollInFlight = false;
  let failedPolls = 0;
  let lastPollOk = false;

  let reported: FeedState | null = null;

  function state(): FeedState {
    if (!online) return "offline";
    if (streamLive) return "live";
    if (!fallback) return "connecting";
    if (failedPolls >= OFFLINE_AFTER_FAILED_POLLS) return "offline";
    return lastPollOk ? "polling" : "reconnecting";
  }

  function report() {
    if (!running) return;
    const now = state();
    if (now === reported) return;
    reported = now;
    deps.onState(now);
  }

  function clear(timer: unknown) {
    if (timer !== null) timers.clearTimeout(timer);
  }

  function connect() {
    clear(retryTimer);
    retryTimer = null;
    if (!running || attempt) return;
    const current: { close: () => void } = { close: () => undefined };
    attempt = current;
    firstEventTimer = timers.setTimeout(() => {
      if (attempt === current && !streamLive) lose();
    }, FIRST_EVENT_TIMEOUT_MS);
    const close = deps.openStream({
      started() {
        if (attempt !== current || streamLive) return;
        clear(firstEventTimer);
        firstEventTimer = null;
        streamLive = true;
        fallback = false;
        failedAttempts = 0;
        stopPolling();
        report();
      },
      failed() {
        if (attempt === current) lose();
      },
    });
    // Failed while opening: lose() ran before there was anything to close.
    if (attempt === current) current.close = close;
    else close();
  }

  /** The stream attempt failed, or the working stream dropped. */
  function lose() {
    const wasLive = streamLive;
    const current = attempt;
    attempt = null;
    streamLive = false;
    fallback = true;
    clear(firstEventTimer);
    firstEventTimer = null;
    current?.close();
    if (!running) return;
    startPolling(wasLive ? POLL_GRACE_MS : 0);
    const base = STREAM_BACKOFF_MS[Math.min(failedAttempts, STREAM_BACKOFF_MS.length - 1)]!;
    failedAttempts += 1;
    retryTimer = timers.setTimeout(connect, base * (0.8 + 0.4 * random()));
    report();
  }

  function startPolling(delay: number) {
    if (polling) return;
    polling = true;
    pollTimer = timers.setTimeout(pollOnce, delay);
  }

  function stopPolling() {
    polling = false;
    clear(pollTimer);
    pollTimer = null;
    failedPolls = 0;
    lastPollOk = false;
  }

  function pollOnce() {
    pollTimer = null;
    if (!polling || pollInFlight) return;
    pollInFlight = true;
    deps.poll().then(
      () => {
        pollInFlight = false;
        if (!polling) return;
        const recovered = failedPolls > 0;
        failedPolls = 0;
        lastPollOk = true;
        // The server answers again after failing: the stream may well work now too.
        if (recovered && !attempt) {
          failedAttempts = 0;
          connect();
        }
        next();
      },
      () => {
        pollInFlight = false;
        if (!polling) return;
        failedPolls += 1;
        lastPollOk = false;
        next();
      },
    );
  }

  function next() {
    report();
    if (polling && running) pollTimer = timers.setTimeout(pollOnce, POLL_EVERY_MS);
  }

  return {
    start() {
      if (running) return;
      running = true;
      report();
      connect();
    },
    stop() {
      running = false;
      clear(retryTimer);
      retryTimer = null;
      const current = attempt;
      attempt = null;
      streamLive = false;
      clear(firstEventTimer);
      firstEventTimer = null;
      current?.close();
      stopPolling();
    },
    retry() {
      if (!running) return;
      failedAttempts = 0;
      if (!attempt) connect();
      if (polling && !pollInFlight) {
        clear(pollTimer);
        pollOnce();
      }
    },
    setOnline(value) {
      const cameBack = value && !online;
      online = value;
      report();
      if (cameBack) this.retry();
    },
    get streaming() {
      return streamLive;
    },
    get state() {
      return state();
    },
  };
}
