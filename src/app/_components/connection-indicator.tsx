"use client";

import type { FeedState } from "./board-feed";

export type ConnectionState = FeedState;

const LABELS: Record<ConnectionState, string> = {
  connecting: "Connecting…",
  live: "Live",
  polling: "Polling",
  reconnecting: "Reconnecting…",
  offline: "Offline",
};

/** What each state means, for the indicator's tooltip. */
const DETAILS: Record<ConnectionState, string> = {
  connecting: "Opening the live stream.",
  live: "Changes arrive as they happen.",
  polling: "The live stream is not getting through: the board is re-read every few seconds while the page retries it.",
  reconnecting: "The live stream was lost: reconnecting.",
  offline: "Neither the live stream nor the board can be reached. The page keeps trying.",
};

/**
 * How fresh the board is: Live (the stream), Polling (re-read every few seconds while the stream
 * is retried), Reconnecting, Offline. Offline offers to try again at once.
 */
export function ConnectionIndicator({ state, onRetry }: { state: ConnectionState; onRetry: () => void }) {
  return (
    <div className="connection-bar">
      <p className="connection" role="status" data-connection={state} title={DETAILS[state]}>
        <span className="dot" aria-hidden="true" />
        {LABELS[state]}
      </p>
      {state === "offline" ? (
        <button type="button" className="secondary retry" onClick={onRetry}>
          Retry
        </button>
      ) : null}
    </div>
  );
}
