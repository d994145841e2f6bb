import { readFileSync } from "node:fs";

import { describe, expect, it } from "vitest";

import {
  assertRouteMaxDuration,
  DEFAULT_TRPC_MAX_DURATION,
  exportedMaxDuration,
  sseMaxDurationMs,
  TRPC_ROUTE_FILE,
} from "./function-duration.js";

describe("the tRPC function's duration", () => {
  it("ends live streams before the function's limit, with room to close them cleanly", () => {
    expect(sseMaxDurationMs(300)).toBe(280_000);
    expect(sseMaxDurationMs(800)).toBe(780_000);
    expect(sseMaxDurationMs(60)).toBe(54_000);
    for (const seconds of [10, 15, 60, 120, 300, 799, 800]) {
      expect(sseMaxDurationMs(seconds)).toBeLessThan(seconds * 1000);
      expect(sseMaxDurationMs(seconds)).toBeGreaterThanOrEqual(seconds * 900);
    }
  });

  it("reads the route's literal the way Next.js needs it written", () => {
    expect(exportedMaxDuration("export const maxDuration = 300;")).toBe(300);
    expect(exportedMaxDuration("// x\nexport const maxDuration = 1_000;\n")).toBe(1000);
    expect(exportedMaxDuration("export const maxDuration = Number(process.env.X);")).toBeNull();
    expect(exportedMaxDuration("const maxDuration = 300;")).toBeNull();
  });

  it("is the same in the real route and the default setting", () => {
    expect(() => assertRouteMaxDuration(DEFAULT_TRPC_MAX_DURATION, readFileSync(TRPC_ROUTE_FILE, "utf8"))).not.toThrow();
  });

  it("fails the build when the route and TRPC_MAX_DURATION disagree, naming both", () => {
    const route = "export const maxDuration = 300;\n";
    expect(() => assertRouteMaxDuration(60, route)).toThrow(
      /TRPC_MAX_DURATION is 60 s but src\/app\/api\/trpc\/\[trpc\]\/route\.ts exports maxDuration = 300/,
    );
    expect(() => assertRouteMaxDuration(300, route)).not.toThrow();
    expect(() => assertRouteMaxDuration(300, "export const maxDuration = n;\n")).toThrow(
      /must export maxDuration as a number literal/,
    );
  });
});
