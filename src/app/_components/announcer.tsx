"use client";

import { useSyncExternalStore } from "react";

/**
 * The page's one live region, and its toasts. Components `announce` what just happened; what is
 * announced in the same moment (one board change seen by several components) is said once, most
 * important first. A toast shows the same words to sighted readers; it is not a live region
 * itself, so a screen reader hears each message once.
 */

export type Toast = { id: number; text: string };
type Snapshot = { message: string; toasts: Toast[] };

const TOAST_MS = 6_000;
const MAX_TOASTS = 3;

let snapshot: Snapshot = { message: "", toasts: [] };
let pending: { text: string; priority: number; toast: boolean }[] = [];
let flushing: ReturnType<typeof setTimeout> | null = null;
let nextId = 1;
const listeners = new Set<() => void>();

function publish(next: Snapshot) {
  snapshot = next;
  for (const listener of listeners) listener();
}

/** Says `text` in the live region (and as a toast with `toast`); `priority` orders messages said together. */
export function announce(text: string, options: { priority?: number; toast?: boolean } = {}) {
  pending.push({ text, priority: options.priority ?? 0, toast: options.toast ?? false });
  flushing ??= setTimeout(flush, 0);
}

function flush() {
  flushing = null;
  const batch = pending.sort((a, b) => b.priority - a.priority);
  pending = [];
  const texts = [...new Set(batch.map((item) => item.text))];
  const added = [...new Set(batch.filter((item) => item.toast).map((item) => item.text))].map((text) => ({ id: nextId++, text }));
  for (const toast of added) setTimeout(() => dismiss(toast.id), TOAST_MS);
  publish({ message: texts.join(" "), toasts: [...snapshot.toasts, ...added].slice(-MAX_TOASTS) });
}

function dismiss(id: number) {
  if (!snapshot.toasts.some((toast) => toast.id === id)) return;
  publish({ ...snapshot, toasts: snapshot.toasts.filter((toast) => toast.id !== id) });
}

function subscribe(listener: () => void) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

const EMPTY: Snapshot = { message: "", toasts: [] };

/** The live region and the toasts: render once per page. */
export function Announcements() {
  const { message, toasts } = useSyncExternalStore(
    subscribe,
    () => snapshot,
    () => EMPTY,
  );
  return (
    <>
      <p aria-live="polite" className="visually-hidden" data-testid="rank-announcer">
        {message}
      </p>
      {toasts.length > 0 ? (
        <div className="board-toasts">
          {toasts.map((toast) => (
            <div key={toast.id} className="board-toast" data-testid="board-toast">
              <p>{toast.text}</p>
              <button type="button" className="secondary" aria-label="Dismiss" onClick={() => dismiss(toast.id)}>
                ×
              </button>
            </div>
          ))}
        </div>
      ) : null}
    </>
  );
}
