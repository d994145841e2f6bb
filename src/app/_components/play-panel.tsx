"use client";

import { useEffect, useState } from "react";

import { api } from "~/trpc/react";
import { describeError } from "./error-messages";

export type ActionChoice = { type: string; label: string; points: number; seconds: number };

type Running = { actionId: string; token: string; label: string; startedAt: number; readyAt: number };

const TOAST_MS = 5_000;

/** Start an action, wait for it to complete, then claim the points. */
export function PlayPanel({ actions }: { actions: ActionChoice[] }) {
  const utils = api.useUtils();
  const [choice, setChoice] = useState(actions[0]!.type);
  const [running, setRunning] = useState<Running | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const [toast, setToast] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  const start = api.action.start.useMutation({
    onMutate: () => setError(null),
    onSuccess: (action) => {
      // Count the wait from when we heard back, so we never submit before the server allows.
      const wait = action.minCompleteAt.getTime() - action.issuedAt.getTime();
      const label = actions.find((candidate) => candidate.type === action.actionType)?.label ?? action.actionType;
      setRunning({ actionId: action.actionId, token: action.token, label, startedAt: Date.now(), readyAt: Date.now() + wait });
    },
    onError: (failure) => setError(describeError(failure)),
  });

  const submit = api.score.submit.useMutation({
    onMutate: () => setError(null),
    onSuccess: (result) => {
      setRunning(null);
      setToast(
        result.rank === null
          ? `+${result.delta} points. Your score is ${result.score}.`
          : `+${result.delta} points! You're number ${result.rank} with ${result.score}.`,
      );
      void utils.leaderboard.me.invalidate();
    },
    onError: (failure) => {
      setRunning(null);
      setError(describeError(failure));
    },
  });

  useEffect(() => {
    if (!running || now >= running.readyAt) return;
    const timer = setInterval(() => setNow(Date.now()), 100);
    return () => clearInterval(timer);
  }, [running, now]);

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

  return (
    <section className="card" aria-labelledby="play-title">
      <h2 id="play-title">Play</h2>
      {running ? (
        <div className="run">
          <p>{ready ? `${running.label}: done! Claim your points.` : `${running.label}…`}</p>
          <progress max={1} value={progress} aria-label={`${running.label} progress`} />
          <button
            type="button"
            disabled={!ready || submit.isPending}
            onClick={() => submit.mutate({ actionId: running.actionId, token: running.token })}
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
                  +{action.points}
                  {action.seconds > 0 ? ` · ${action.seconds} s` : ""}
                </span>
              </label>
            ))}
          </fieldset>
          <button type="submit" disabled={start.isPending}>
            Start
          </button>
        </form>
      )}
      {error ? (
        <p role="alert" className="error">
          {error}
        </p>
      ) : null}
      {toast ? (
        <p role="status" className="toast">
          {toast}
        </p>
      ) : null}
    </section>
  );
}
