"use client";

import { useEffect, useRef, useState } from "react";

export type ConnectionState = "connecting" | "live" | "reconnecting" | "offline";

const LABELS: Record<ConnectionState, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  offline: "Offline",
};

/**
 * Maps the subscription's status to what a person cares about, remembering whether it was ever
 * live. A new `stream` (the page switched to another board's stream) starts over at "Connecting…":
 * that is not a reconnection.
 */
export function useConnectionState(status: "idle" | "connecting" | "pending" | "error", stream = ""): ConnectionState {
  const wasLive = useRef<string | null>(null);
  const online = useOnline();
  if (!online) return "offline";
  if (status === "pending") {
    wasLive.current = stream;
    return "live";
  }
  if (status === "error") return "offline";
  return wasLive.current === stream ? "reconnecting" : "connecting";
}

function useOnline() {
  const [online, setOnline] = useState(true);
  useEffect(() => {
    const update = () => setOnline(navigator.onLine);
    update();
    window.addEventListener("online", update);
    window.addEventListener("offline", update);
    return () => {
      window.removeEventListener("online", update);
      window.removeEventListener("offline", update);
    };
  }, []);
  return online;
}

export function ConnectionIndicator({ state }: { state: ConnectionState }) {
  return (
    <p className="connection" role="status" data-connection={state}>
      <span className="dot" aria-hidden="true" />
      {LABELS[state]}
    </p>
  );
}
