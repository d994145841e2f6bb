"use client";

import { TRPCClientError } from "@trpc/client";
import { useCallback, useEffect, useRef, useState } from "react";

import { api } from "~/trpc/react";
import { describeError, describeReason } from "./error-messages";
import { useFormat } from "./reader-locale";

export type ActionChoice = { type: string; label: string; points: number; seconds: number };

/**
 * A started action, as this tab keeps it: the server's token, and its times on this device's
 * clock (counted from when the start was heard back, so the wait is never shorter than the
 * server's, whatever the device's clock says).
 */
type Running = { actionId: string; token: string; actionType: string; startedAt: number; readyAt: number; expiresAt: number };

const TOAST_MS = 5_000;

/** Refusals after which the action cannot be completed: it is dropped. Anything else (the network, a busy server) may be retried. */
const FINAL_REFUSALS = new Set(["UNAUTHENTICATED", "BANNED", "ACTION_CAP_REACHED", "TOKEN_EXPIRED", "INVALID_TOKEN", "UNKNOWN_ACTION", "INVALID_INPUT"]);

/**
 * The action in progress survives a reload: kept in this tab's session storage, per player (a
 * token is good for its own player only), until it is submitted, refused or expired.
 */
const storageKey = (userId: string) => `live-scoreboard:action:${userId}`;

function loadRunning(userId: string): Running | null {
  try {
    const stored = JSON.parse(window.sessionStorage.getItem(storageKey(userId)) ?? "null") as Partial<Running> | null;
    const valid =
      stored !== null &&
      typeof stored.actionId === "string" &&
      typeof stored.token === "string" &&
      typeof stored.actionType === "string" &&
      [stored.startedAt, stored.readyAt, stored.expiresAt].every((time) => typeof time === "number" && Number.isFinite(time));
    if (valid && stored.expiresAt! > Date.now()) return stored as Running;
    window.sessionStorage.removeItem(storageKey(userId));
  } catch {
    // Storage unavailable (private mode, blocked) or unreadable: there is nothing to resume.
  }
  return null;
}

function saveRunning(userId: string, running: Running | null) {
  try {
    if (running) window.sessionStorage.setItem(storageKey(userId), JSON.stringify(running));
    else window.sessionStorage.removeItem(storageKey(userId));
  } catch {
    // Storage unavailable: the action still runs, it just does not survive a reload.
  }
}

/** Start an action, wait for it to complete, then claim the points. */
export function PlayPanel({ actions, userId }: { actions: ActionChoice[]; userId: string }) {
  const utils = api.useUtils();
  const format = useFormat();
  const [choice, setChoice] = useState(actions[0]!.type);
  const [running, setRunningState] = useState<Running | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const [toast, setToast] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const card = useRef<HTMLElement>(null);
  const completeButton = useRef<HTMLButtonElement>(null);
  const startButton = useRef<HTMLButtonElement>(null);
  /** Where focus goes after the next render: the control that takes the place of the one that had it. */
  const focusNext = useRef<"complete" | "start" | null>(null);

  const setRunning = useCallback(
    (next: Running | null) => {
      saveRunning(userId, next);
      setRunningState(next);
    },
    [userId],
  );

  // After a reload: the action this tab had started, if it is still good.
  useEffect(() => {
    const resumed = loadRunning(userId);
    if (resumed) {
      setNow(Date.now());
      setRunningState(resumed);
    }
  }, [userId]);

  const start = api.action.start.useMutation({
    onMutate: () => setError(null),
    onSuccess: (action) => {
      const heardAt = Date.now();
      focusNext.current = "complete";
      setNow(heardAt);
      setRunning({
        actionId: action.actionId,
        token: action.token,
        actionType: action.actionType,
        startedAt: heardAt,
        readyAt: heardAt + (action.minCompleteAt.getTime() - action.issuedAt.getTime()),
        expiresAt: heardAt + (action.expiresAt.getTime() - action.issuedAt.getTime()),
      });
    },
    onError: (failure) => setError(describeError(failure, format)),
  });

  const submit = api.score.submit.useMutation({
    onMutate: () => setError(null),
    onSuccess: (result) => {
      focusNext.current = "start";
      setRunning(null);
      const score = format.number(result.score);
      setToast(
        result.replayed
          ? `Already counted. Your score is ${score}.`
          : result.rank === null
            ? `${format.delta(result.delta)} points. Your score is ${score}.`
            : `${format.delta(result.delta)} points! You're number ${format.number(result.rank)} with ${score}.`,
      );
      void utils.leaderboard.me.invalidate();
    },
    onError: (failure) => {
      const reason = failure instanceof TRPCClientError ? (failure.data as { reason?: string } | undefined)?.reason : undefined;
      if (reason && FINAL_REFUSALS.has(reason)) {
        focusNext.current = "start";
        setRunning(null);
      }
      setError(describeError(failure, format));
    },
  });

  useEffect(() => {
    const target = focusNext.current === "complete" ? completeButton.current : focusNext.current === "start" ? startButton.current : null;
    if (!target) return;
    focusNext.current = null;
    // Only when focus was here (the control it was on is gone): never taken from elsewhere on the page.
    const focused = document.activeElement;
    if (!focused || focused === document.body || card.current?.contains(focused)) target.focus();
  });

  // The countdown, until the action may be completed.
  useEffect(() => {
    if (!running || now >= running.readyAt) return;
    const timer = setInterval(() => setNow(Date.now()), 100);
    return () => clearInterval(timer);
  }, [running, now]);

  // A token unused for too long is refused: drop the action then, and say so.
  useEffect(() => {
    if (!running) return;
    const timer = setTimeout(() => {
      setRunning(null);
      setError(describeReason("TOKEN_EXPIRED"));
    }, Math.max(0, running.expiresAt - Date.now()));
    return () => clearTimeout(timer);
  }, [running, setRunning]);

  useEffect(() => {
    if (!toast) return;
    const timer = setTimeout(() => setToast(null), TOAST_MS);
    return () => clearTimeout(timer);
  }, [toast]);

  const ready = running !== null && now >= running.readyAt;
  const progress = running
    ? running.readyAt <= running.startedAt
      ? 1
      : Math.min(1, (now - running.startedAt) / (running.readyAt - running.startedAt))
    : 0;
  const label = running ? (actions.find((candidate) => candidate.type === running.actionType)?.label ?? running.actionType) : "";
  const unavailable = !ready || submit.isPending;

  return (
    <section ref={card} className="card" aria-labelledby="play-title">
      <h2 id="play-title">Play</h2>
      {running ? (
        <div className="run">
          <p id="run-status">
            {ready ? (
              `${label}: done! Claim your points.`
            ) : (
              <>
                {label}…{" "}
                <span className="muted" data-testid="action-time-left">
                  {format.number(Math.ceil((running.readyAt - now) / 1000))} s left
                </span>
              </>
            )}
          </p>
          <progress max={1} value={progress} aria-label={`${label} progress`} />
          {/* Focusable while it waits (aria-disabled, not disabled): keyboard focus stays on the next step. */}
          <button
            ref={completeButton}
            type="button"
            aria-disabled={unavailable}
            aria-describedby="run-status"
            onClick={() => {
              if (!unavailable) submit.mutate({ actionId: running.actionId, token: running.token });
            }}
          >
            Complete
          </button>
        </div>
      ) : (
        <form
          className="choose"
          onSubmit={(event) => {
            event.preventDefault();
            start.mutate({ actionType: choice });
          }}
        >
          <fieldset>
            <legend>Choose an action</legend>
            {actions.map((action) => (
              <label key={action.type} className="choice">
                <input
                  type="radio"
                  name="action"
                  value={action.type}
                  checked={choice === action.type}
                  onChange={() => setChoice(action.type)}
                />
                {action.label}{" "}
                <span className="muted">
                  {format.delta(action.points)}
                  {action.seconds > 0 ? ` · ${format.number(action.seconds)} s` : ""}
                </span>
              </label>
            ))}
          </fieldset>
          <button ref={startButton} type="submit" disabled={start.isPending}>
            Start
          </button>
        </form>
      )}
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
      {/* Always there, so that assistive technology hears what appears in it. */}
      <p role="status" className={toast ? "toast" : "visually-hidden"}>
        {toast}
      </p>
    </section>
  );
}
