import { useSyncExternalStore } from "react";

/**
 * Numbers in the reader's locale ("2,104", "2.104", "2 104"). The server does not know that
 * locale, so what it renders, and what the browser hydrates, uses one fixed locale; right after
 * hydration the page re-renders in the browser's own. Effects (toasts, announcements) run in the
 * browser only and use `formatNumber` directly.
 */

const RENDERED_ON_SERVER = "en";

const readerFormat = () => new Intl.NumberFormat(undefined);
let reader: Intl.NumberFormat | null = null;
const serverFormat = new Intl.NumberFormat(RENDERED_ON_SERVER);

/** A number in the reader's locale; browser code only (effects, event handlers). */
export function formatNumber(value: number): string {
  return (reader ??= readerFormat()).format(value);
}

const subscribe = () => () => undefined;

/** `format(n)` for rendering: the server's fixed locale while hydrating, the reader's after. */
export function useNumberFormat(): (value: number) => string {
  const hydrated = useSyncExternalStore(
    subscribe,
    () => true,
    () => false,
  );
  return hydrated ? formatNumber : (value: number) => serverFormat.format(value);
}
