"use client";

import { createContext, useContext, useMemo } from "react";

import { formatDelta, formatNumber } from "./format";

const ReaderLocaleContext = createContext<string | undefined>(undefined);

/**
 * The reader's locale (from their browser's Accept-Language, read by the layout) for every
 * client component below: the server renders numbers in it and the browser hydrates the same.
 */
export function ReaderLocaleProvider({ locale, children }: { locale: string | undefined; children: React.ReactNode }) {
  return <ReaderLocaleContext.Provider value={locale}>{children}</ReaderLocaleContext.Provider>;
}

export type NumberFormatters = { number(value: number): string; delta(value: number): string };

/** Formatters for numbers in the reader's locale: `number(1234)` → "1,234", `delta(25)` → "+25". */
export function useFormat(): NumberFormatters {
  const locale = useContext(ReaderLocaleContext);
  return useMemo(() => ({ number: (value) => formatNumber(value, locale), delta: (value) => formatDelta(value, locale) }), [locale]);
}
