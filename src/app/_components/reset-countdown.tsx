"use client";

import { useEffect, useState, useSyncExternalStore } from "react";

import { formatTimeLeft, serverClock, untilTextChanges } from "./server-clock";

/** Timers are late in background tabs, and the device may have slept: never trust one for longer than this. */
const RECHECK_AT_LEAST_EVERY_MS = 60_000;

const subscribeToNothing = () => () => {};

/** False while the server renders and the client hydrates (they must agree), true after. */
function useHydrated() {
  return useSyncExternalStore(
    subscribeToNothing,
    () => true,
    () => false,
  );
}

/**
 * "Today's board resets in 5 h 12 m": the time left until `resetsAt`, on the server's clock
 * (./server-clock.ts), updated when the text would change. Server rendering and hydration show
 * the time left when the server rendered the page (`pageRenderedAt`, the same on both sides); the
 * clock takes over after. When the time is up the live stream brings the next period's board,
 * and with it the next countdown.
 */
export function ResetCountdown({ name, resetsAt, generatedAt, pageRenderedAt }: { name: string; resetsAt: Date; generatedAt: Date; pageRenderedAt: number }) {
  const resetsAtMs = resetsAt.getTime();
  const generatedAtMs = generatedAt.getTime();
  const hydrated = useHydrated();
  const [now, setNow] = useState<number | null>(null);

  useEffect(() => {
    // Both arrived before this effect ran: each bounds the device's offset from below.
    serverClock.observe(new Date(pageRenderedAt));
    serverClock.observe(new Date(generatedAtMs));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = () => {
      clearTimeout(timer);
      const current = serverClock.now();
      setNow(current);
      const wait = untilTextChanges(resetsAtMs - current);
      if (wait !== null) timer = setTimeout(tick, Math.min(wait, RECHECK_AT_LEAST_EVERY_MS));
    };
    tick();
    const onVisible = () => document.visibilityState === "visible" && tick();
    document.addEventListener("visibilitychange", onVisible);
    return () => {
      clearTimeout(timer);
      document.removeEventListener("visibilitychange", onVisible);
    };
  }, [resetsAtMs, generatedAtMs, pageRenderedAt]);

  const left = formatTimeLeft(resetsAtMs - (now ?? (hydrated ? serverClock.now() : pageRenderedAt)));
  return (
    <p className="countdown" data-testid="board-countdown">
      {left === null ? `${name} is starting over…` : `${name} resets in ${left}`}
    </p>
  );
}
