"use client";

import { useEffect, useRef, useState } from "react";

export type ConnectionState = "connecting" | "live" | "reconnecting" | "offline";

const LABELS: Record<ConnectionState, string> = {
  connecting: "Connecting…",
  live: "Live",
  reconnecting: "Reconnecting…",
  offline: "Offline",
};

/** Maps the subscription's status to what a person cares about, remembering whether it was ever live. */
export function useConnectionState(status: "idle" | "connecting" | "pending" | "error"): ConnectionState {
  const wasLive = useRef(false);
  const online = useOnline();
  if (!online) return "offline";
  if (status === "pending") {
    wasLive.current = true;
    return "live";
  }
  if (status === "error") return "offline";
  return wasLive.current ? "reconnecting" : "connecting";
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
