import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

export type Metrics = ReturnType<typeof createMetrics>;

/** The app's Prometheus metrics, on a registry of their own (tests make fresh ones). */
export function createMetrics(options: { defaultMetrics?: boolean } = {}) {
  const registry = new Registry();
  if (options.defaultMetrics) collectDefaultMetrics({ register: registry });
  /** Each live board in the process reports its subscribers (a bundle may hold its own). */
  const liveSubscriberSources = new Set<() => number>();

  return {
    registry,
    procedureCalls: new Counter({
      name: "scoreboard_procedure_calls_total",
      help: "tRPC procedure calls by path, type and outcome code",
      labelNames: ["path", "type", "code"] as const,
      registers: [registry],
    }),
    procedureSeconds: new Histogram({
      name: "scoreboard_procedure_duration_seconds",
      help: "tRPC procedure latency (for subscriptions: until the stream is set up)",
      labelNames: ["path", "type"] as const,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    }),
    scoreActions: new Counter({
      name: "scoreboard_score_actions_total",
      help: "Score submits by action type and outcome (applied, replayed, or the refusal reason)",
      labelNames: ["action_type", "outcome"] as const,
      registers: [registry],
    }),
    rateLimitRefusals: new Counter({
      name: "scoreboard_rate_limit_refusals_total",
      help: "Requests refused by a rate limit",
      labelNames: ["limit"] as const,
      registers: [registry],
    }),
    redisFallbacks: new Counter({
      name: "scoreboard_redis_fallbacks_total",
      help: "Redis operations that failed and were served or repaired from Postgres",
      labelNames: ["operation"] as const,
      registers: [registry],
    }),
    liveSubscribers: new Gauge({
      name: "scoreboard_live_subscribers",
      help: "Open leaderboard.live streams on this instance",
      registers: [registry],
      collect() {
        let total = 0;
        for (const count of liveSubscriberSources) total += count();
        this.set(total);
      },
    }),
    countLiveSubscribers(source: () => number) {
      liveSubscriberSources.add(source);
    },
  };
}
