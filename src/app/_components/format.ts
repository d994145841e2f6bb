/**
 * Numbers as the reader writes them: "1,234" in English, "1.234" in German, "1 234" in French.
 * A plain module, so the server and the browser format alike: the page formats in the locale the
 * reader's browser asks for (its Accept-Language, read once by the layout and handed to the
 * browser by ./reader-locale.tsx), so what the server renders is what the client hydrates.
 * Without a locale, the runtime's own (in a browser, the reader's).
 */

const formats = new Map<string, Intl.NumberFormat>();

function numberFormat(locale: string | undefined, signed: boolean): Intl.NumberFormat {
  const key = `${locale ?? ""}|${signed ? "signed" : ""}`;
  let format = formats.get(key);
  if (!format) {
    format = new Intl.NumberFormat(locale, { maximumFractionDigits: 0, ...(signed ? { signDisplay: "exceptZero" } : {}) });
    formats.set(key, format);
  }
  return format;
}

/** A count, score or rank: "1,234". */
export function formatNumber(value: number, locale?: string): string {
  return numberFormat(locale, false).format(value);
}

/** A change of score, signed: "+25", "-10", "0". */
export function formatDelta(value: number, locale?: string): string {
  return numberFormat(locale, true).format(value);
}

/** Long enough for any real browser's list; a longer header is not worth parsing. */
const MAX_ACCEPT_LANGUAGE = 512;

/**
 * The locale an Accept-Language header prefers ("de-DE,de;q=0.9,en;q=0.8" → "de-DE"), among
 * those this runtime can format; undefined when it names none (then the runtime's default).
 */
export function preferredLocale(acceptLanguage: string | null | undefined): string | undefined {
  if (!acceptLanguage || acceptLanguage.length > MAX_ACCEPT_LANGUAGE) return undefined;
  const ranked = acceptLanguage
    .split(",")
    .map((part, index) => {
      const [tag = "", ...params] = part.trim().split(";");
      const q = params.map((param) => /^\s*q=([0-9.]+)\s*$/.exec(param)?.[1]).find((value) => value !== undefined);
      return { tag: tag.trim(), q: q === undefined ? 1 : Number(q), index };
    })
    .filter(({ tag, q }) => tag !== "" && tag !== "*" && q > 0 && Number.isFinite(q))
    .sort((a, b) => b.q - a.q || a.index - b.index);
  for (const { tag } of ranked) {
    try {
      const [supported] = Intl.NumberFormat.supportedLocalesOf(tag);
      if (supported) return supported;
    } catch {
      // Not a well-formed language tag: try the next.
    }
  }
  return undefined;
}
