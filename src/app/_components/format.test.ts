import { describe, expect, it } from "vitest";

import { formatDelta, formatNumber, preferredLocale } from "./format";

describe("formatNumber and formatDelta", () => {
  it("group and sign as the locale writes them", () => {
    expect(formatNumber(1234567, "en-US")).toBe("1,234,567");
    expect(formatNumber(1234567, "de-DE")).toBe("1.234.567");
    expect(formatNumber(1234, "fr-FR").replace(/\s/g, " ")).toBe("1 234");
    expect(formatDelta(25, "en-US")).toBe("+25");
    expect(formatDelta(-1500, "de-DE")).toBe("-1.500");
    expect(formatDelta(0, "en-US")).toBe("0");
  });
});

describe("preferredLocale", () => {
  it("takes the most preferred locale the runtime can format", () => {
    expect(preferredLocale("de-DE,de;q=0.9,en;q=0.8")).toBe("de-DE");
    expect(preferredLocale("en;q=0.5, fr-CH;q=0.9")).toBe("fr-CH");
    // Equal weights keep the header's order.
    expect(preferredLocale("es, en")).toBe("es");
  });

  it("skips what is no locale, and gives up on nothing usable", () => {
    expect(preferredLocale("*, not a tag!, nl;q=0.7")).toBe("nl");
    expect(preferredLocale("de;q=0, en;q=0.1")).toBe("en");
    expect(preferredLocale("")).toBeUndefined();
    expect(preferredLocale(null)).toBeUndefined();
    expect(preferredLocale("*")).toBeUndefined();
    expect(preferredLocale(`${"x".repeat(600)}`)).toBeUndefined();
  });
});
