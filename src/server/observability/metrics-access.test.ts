import { describe, expect, it } from "vitest";

import { metricsAccess } from "./metrics-access";

const TOKEN = "metrics-token-0123456789abcdef";

describe("metricsAccess (GET /api/metrics)", () => {
  it("in production without METRICS_TOKEN, hides the endpoint from everyone (404), whatever they send", () => {
    for (const authorization of [null, "", "Bearer ", "Bearer anything-at-all-0123456789"]) {
      expect(metricsAccess(authorization, { token: undefined, production: true })).toBe("hidden");
    }
  });

  it("with METRICS_TOKEN set, in production or not, lets only its exact bearer in and answers everyone else 401", () => {
    for (const production of [true, false]) {
      const config = { token: TOKEN, production };
      expect(metricsAccess(`Bearer ${TOKEN}`, config)).toBe("allowed");
      for (const authorization of [null, "", `Bearer ${TOKEN}x`, `Bearer ${TOKEN.slice(0, -1)}`, `bearer ${TOKEN}`, `Basic ${TOKEN}`, TOKEN]) {
        expect(metricsAccess(authorization, config)).toBe("unauthorized");
      }
    }
  });

  it("in development without METRICS_TOKEN, is open (a local Prometheus needs no setup)", () => {
    expect(metricsAccess(null, { token: undefined, production: false })).toBe("allowed");
  });
});
